package geodata

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// exifGPS describes the GPS block that makeGeotaggedJPEG writes.
type exifGPS struct {
	lat, lon   float64 // signed decimal degrees
	direction  float64 // degrees; NaN leaves the tag out
	bigEndian  bool
	noGPSBlock bool
}

// makeGeotaggedJPEG returns an 8x8 JPEG with an EXIF APP1 segment that
// holds the given GPS position as degrees, minutes and seconds.
func makeGeotaggedJPEG(t testing.TB, g exifGPS) []byte {
	t.Helper()
	var img bytes.Buffer
	if err := jpeg.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	app1 := append([]byte("Exif\x00\x00"), makeEXIFTIFF(g)...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(app1)+2))

	out := append([]byte{}, img.Bytes()[:2]...) // SOI
	out = append(out, seg...)
	out = append(out, app1...)
	return append(out, img.Bytes()[2:]...)
}

// makeEXIFTIFF builds a TIFF structure with IFD0 (one GPS pointer entry)
// and a GPS IFD.
func makeEXIFTIFF(g exifGPS) []byte {
	var order interface {
		binary.ByteOrder
		binary.AppendByteOrder
	} = binary.LittleEndian
	head := []byte("II*\x00")
	if g.bigEndian {
		order, head = binary.BigEndian, []byte("MM\x00*")
	}

	type entry struct {
		tag, typ uint16
		count    uint32
		data     []byte
	}
	rational := func(vals ...float64) []byte {
		var b []byte
		for _, v := range vals {
			num := make([]byte, 8)
			order.PutUint32(num, uint32(math.Round(v*10000)))
			order.PutUint32(num[4:], 10000)
			b = append(b, num...)
		}
		return b
	}
	dms := func(v float64) []byte {
		v = math.Abs(v)
		d := math.Floor(v)
		m := math.Floor((v - d) * 60)
		s := (v - d - m/60) * 3600
		return rational(d, m, s)
	}
	hemi := func(v float64, pos, neg string) []byte {
		if v < 0 {
			return []byte(neg + "\x00")
		}
		return []byte(pos + "\x00")
	}
	gps := []entry{
		{tagGPSLatitudeRef, exifTypeASCII, 2, hemi(g.lat, "N", "S")},
		{tagGPSLatitude, exifTypeRational, 3, dms(g.lat)},
		{tagGPSLongitudeRef, exifTypeASCII, 2, hemi(g.lon, "E", "W")},
		{tagGPSLongitude, exifTypeRational, 3, dms(g.lon)},
	}
	if !math.IsNaN(g.direction) {
		gps = append(gps, entry{tagGPSImgDirection, exifTypeRational, 1, rational(g.direction)})
	}

	writeIFD := func(buf []byte, entries []entry) []byte {
		start := len(buf)
		dataAt := start + 2 + len(entries)*12 + 4
		var data []byte
		buf = order.AppendUint16(buf, uint16(len(entries)))
		for _, e := range entries {
			buf = order.AppendUint16(buf, e.tag)
			buf = order.AppendUint16(buf, e.typ)
			buf = order.AppendUint32(buf, e.count)
			if len(e.data) <= 4 {
				buf = append(buf, append(e.data, make([]byte, 4-len(e.data))...)...)
			} else {
				buf = order.AppendUint32(buf, uint32(dataAt+len(data)))
				data = append(data, e.data...)
			}
		}
		buf = order.AppendUint32(buf, 0) // no next IFD
		return append(buf, data...)
	}

	tiff := order.AppendUint32(head, 8)
	if g.noGPSBlock {
		return writeIFD(tiff, []entry{{0x010F, exifTypeASCII, 4, []byte("Cam\x00")}})
	}
	gpsAt := uint32(8 + 2 + 12 + 4)
	tiff = writeIFD(tiff, []entry{{tagGPSIFD, exifTypeLong, 1, order.AppendUint32(nil, gpsAt)}})
	return writeIFD(tiff, gps)
}

