package geodata

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzGrid is the grid the photo fuzz targets place records on: 960 m
// cells over a 2560 m square scene in UTM 33N at about 15.0 E, 45.16 N.
func fuzzGrid(f *testing.F) *Grid {
	f.Helper()
	g, err := NewGrid(SceneFootprint{CRS: "EPSG:32633", GeoTransform: GeoTransform{500000, 20, 0, 5002560, 0, -20}, Width: 128, Height: 128}, 960)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(g.Close)
	return g
}

// fuzzFile returns a path in a folder of the fuzz process where each
// input is written before it is read.
func fuzzFile(f *testing.F, name string) string {
	f.Helper()
	return filepath.Join(f.TempDir(), name)
}

func FuzzReadPhotoCSV(f *testing.F) {
	f.Add([]byte("id,lat,lon,path\na,45.165,15.0163,a.jpg\n"))
	f.Add([]byte("SourceFile,GPSLatitude,GPSLongitude\n./b.jpg,45.1,15.2\n"))
	f.Add([]byte("\ufeffName;Lat;Lon\n"))
	g := fuzzGrid(f)
	path := fuzzFile(f, "photos.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		records, err := ReadPhotoCSV(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		checkPhotoRecords(t, records, g)
	})
}

func FuzzReadPhotoGeoJSON(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a"},"geometry":{"type":"Point","coordinates":[15.0163,45.165]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"properties":{"name":"EPSG:4326"}},"features":[]}`))
	g := fuzzGrid(f)
	path := fuzzFile(f, "photos.geojson")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		records, err := ReadPhotoGeoJSON(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		checkPhotoRecords(t, records, g)
	})
}

// checkPhotoRecords checks what every reader promises: an id for every
// record, a finite position or a Problem, and an index that places or
// rejects each record exactly once, in a cell whose id parses back.
func checkPhotoRecords(t *testing.T, records []PhotoRecord, g *Grid) {
	t.Helper()
	for i, r := range records {
		if r.ID == "" {
			t.Errorf("record %d has no id: %+v", i, r)
		}
		if r.Problem == "" && (math.IsNaN(r.Lat) || math.IsNaN(r.Lon) || math.IsInf(r.Lat, 0) || math.IsInf(r.Lon, 0)) {
			t.Errorf("record %d has position %v, %v and no problem", i, r.Lat, r.Lon)
		}
	}
	ix := IndexPhotos(records, g)
	if n := len(ix.Photos) + len(ix.Unplaced); n != len(records) {
		t.Errorf("%d records, %d placed and %d unplaced", len(records), len(ix.Photos), len(ix.Unplaced))
	}
	for _, p := range ix.Photos {
		c, err := g.ParseID(p.CellID)
		if err != nil || c != p.Cell {
			t.Errorf("photo %s in cell %+v has id %q, which parses to %+v (%v)", p.ID, p.Cell, p.CellID, c, err)
		}
	}
	for _, u := range ix.Unplaced {
		if u.Reason == "" {
			t.Errorf("photo %s is unplaced without a reason", u.ID)
		}
	}
}

func FuzzGridParseID(f *testing.F) {
	g := fuzzGrid(f)
	f.Add(g.ID(Cell{Row: 0, Col: 0}))
	f.Add(g.ID(Cell{Row: g.Rows() - 1, Col: g.Cols() - 1}))
	f.Add("E0500000N5000000-960")
	f.Add("W99999999999999999999999999S1-960")
	f.Add("E0500N5000-1000")
	f.Fuzz(func(t *testing.T, id string) {
		c, err := g.ParseID(id)
		if err != nil {
			return
		}
		if !g.Contains(c) {
			t.Errorf("ParseID(%q) = %+v, outside the %d x %d grid", id, c, g.Rows(), g.Cols())
		}
		if back := g.ID(c); back != id {
			t.Errorf("ParseID(%q) = %+v, whose id is %q", id, c, back)
		}
	})
}
