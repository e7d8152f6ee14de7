package geodata

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/airbusgeo/godal"
)

// repoRoot returns the module root, found by walking up to go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// sharedDataFile returns a file under ../shared/data, skipping the test
// when the shared data folder is absent.
func sharedDataFile(t testing.TB, rel string) string {
	t.Helper()
	path := filepath.Join(repoRoot(t), "..", "shared", "data", rel)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared data file %s is absent: %v", path, err)
	}
	return path
}

// testRaster describes a small GeoTIFF written with GDAL for a test.
type testRaster struct {
	width, height int
	bands         int
	dataType      godal.DataType
	geoTransform  *GeoTransform
	crs           string // any OSRSetFromUserInput definition, or WKT
	gcps          []godal.GCP
	gcpCRS        string
	nodata        *float64
	colorInterps  []godal.ColorInterp
	fill          func(band, col, row int) float64
}

// write creates the raster in dir and returns its path.
func (r testRaster) write(t testing.TB, dir, name string) string {
	t.Helper()
	godalInit()
	path := filepath.Join(dir, name)
	if r.dataType == godal.Unknown {
		r.dataType = godal.Byte
	}
	ds, err := godal.Create(godal.GTiff, path, r.bands, r.dataType, r.width, r.height)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	defer func() {
		if err := ds.Close(); err != nil {
			t.Fatalf("close %s: %v", path, err)
		}
	}()
	if r.geoTransform != nil {
		if err := ds.SetGeoTransform(*r.geoTransform); err != nil {
			t.Fatal(err)
		}
	}
	if r.crs != "" {
		sr, err := godal.NewSpatialRef(r.crs)
		if err != nil {
			t.Fatal(err)
		}
		defer sr.Close()
		if err := ds.SetSpatialRef(sr); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.gcps) > 0 {
		sr, err := godal.NewSpatialRef(r.gcpCRS)
		if err != nil {
			t.Fatal(err)
		}
		defer sr.Close()
		if err := ds.SetGCPs(r.gcps, godal.GCPSpatialRef(sr)); err != nil {
			t.Fatal(err)
		}
	}
	for i, band := range ds.Bands() {
		r.writeBand(t, i, band)
	}
	return path
}

func (r testRaster) writeBand(t testing.TB, i int, band godal.Band) {
	t.Helper()
	if r.nodata != nil {
		if err := band.SetNoData(*r.nodata); err != nil {
			t.Fatal(err)
		}
	}
	if i < len(r.colorInterps) {
		if err := band.SetColorInterp(r.colorInterps[i]); err != nil {
			t.Fatal(err)
		}
	}
	if r.fill == nil {
		return
	}
	buf := make([]float64, r.width*r.height)
	for row := 0; row < r.height; row++ {
		for col := 0; col < r.width; col++ {
			buf[row*r.width+col] = r.fill(i+1, col, row)
		}
	}
	if err := band.Write(0, 0, buf, r.width, r.height); err != nil {
		t.Fatal(err)
	}
}

const localCRSWKT = `LOCAL_CS["site grid",UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]`