func TestReadEXIFGPS(t *testing.T) {
	tests := []struct {
		name    string
		gps     exifGPS
		wantLat float64
		wantLon float64
		wantDir float64
		wantErr error
	}{
		{name: "north east little endian", gps: exifGPS{lat: 55.6981667, lon: 13.1953889, direction: math.NaN()}, wantLat: 55.6981667, wantLon: 13.1953889, wantDir: math.NaN()},
		{name: "south west big endian", gps: exifGPS{lat: -7.9954, lon: -34.8713, direction: 271.5, bigEndian: true}, wantLat: -7.9954, wantLon: -34.8713, wantDir: 271.5},
		{name: "no GPS block", gps: exifGPS{noGPSBlock: true}, wantErr: ErrNoGPS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pos, err := ReadEXIFGPS(bytes.NewReader(makeGeotaggedJPEG(t, tt.gps)))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(pos.Lat-tt.wantLat) > 1e-6 || math.Abs(pos.Lon-tt.wantLon) > 1e-6 {
				t.Errorf("position = %v, %v, want %v, %v", pos.Lat, pos.Lon, tt.wantLat, tt.wantLon)
			}
			if math.IsNaN(tt.wantDir) != math.IsNaN(pos.Direction) || (!math.IsNaN(tt.wantDir) && math.Abs(pos.Direction-tt.wantDir) > 1e-6) {
				t.Errorf("direction = %v, want %v", pos.Direction, tt.wantDir)
			}
		})
	}
}

func TestReadEXIFGPSRejectsDamagedInput(t *testing.T) {
	good := makeGeotaggedJPEG(t, exifGPS{lat: 10, lon: 20, direction: math.NaN()})
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, image.NewGray(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		data    []byte
		wantErr error
	}{
		{name: "empty", data: nil, wantErr: ErrNotJPEG},
		{name: "PNG signature", data: []byte("\x89PNG\r\n\x1a\n"), wantErr: ErrNotJPEG},
		{name: "JPEG without EXIF", data: plain.Bytes(), wantErr: ErrNoEXIF},
		{name: "truncated in EXIF", data: good[:40], wantErr: ErrNoEXIF},
		{name: "segment length 1", data: []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01}, wantErr: ErrBadEXIF},
		{name: "bad byte order", data: replaceAt(good, 12, []byte("XX")), wantErr: ErrBadEXIF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadEXIFGPS(bytes.NewReader(tt.data))
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func replaceAt(b []byte, at int, with []byte) []byte {
	out := append([]byte{}, b...)
	copy(out[at:], with)
	return out
}

func FuzzReadEXIFGPS(f *testing.F) {
	f.Add(makeGeotaggedJPEG(f, exifGPS{lat: 55.7, lon: 13.2, direction: 90}))
	f.Add(makeGeotaggedJPEG(f, exifGPS{lat: -8, lon: -34.9, direction: math.NaN(), bigEndian: true}))
	f.Add(makeGeotaggedJPEG(f, exifGPS{noGPSBlock: true}))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		pos, err := ReadEXIFGPS(bytes.NewReader(data))
		if err != nil {
			return
		}
		if !(math.Abs(pos.Lat) <= 90 && math.Abs(pos.Lon) <= 180) {
			t.Fatalf("accepted position %v, %v out of range", pos.Lat, pos.Lon)
		}
	})
}

