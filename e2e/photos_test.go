package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/downthere/downthere/geodata"
)

// photoCase is one broken ground-photo source. No headless subcommand
// reads photos (the viewer's Layers > Add photos does), so these cases
// call geodata.ReadPhotos and geodata.IndexPhotos, the two functions the
// GUI calls, on the committed files and the grid of {scene}.
type photoCase struct {
	name  string
	input string // what is broken, for docs/failure-behaviour.md
	path  string // under testdata/bad/photos
	// err, when set, lists the substrings the read error must contain
	// ("a|b" accepts either). The error must also name the file.
	err []string
	// placed lists the ids that must be placed in a cell, and unplaced
	// maps the other ids to a substring of their reason.
	placed   []string
	unplaced map[string]string
	knownBug string
}

var photoCases = []photoCase{
	{name: "photos-folder-exif", input: "JPEGs without GPS, with GPS out of range, with an EXIF block cut short",
		path: "folder", placed: []string{"inside.jpg"},
		unplaced: map[string]string{
			"no_gps.jpg":           "no EXIF",
			"gps_out_of_range.jpg": "coordinate 123.5 is beyond 90 degrees",
			"bad_exif.jpg":         "EXIF",
		}},
	{name: "photos-csv-bad-rows", input: "CSV rows with text, empty, out-of-range, 0,0, infinite and missing positions",
		path: "bad_rows.csv", placed: []string{"good"},
		unplaced: map[string]string{
			"not_a_number":           `latitude "north" is not a decimal number`,
			"empty_latitude":         "latitude is empty",
			"latitude_out_of_range":  "latitude 123.5 is out of range",
			"longitude_out_of_range": "longitude 200.25 is out of range",
			"zero_zero":              "no GPS fix",
			"outside_scene":          "outside the grid",
			"short_row":              "longitude is empty",
			"infinite":               "not a decimal number",
		}},
	{name: "photos-csv-no-position-columns", input: "CSV header name,x,y",
		path: "no_position_columns.csv", err: []string{"no column lat, lon, path"}},
	{name: "photos-csv-unterminated-quote", input: "CSV with an unterminated quote",
		path: "unterminated_quote.csv", err: []string{"quote"}},
	{name: "photos-geojson-bad-features", input: "GeoJSON with a polygon, a null geometry, latitude 123.5, a point in Brazil",
		path: "bad_rows.geojson", placed: []string{"good"},
		unplaced: map[string]string{
			"polygon":               "geometry is Polygon, not a Point",
			"no_geometry":           "geometry is missing",
			"latitude_out_of_range": "latitude 123.5 is out of range",
			"outside_scene":         "outside the grid",
		}},
	{name: "photos-geojson-projected", input: "GeoJSON with a \"crs\" member naming EPSG:32633",
		path: "projected_crs.geojson", err: []string{"EPSG::32633", "reproject"}},
	{name: "photos-geojson-truncated", input: "GeoJSON cut mid-array",
		path: "truncated.geojson", err: []string{"invalid JSON|unexpected end"}},
	{name: "photos-missing", input: "path that does not exist",
		path: "no_such_photos.csv", err: []string{"no such file"}},
	{name: "photos-unknown-type", input: "a .tif given as photo list",
		path: "../raster/scene.tif", err: []string{"unknown file type"}},
}

func TestBadPhotos(t *testing.T) {
	ds, err := geodata.Open(filepath.Join(suite.bad, "raster", "scene.tif"))
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	g, err := geodata.NewGridForDataset(ds, 960)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	for _, pc := range photoCases {
		t.Run(pc.name, func(t *testing.T) {
			path := filepath.Join(suite.bad, "photos", pc.path)
			report(t, pc.knownBug, pc.check(path, g, t))
		})
	}
}

// check reads the photos at path, places them on g and compares the
// outcome with the case.
func (pc photoCase) check(path string, g *geodata.Grid, t *testing.T) (failures []string) {
	defer func() {
		if p := recover(); p != nil {
			failures = append(failures, fmt.Sprintf("panic: %v", p))
		}
	}()
	records, err := geodata.ReadPhotos(context.Background(), path)
	if len(pc.err) > 0 {
		return checkPhotoError(err, path, pc.err)
	}
	if err != nil {
		return []string{fmt.Sprintf("ReadPhotos: %v", err)}
	}

	ix := geodata.IndexPhotos(records, g)
	placed := map[string]bool{}
	for _, p := range ix.Photos {
		placed[p.ID] = true
	}
	for _, id := range pc.placed {
		if !placed[id] {
			failures = append(failures, fmt.Sprintf("%s is not placed in a cell", id))
		}
	}

	reasons := map[string]string{}
	for _, u := range ix.Unplaced {
		reasons[u.ID] = u.Reason
		t.Logf("unplaced %s: %s", u.ID, u.Reason)
	}
	for id, want := range pc.unplaced {
		got, ok := reasons[id]
		switch {
		case !ok:
			failures = append(failures, fmt.Sprintf("%s is not listed as unplaced (placed: %v)", id, placed[id]))
		case !containsAny(got, want):
			failures = append(failures, fmt.Sprintf("%s: reason %q does not contain %q", id, got, want))
		}
	}
	if n := len(ix.Photos) + len(ix.Unplaced); n != len(records) {
		failures = append(failures, fmt.Sprintf("%d records read, %d placed or unplaced", len(records), n))
	}
	return failures
}

func checkPhotoError(err error, path string, want []string) []string {
	if err == nil {
		return []string{"ReadPhotos returned no error"}
	}
	var failures []string
	msg := err.Error()
	if !strings.Contains(msg, filepath.Base(path)) {
		failures = append(failures, fmt.Sprintf("error %q does not name %s", msg, filepath.Base(path)))
	}
	for _, w := range want {
		if !containsAny(msg, w) {
			failures = append(failures, fmt.Sprintf("error %q does not contain %q", msg, w))
		}
	}
	return failures
}
