package geodata

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// PhotoRecord is one ground photo as a source lists it, before it is
// placed on a grid. Lon and Lat are WGS 84 degrees. Problem is the reason
// the source gives no usable position, or empty.
type PhotoRecord struct {
	ID    string
	Path  string // the image file; relative paths are resolved against the source's folder
	Label string // optional class label from the source
	Lon   float64
	Lat   float64
	// Direction is the camera heading in degrees clockwise from north, NaN
	// when unknown.
	Direction float64
	Problem   string
}

// Photo is a ground photo placed in a grid cell.
type Photo struct {
	PhotoRecord
	X, Y   float64 // position in the grid CRS
	Cell   Cell
	CellID string
}

// UnplacedPhoto is a photo that has no cell, with the reason.
type UnplacedPhoto struct {
	PhotoRecord
	Reason string
}

// PhotoIndex holds ground photos placed in the cells of a grid. Every
// record given to IndexPhotos ends up in Photos or in Unplaced.
type PhotoIndex struct {
	Photos   []Photo
	Unplaced []UnplacedPhoto
	byCell   map[Cell][]int
}

// InCell returns the photos in cell c, in source order.
func (ix *PhotoIndex) InCell(c Cell) []Photo {
	var out []Photo
	for _, i := range ix.byCell[c] {
		out = append(out, ix.Photos[i])
	}
	return out
}

// Cells returns the cells that contain at least one photo, in row-major
// order.
func (ix *PhotoIndex) Cells() []Cell {
	cells := make([]Cell, 0, len(ix.byCell))
	for c := range ix.byCell {
		cells = append(cells, c)
	}
	sort.Slice(cells, func(i, j int) bool {
		if cells[i].Row != cells[j].Row {
			return cells[i].Row < cells[j].Row
		}
		return cells[i].Col < cells[j].Col
	})
	return cells
}

// IndexPhotos places each record in the grid cell under its position.
// Records with a Problem, a position out of range or a position outside
// the grid are listed in Unplaced with the reason.
func IndexPhotos(records []PhotoRecord, g *Grid) *PhotoIndex {
	ix := &PhotoIndex{byCell: map[Cell][]int{}}
	for _, r := range records {
		if reason := positionProblem(r); reason != "" {
			ix.Unplaced = append(ix.Unplaced, UnplacedPhoto{PhotoRecord: r, Reason: reason})
			continue
		}
		x, y, err := g.LonLatToGrid(r.Lon, r.Lat)
		if err != nil {
			ix.Unplaced = append(ix.Unplaced, UnplacedPhoto{PhotoRecord: r, Reason: err.Error()})
			continue
		}
		c, ok := g.CellAtGrid(x, y)
		if !ok {
			reason := fmt.Sprintf("position %.6f, %.6f is outside the grid", r.Lat, r.Lon)
			ix.Unplaced = append(ix.Unplaced, UnplacedPhoto{PhotoRecord: r, Reason: reason})
			continue
		}
		ix.byCell[c] = append(ix.byCell[c], len(ix.Photos))
		ix.Photos = append(ix.Photos, Photo{PhotoRecord: r, X: x, Y: y, Cell: c, CellID: g.ID(c)})
	}
	return ix
}

func positionProblem(r PhotoRecord) string {
	switch {
	case r.Problem != "":
		return r.Problem
	case math.IsNaN(r.Lat) || math.IsNaN(r.Lon):
		return "no position"
	case r.Lat < -90 || r.Lat > 90:
		return fmt.Sprintf("latitude %v is out of range (-90..90)", r.Lat)
	case r.Lon < -180 || r.Lon > 180:
		return fmt.Sprintf("longitude %v is out of range (-180..180)", r.Lon)
	case r.Lat == 0 && r.Lon == 0:
		return "position is 0, 0, which cameras write when they have no GPS fix"
	}
	return ""
}

// ReadPhotos reads photo records from a folder of JPEGs, a CSV file or a
// GeoJSON file, chosen by what path is.
func ReadPhotos(ctx context.Context, path string) ([]PhotoRecord, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read photos %s: %w", path, err)
	}
	if st.IsDir() {
		return ReadPhotoFolder(ctx, path)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".txt":
		return ReadPhotoCSV(path)
	case ".geojson", ".json":
		return ReadPhotoGeoJSON(path)
	}
	return nil, fmt.Errorf("read photos %s: unknown file type; give a folder of JPEGs, a .csv (id,lat,lon,path[,label]) or a .geojson of points", path)
}