func TestOpenOlinda(t *testing.T) {
	path := sharedDataFile(t, "olinda/L7_ETMs.tif")
	ds, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	info := ds.Info()
	t.Logf("info: %+v", info.CRS.Name)

	if info.Width != 349 || info.Height != 352 {
		t.Errorf("size = %dx%d, want 349x352", info.Width, info.Height)
	}
	if len(info.Bands) != 6 {
		t.Errorf("bands = %d, want 6", len(info.Bands))
	}
	if info.CRS.EPSG != 31985 {
		t.Errorf("EPSG = %d, want 31985", info.CRS.EPSG)
	}
	if info.CRS.Kind != CRSProjected || info.CRS.Units != "metre" {
		t.Errorf("CRS kind/units = %s/%s, want projected/metre", info.CRS.Kind, info.CRS.Units)
	}
	if info.Georef != GeorefGeoTransform || !info.GeoTransform.IsNorthUp() {
		t.Errorf("georef = %s %v, want a north-up geotransform", info.Georef, info.GeoTransform)
	}
	ll := info.LonLatExtent
	if ll == nil || math.Abs(ll.MinX-(-34.9161)) > 0.001 || math.Abs(ll.MaxY-(-7.9498)) > 0.001 {
		t.Errorf("lon/lat extent = %+v, want about (-34.916, -8.04)-(-34.826, -7.950)", ll)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.tif")
	text := filepath.Join(dir, "notes.tif")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(text, []byte("this is not a raster\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want error
	}{
		{"missing file", filepath.Join(dir, "missing.tif"), fs.ErrNotExist},
		{"empty file", empty, ErrEmptyFile},
		{"text file", text, ErrUnsupportedFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := Open(tt.path)
			if err == nil {
				ds.Close()
				t.Fatalf("Open(%s) succeeded, want %v", tt.path, tt.want)
			}
			t.Logf("error: %v", err)
			if !errors.Is(err, tt.want) {
				t.Errorf("error does not wrap %v", tt.want)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error does not name the file %s", tt.path)
			}
		})
	}
}

func TestOpenGeoreferencing(t *testing.T) {
	dir := t.TempDir()
	fill := func(band, col, row int) float64 { return float64(col + row) }
	tests := []struct {
		name       string
		raster     testRaster
		wantGeoref Georef
		wantKind   CRSKind
		wantEPSG   int
		rotated    bool
		southUp    bool
		lonLat     bool
	}{
		{
			name:       "utm north-up",
			raster:     testRaster{geoTransform: &GeoTransform{500000, 10, 0, 5000000, 0, -10}, crs: "EPSG:32633"},
			wantGeoref: GeorefGeoTransform, wantKind: CRSProjected, wantEPSG: 32633, lonLat: true,
		},
		{
			name:       "rotated",
			raster:     testRaster{geoTransform: &GeoTransform{500000, 8.66, 5, 5000000, 5, -8.66}, crs: "EPSG:32633"},
			wantGeoref: GeorefGeoTransform, wantKind: CRSProjected, wantEPSG: 32633, rotated: true, lonLat: true,
		},
		{
			name:       "south-up",
			raster:     testRaster{geoTransform: &GeoTransform{10, 0.01, 0, 45, 0, 0.01}, crs: "EPSG:4326"},
			wantGeoref: GeorefGeoTransform, wantKind: CRSGeographic, wantEPSG: 4326, southUp: true, lonLat: true,
		},
		{
			name:       "local CRS",
			raster:     testRaster{geoTransform: &GeoTransform{0, 1, 0, 100, 0, -1}, crs: localCRSWKT},
			wantGeoref: GeorefGeoTransform, wantKind: CRSLocal,
		},
		{
			name:       "no georeferencing",
			raster:     testRaster{},
			wantGeoref: GeorefNone, wantKind: CRSNone,
		},
		{
			name: "GCPs only",
			raster: testRaster{gcpCRS: "EPSG:32633", gcps: []godal.GCP{
				{PszId: "1", DfGCPPixel: 0, DfGCPLine: 0, DfGCPX: 500000, DfGCPY: 5000000},
				{PszId: "2", DfGCPPixel: 20, DfGCPLine: 0, DfGCPX: 500200, DfGCPY: 5000000},
				{PszId: "3", DfGCPPixel: 0, DfGCPLine: 10, DfGCPX: 500000, DfGCPY: 4999900},
				{PszId: "4", DfGCPPixel: 20, DfGCPLine: 10, DfGCPX: 500200, DfGCPY: 4999900},
			}},
			wantGeoref: GeorefGCPs, wantKind: CRSProjected, wantEPSG: 32633, lonLat: true,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.raster
			r.width, r.height, r.bands, r.fill = 20, 10, 1, fill
			path := r.write(t, dir, "georef"+string(rune('a'+i))+".tif")
			ds, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer ds.Close()
			info := ds.Info()
			t.Logf("georef %s, gt %v, crs %s, notes %q", info.Georef, info.GeoTransform, info.CRS, info.Notes)

			if info.Georef != tt.wantGeoref {
				t.Errorf("Georef = %s, want %s", info.Georef, tt.wantGeoref)
			}
			if info.CRS.Kind != tt.wantKind {
				t.Errorf("CRS kind = %s, want %s", info.CRS.Kind, tt.wantKind)
			}
			if info.CRS.EPSG != tt.wantEPSG {
				t.Errorf("EPSG = %d, want %d", info.CRS.EPSG, tt.wantEPSG)
			}
			if info.Rotated() != tt.rotated || info.SouthUp() != tt.southUp {
				t.Errorf("rotated, south-up = %v, %v; want %v, %v", info.Rotated(), info.SouthUp(), tt.rotated, tt.southUp)
			}
			_, _, err = ds.PixelToLonLat(1, 1)
			if tt.lonLat && err != nil {
				t.Errorf("PixelToLonLat: %v", err)
			}
			if !tt.lonLat && !errors.Is(err, ErrNoGeographicCRS) {
				t.Errorf("PixelToLonLat error = %v, want ErrNoGeographicCRS", err)
			}
			if (tt.wantGeoref != GeorefGeoTransform || tt.wantKind == CRSLocal) && len(info.Notes) == 0 {
				t.Errorf("no note explains how the raster is shown")
			}
		})
	}
}