func TestReadPhotoFolderMixed(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.jpg", makeGeotaggedJPEG(t, exifGPS{lat: 55.7, lon: 13.19, direction: math.NaN()}))
	write("sub/b.JPEG", makeGeotaggedJPEG(t, exifGPS{noGPSBlock: true}))
	write("c.jpg", []byte("not a jpeg"))
	write("notes.txt", []byte("ignored"))

	records, err := ReadPhotoFolder(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range records {
		got[r.ID] = r.Problem
	}
	want := map[string]string{"a.jpg": "", "c.jpg": "not a JPEG file", "sub/b.JPEG": "EXIF has no GPS latitude/longitude"}
	if len(got) != len(want) {
		t.Fatalf("records = %v, want %v", got, want)
	}
	for id, problem := range want {
		if p, ok := got[id]; !ok || p != problem {
			t.Errorf("record %q problem = %q (present %v), want %q", id, p, ok, problem)
		}
	}
}

func TestIndexPhotosListsEveryRecord(t *testing.T) {
	g := newTestGrid(t, lundFootprint, 1000)
	records := []PhotoRecord{
		{ID: "cathedral", Lat: 55.7047, Lon: 13.1935, Direction: math.NaN()},
		{ID: "far away", Lat: 52.5189, Lon: 13.4003, Direction: math.NaN()},
		{ID: "bad lat", Lat: 95, Lon: 13.19, Direction: math.NaN()},
		{ID: "no fix", Lat: 0, Lon: 0, Direction: math.NaN()},
		{ID: "no exif", Lat: math.NaN(), Lon: math.NaN(), Problem: "no EXIF metadata, so no GPS position"},
	}
	ix := IndexPhotos(records, g)

	if len(ix.Photos)+len(ix.Unplaced) != len(records) {
		t.Fatalf("%d placed + %d unplaced != %d records", len(ix.Photos), len(ix.Unplaced), len(records))
	}
	if len(ix.Photos) != 1 || ix.Photos[0].CellID != "E0386N6174-1000" {
		t.Fatalf("placed = %+v, want the cathedral in E0386N6174-1000", ix.Photos)
	}
	if got := ix.InCell(ix.Photos[0].Cell); len(got) != 1 {
		t.Errorf("InCell returned %d photos, want 1", len(got))
	}
	wantReasons := map[string]string{
		"far away": "outside the grid", "bad lat": "out of range",
		"no fix": "no GPS fix", "no exif": "no EXIF",
	}
	for _, u := range ix.Unplaced {
		if !strings.Contains(u.Reason, wantReasons[u.ID]) {
			t.Errorf("unplaced %q reason = %q, want it to contain %q", u.ID, u.Reason, wantReasons[u.ID])
		}
	}
}

func TestReadPhotoCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "photos.csv")
	content := "id,lat,lon,path,label\n" +
		"p1,55.7047,13.1935,img/p1.jpg,urban\n" +
		"p2,north,13.19,img/p2.jpg,\n" +
		"p3,55.70,,/abs/p3.jpg,rural\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}

	records, err := ReadPhotoCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 3 {
		t.Fatalf("read %d records, want 3", len(records))
	}
	if r := records[0]; r.Problem != "" || r.Label != "urban" || r.Path != filepath.Join(dir, "img/p1.jpg") || r.Lat != 55.7047 {
		t.Errorf("record 1 = %+v", r)
	}
	if !strings.Contains(records[1].Problem, `line 3: latitude "north"`) {
		t.Errorf("record 2 problem = %q, want the line and the bad latitude", records[1].Problem)
	}
	if !strings.Contains(records[2].Problem, "longitude is empty") || records[2].Path != "/abs/p3.jpg" {
		t.Errorf("record 3 = %+v", records[2])
	}
}

func TestReadPhotoCSVMissingColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "photos.csv")
	if err := os.WriteFile(path, []byte("id,latitude,path\np1,55,a.jpg\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadPhotoCSV(path)
	if err == nil || !strings.Contains(err.Error(), "no column lon") {
		t.Errorf("error = %v, want it to name the missing lon column", err)
	}
}

func TestReadPhotoGeoJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "photos.geojson")
	content := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","id":"f1","geometry":{"type":"Point","coordinates":[13.1935,55.7047]},"properties":{"path":"a.jpg","label":"urban"}},
	 {"type":"Feature","geometry":{"type":"LineString","coordinates":[[13,55],[13.1,55.1]]},"properties":{"id":"line"}},
	 {"type":"Feature","geometry":null,"properties":{"id":"none"}}]}`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	records, err := ReadPhotoGeoJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 3 {
		t.Fatalf("read %d records, want 3", len(records))
	}
	if r := records[0]; r.ID != "f1" || r.Lon != 13.1935 || r.Lat != 55.7047 || r.Label != "urban" || r.Path != filepath.Join(dir, "a.jpg") {
		t.Errorf("record 1 = %+v", r)
	}
	if !strings.Contains(records[1].Problem, "LineString") {
		t.Errorf("record 2 problem = %q, want it to name LineString", records[1].Problem)
	}
	if !strings.Contains(records[2].Problem, "missing") {
		t.Errorf("record 3 problem = %q, want a missing geometry", records[2].Problem)
	}
}

func TestReadPhotoGeoJSONRejectsProjectedCRS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "photos.geojson")
	content := `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::31985"}},"features":[]}`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPhotoGeoJSON(path); err == nil || !strings.Contains(err.Error(), "31985") {
		t.Errorf("error = %v, want a rejection naming EPSG::31985", err)
	}
}