// ReadPhotoFolder reads the EXIF GPS position of every JPEG under dir,
// sub-folders included, in path order. A photo's ID is its path relative
// to dir with forward slashes. Photos whose position cannot be read get a
// Problem; only failures to list the folder are errors.
func ReadPhotoFolder(ctx context.Context, dir string) ([]PhotoRecord, error) {
	var records []PhotoRecord
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !isJPEGName(d.Name()) {
			return nil
		}
		records = append(records, readPhotoFile(dir, path))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read photo folder %s: %w", dir, err)
	}
	return records, nil
}

func isJPEGName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".jpe":
		return true
	}
	return false
}

func readPhotoFile(dir, path string) PhotoRecord {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		rel = path
	}
	r := PhotoRecord{ID: filepath.ToSlash(rel), Path: path, Lon: math.NaN(), Lat: math.NaN(), Direction: math.NaN()}

	f, err := os.Open(path)
	if err != nil {
		r.Problem = fmt.Sprintf("cannot open: %v", err)
		return r
	}
	defer f.Close()

	pos, err := ReadEXIFGPS(f)
	if err != nil {
		r.Problem = exifProblem(err)
		return r
	}
	r.Lon, r.Lat, r.Direction = pos.Lon, pos.Lat, pos.Direction
	return r
}

func exifProblem(err error) string {
	switch {
	case errors.Is(err, ErrNoEXIF):
		return "no EXIF metadata, so no GPS position"
	case errors.Is(err, ErrNoGPS):
		return "EXIF has no GPS latitude/longitude"
	case errors.Is(err, ErrNotJPEG):
		return "not a JPEG file"
	}
	return err.Error()
}

// csvColumns lists the header names accepted for each CSV column,
// lower-case. The exiftool names let `exiftool -n -csv -GPSLatitude
// -GPSLongitude DIR` output be read directly.
var csvColumns = map[string][]string{
	"id":    {"id", "name", "photo_id"},
	"lat":   {"lat", "latitude", "gpslatitude"},
	"lon":   {"lon", "lng", "long", "longitude", "gpslongitude"},
	"path":  {"path", "file", "filename", "sourcefile", "image"},
	"label": {"label", "class", "category"},
}

// ReadPhotoCSV reads a CSV with a header row naming the columns id, lat,
// lon, path and optionally label (other names: see csvColumns). Latitude
// and longitude are WGS 84 decimal degrees. A row whose position is
// missing or not a number gets a Problem naming the row; a file without
// lat/lon/path columns is an error.
func ReadPhotoCSV(path string) ([]PhotoRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read photo CSV %s: %w", path, err)
	}
	defer f.Close()

	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read photo CSV %s: header: %w", path, err)
	}
	cols, err := csvColumnIndex(header)
	if err != nil {
		return nil, fmt.Errorf("read photo CSV %s: %w", path, err)
	}

	var records []PhotoRecord
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read photo CSV %s: %w", path, err)
		}
		records = append(records, csvRecord(row, cols, line, filepath.Dir(path)))
	}
	return records, nil
}

func csvColumnIndex(header []string) (map[string]int, error) {
	idx := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		for col, aliases := range csvColumns {
			for _, a := range aliases {
				if name == a {
					if _, dup := idx[col]; !dup {
						idx[col] = i
					}
				}
			}
		}
	}
	var missing []string
	for _, col := range []string{"lat", "lon", "path"} {
		if _, ok := idx[col]; !ok {
			missing = append(missing, col)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("header %q has no column %s; expected id,lat,lon,path[,label]", strings.Join(header, ","), strings.Join(missing, ", "))
	}
	return idx, nil
}