func TestGCPFitPlacesPixels(t *testing.T) {
	dir := t.TempDir()
	r := testRaster{width: 20, height: 10, bands: 1, gcpCRS: "EPSG:32633", gcps: []godal.GCP{
		{DfGCPPixel: 0, DfGCPLine: 0, DfGCPX: 500000, DfGCPY: 5000000},
		{DfGCPPixel: 20, DfGCPLine: 0, DfGCPX: 500200, DfGCPY: 5000000},
		{DfGCPPixel: 0, DfGCPLine: 10, DfGCPX: 500000, DfGCPY: 4999900},
	}}
	ds, err := Open(r.write(t, dir, "gcp3.tif"))
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	x, y := ds.Info().GeoTransform.PixelToMap(20, 10)
	if math.Abs(x-500200) > 1e-6 || math.Abs(y-4999900) > 1e-6 {
		t.Errorf("pixel (20,10) -> (%f, %f), want (500200, 4999900)", x, y)
	}
	if ds.Info().GCPFitMaxResidual > 1e-6 {
		t.Errorf("residual = %g, want 0 for three GCPs", ds.Info().GCPFitMaxResidual)
	}
}

func TestLonLatRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := testRaster{width: 20, height: 10, bands: 1, geoTransform: &GeoTransform{170, 1, 0, 10, 0, -1}, crs: "EPSG:4326"}
	ds, err := Open(r.write(t, dir, "antimeridian.tif"))
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	info := ds.Info()
	if ll := info.LonLatExtent; ll == nil || ll.MinX != 170 || ll.MaxX != -170 {
		t.Errorf("lon/lat extent = %+v, want MinX 170 > MaxX -170 across the antimeridian", ll)
	}

	lon, lat, err := ds.PixelToLonLat(15, 5)
	if err != nil {
		t.Fatal(err)
	}
	if lon != -175 || lat != 5 {
		t.Errorf("pixel (15,5) -> (%g, %g), want (-175, 5)", lon, lat)
	}
	col, row, err := ds.LonLatToPixel(lon, lat)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(col-15) > 1e-9 || math.Abs(row-5) > 1e-9 {
		t.Errorf("round trip -> pixel (%g, %g), want (15, 5)", col, row)
	}
}

func TestDatasetCloseAndConcurrency(t *testing.T) {
	dir := t.TempDir()
	r := testRaster{width: 64, height: 64, bands: 1, fill: func(_, col, row int) float64 { return float64((col + row) % 256) }}
	ds, err := Open(r.write(t, dir, "pool.tif"))
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			errs <- ds.WithHandle(func(h *godal.Dataset) error {
				buf := make([]uint8, 8)
				if err := h.Read(g, g, buf, 8, 1); err != nil {
					return err
				}
				if buf[0] != uint8(2*g) {
					return errors.New("wrong value read")
				}
				return nil
			})
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent read: %v", err)
		}
	}

	if err := ds.Close(); err != nil {
		t.Errorf("first Close: %v", err)
	}
	if err := ds.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	err = ds.WithHandle(func(*godal.Dataset) error { return nil })
	if !errors.Is(err, ErrClosed) {
		t.Errorf("WithHandle after Close = %v, want ErrClosed", err)
	}
}

func TestGeoTransformInverse(t *testing.T) {
	tests := []struct {
		name string
		gt   GeoTransform
	}{
		{"north-up", GeoTransform{288776.25, 28.5, 0, 9120760.75, 0, -28.5}},
		{"south-up", GeoTransform{10, 0.01, 0, 45, 0, 0.01}},
		{"rotated", GeoTransform{500000, 8.66, 5, 5000000, 5, -8.66}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range [][2]float64{{0, 0}, {12.5, 7.25}, {-3, 1000}} {
				x, y := tt.gt.PixelToMap(p[0], p[1])
				col, row, err := tt.gt.MapToPixel(x, y)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(col-p[0]) > 1e-7 || math.Abs(row-p[1]) > 1e-7 {
					t.Errorf("pixel %v -> map (%f,%f) -> pixel (%f,%f)", p, x, y, col, row)
				}
			}
		})
	}
	if _, err := (GeoTransform{0, 1, 2, 0, 2, 4}).Inverse(); !errors.Is(err, ErrNotInvertible) {
		t.Errorf("singular Inverse error = %v, want ErrNotInvertible", err)
	}
}