// sharedDataDir returns ../shared/data relative to the repository root, or
// skips the test when it is absent.
func sharedDataDir(t *testing.T, sub string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "data", sub))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real data %s is absent (it lives in ../shared/data beside the repository): %v", dir, err)
	}
	return dir
}

// TestReadPhotoFolderMatchesExiftool compares the EXIF reader with the
// positions exiftool 12 wrote to gps.csv for the OpenSfM sample photos.
func TestReadPhotoFolderMatchesExiftool(t *testing.T) {
	dir := sharedDataDir(t, "geotagged_photos_opensfm")
	records, err := ReadPhotoFolder(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := readExiftoolCSV(t, filepath.Join(dir, "gps.csv"))
	if len(records) != len(want) || len(records) != 32 {
		t.Fatalf("read %d photos, gps.csv lists %d, want 32", len(records), len(want))
	}
	for _, r := range records {
		w, ok := want[r.ID]
		if !ok {
			t.Errorf("photo %s is not in gps.csv", r.ID)
			continue
		}
		if r.Problem != "" || math.Abs(r.Lat-w[0]) > 1e-9 || math.Abs(r.Lon-w[1]) > 1e-9 {
			t.Errorf("photo %s = %v, %v (%s), exiftool %v, %v", r.ID, r.Lat, r.Lon, r.Problem, w[0], w[1])
		}
	}
}

func readExiftoolCSV(t *testing.T, path string) map[string][2]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]float64{}
	for _, row := range rows[1:] {
		lat, _ := strconv.ParseFloat(row[1], 64)
		lon, _ := strconv.ParseFloat(row[2], 64)
		out[row[0]] = [2]float64{lat, lon}
	}
	return out
}

// TestReadPhotoCSVExiftoolHeader reads gps.csv itself, whose header is
// exiftool's SourceFile,GPSLatitude,GPSLongitude,ImageSize.
func TestReadPhotoCSVExiftoolHeader(t *testing.T) {
	dir := sharedDataDir(t, "geotagged_photos_opensfm")
	records, err := ReadPhotoCSV(filepath.Join(dir, "gps.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 32 {
		t.Fatalf("read %d records, want 32", len(records))
	}
	if r := records[0]; r.ID != "berlin/01.jpg" || r.Path != filepath.Join(dir, "berlin", "01.jpg") || r.Problem != "" {
		t.Errorf("first record = %+v", r)
	}
}

// TestIndexArezzoPhotos places the Arezzo photos on a 1 km grid of a
// geographic scene around the town; all nine fall inside it.
func TestIndexArezzoPhotos(t *testing.T) {
	dir := sharedDataDir(t, "geotagged_photos_arezzo")
	records, err := ReadPhotos(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	scene := SceneFootprint{CRS: "EPSG:4326", Width: 200, Height: 200,
		GeoTransform: GeoTransform{11.85, 0.0003, 0, 43.49, 0, -0.0003}}
	g := newTestGrid(t, scene, 1000)
	ix := IndexPhotos(records, g)

	if len(ix.Photos) != 9 || len(ix.Unplaced) != 0 {
		t.Fatalf("placed %d, unplaced %v; want 9 placed", len(ix.Photos), ix.Unplaced)
	}
	if g.EPSG() != 32632 {
		t.Errorf("grid EPSG = %d, want 32632 (UTM 32N)", g.EPSG())
	}
	if n := len(ix.Cells()); n < 2 {
		t.Errorf("photos fall in %d cells, want at least 2 (they spread over about 600 m)", n)
	}
}