func csvRecord(row []string, cols map[string]int, line int, baseDir string) PhotoRecord {
	field := func(col string) string {
		i, ok := cols[col]
		if !ok || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}
	r := PhotoRecord{
		ID: field("id"), Path: field("path"), Label: field("label"),
		Lon: math.NaN(), Lat: math.NaN(), Direction: math.NaN(),
	}
	if r.Path != "" && !filepath.IsAbs(r.Path) {
		r.Path = filepath.Join(baseDir, filepath.FromSlash(r.Path))
	}
	if r.ID == "" {
		r.ID = field("path")
	}
	if r.ID == "" {
		r.ID = fmt.Sprintf("line %d", line)
	}

	lat, errLat := parseDegrees(field("lat"))
	lon, errLon := parseDegrees(field("lon"))
	switch {
	case errLat != nil:
		r.Problem = fmt.Sprintf("line %d: latitude %s", line, errLat)
	case errLon != nil:
		r.Problem = fmt.Sprintf("line %d: longitude %s", line, errLon)
	default:
		r.Lat, r.Lon = lat, lon
	}
	return r
}

func parseDegrees(s string) (float64, error) {
	if s == "" {
		return 0, errors.New("is empty")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a decimal number of degrees", s)
	}
	return v, nil
}

// ReadPhotoGeoJSON reads point features from a GeoJSON file (RFC 7946, so
// WGS 84 longitude, latitude). The properties id (or name), path (or file)
// and label (or class) fill the record. A feature without an id property
// keeps its own feature id. Features that are not points get a Problem.
func ReadPhotoGeoJSON(path string) ([]PhotoRecord, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read photo GeoJSON %s: %w", path, err)
	}
	if err := checkGeoJSONCRS(data); err != nil {
		return nil, fmt.Errorf("read photo GeoJSON %s: %w", path, err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, fmt.Errorf("read photo GeoJSON %s: not a FeatureCollection: %w", path, err)
	}

	records := make([]PhotoRecord, 0, len(fc.Features))
	for i, f := range fc.Features {
		records = append(records, geojsonRecord(f, i, filepath.Dir(path)))
	}
	return records, nil
}

// checkGeoJSONCRS rejects the pre-RFC 7946 "crs" member unless it names
// WGS 84 longitude/latitude, because positions in another CRS would be
// placed wrongly.
func checkGeoJSONCRS(data []byte) error {
	var doc struct {
		CRS *struct {
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
		} `json:"crs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if doc.CRS == nil {
		return nil
	}
	name := strings.ToUpper(doc.CRS.Properties.Name)
	for _, ok := range []string{"CRS84", "EPSG::4326", "EPSG:4326"} {
		if strings.Contains(name, ok) {
			return nil
		}
	}
	return fmt.Errorf("its \"crs\" member names %q; GeoJSON points must be WGS 84 longitude, latitude (RFC 7946), so reproject the file first", doc.CRS.Properties.Name)
}

func geojsonRecord(f *geojson.Feature, i int, baseDir string) PhotoRecord {
	r := PhotoRecord{
		ID:    firstProperty(f.Properties, "id", "name"),
		Path:  firstProperty(f.Properties, "path", "file", "filename", "image"),
		Label: firstProperty(f.Properties, "label", "class", "category"),
		Lon:   math.NaN(), Lat: math.NaN(), Direction: math.NaN(),
	}
	if r.ID == "" && f.ID != nil {
		r.ID = fmt.Sprint(f.ID)
	}
	if r.ID == "" {
		r.ID = fmt.Sprintf("feature %d", i)
	}
	if r.Path != "" && !filepath.IsAbs(r.Path) && !strings.Contains(r.Path, "://") {
		r.Path = filepath.Join(baseDir, filepath.FromSlash(r.Path))
	}

	p, ok := f.Geometry.(orb.Point)
	if !ok {
		r.Problem = fmt.Sprintf("feature %d: geometry is %s, not a Point", i, geometryTypeName(f.Geometry))
		return r
	}
	r.Lon, r.Lat = p[0], p[1]
	return r
}

func geometryTypeName(g orb.Geometry) string {
	if g == nil {
		return "missing"
	}
	return g.GeoJSONType()
}

func firstProperty(p geojson.Properties, keys ...string) string {
	for _, k := range keys {
		if v, ok := p[k]; ok && v != nil {
			return strings.TrimSpace(fmt.Sprint(v))
		}
	}
	return ""
}
