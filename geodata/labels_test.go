package geodata

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airbusgeo/godal"
)

func olindaTracts(t *testing.T) string {
	t.Helper()
	return filepath.Join(sharedDataDir(t, "olinda"), "olinda1.shp")
}

func TestOlindaTractLabels(t *testing.T) {
	shp := olindaTracts(t)
	tests := []struct {
		name        string
		cellSizeM   float64
		wantAny     int // cells with any label coverage
		wantLabeled int // cells at least half covered
	}{
		{name: "1 km", cellSizeM: 1000, wantAny: 62, wantLabeled: 42},
		{name: "500 m", cellSizeM: 500, wantAny: 209, wantLabeled: 166},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGrid(t, olindaFootprint, tt.cellSizeM)
			labels, err := ReadPolygonLabels(context.Background(), shp, g, OlindaTractLabels)
			if err != nil {
				t.Fatal(err)
			}
			if labels.Features != 470 || len(labels.Unmapped) != 0 || labels.Skipped != 0 {
				t.Errorf("features %d, unmapped %v, skipped %d; want 470, none, 0", labels.Features, labels.Unmapped, labels.Skipped)
			}

			for _, c := range g.Cells() {
				l := labels.Label(c)
				sum := l.Unlabelled
				for _, f := range l.Fractions {
					if f < 0 || f > 1 {
						t.Fatalf("cell %s fraction %v outside 0..1", g.ID(c), f)
					}
					sum += f
				}
				if math.Abs(sum-1) > 1e-9 {
					t.Fatalf("cell %s: urban %v + rural %v + unlabelled %v = %v, want 1", g.ID(c), l.Fractions[0], l.Fractions[1], l.Unlabelled, sum)
				}
			}
			// A few cells either way allow for GDAL versions that
			// rasterize polygon edges slightly differently.
			if n := labels.LabelledCells(0); abs(n-tt.wantAny) > 3 {
				t.Errorf("%d cells have some label, want %d +- 3", n, tt.wantAny)
			}
			if n := labels.LabelledCells(DefaultMinLabelCoverage); abs(n-tt.wantLabeled) > 3 {
				t.Errorf("%d cells are at least half labelled, want %d +- 3", n, tt.wantLabeled)
			}
		})
	}
}

// TestOlindaTractAreaMatchesOGR compares the rasterized urban and rural
// areas with the polygon areas that OGR computes after reprojecting the
// tracts to the grid CRS (tracts beyond the scene are clipped by the
// grid, so the comparison keeps only tracts inside the grid extent).
func TestOlindaTractAreaMatchesOGR(t *testing.T) {
	shp := olindaTracts(t)
	g := newTestGrid(t, olindaFootprint, 1000)
	labels, err := ReadPolygonLabels(context.Background(), shp, g, OlindaTractLabels)
	if err != nil {
		t.Fatal(err)
	}

	var rasterArea [2]float64
	cellArea := g.CellSize() * g.CellSize()
	for _, c := range g.Cells() {
		l := labels.Label(c)
		rasterArea[0] += l.Fractions[0] * cellArea
		rasterArea[1] += l.Fractions[1] * cellArea
	}

	ogrArea, outside := ogrClassAreas(t, shp, g)
	if outside > 0 {
		t.Logf("%d tracts reach beyond the grid; their area is counted whole", outside)
	}
	for i, name := range []string{"urban", "rural"} {
		rel := math.Abs(rasterArea[i]-ogrArea[i]) / ogrArea[i]
		t.Logf("%s: rasterized %.3f km2, OGR %.3f km2 (%.2f %%)", name, rasterArea[i]/1e6, ogrArea[i]/1e6, rel*100)
		if rel > 0.01 {
			t.Errorf("%s area differs by %.2f %% from OGR's, want under 1 %%", name, rel*100)
		}
	}
}

// ogrClassAreas sums the polygon areas per class in the grid CRS.
func ogrClassAreas(t *testing.T, shp string, g *Grid) (areas [2]float64, outside int) {
	t.Helper()
	ds, err := godal.Open(shp, godal.VectorOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	gridSR, err := godal.NewSpatialRefFromEPSG(g.EPSG())
	if err != nil {
		t.Fatal(err)
	}
	defer gridSR.Close()
	layer := ds.Layers()[0]
	toGrid, err := godal.NewTransform(layer.SpatialRef(), gridSR)
	if err != nil {
		t.Fatal(err)
	}
	defer toGrid.Close()

	extent := g.Extent()
	for f := layer.NextFeature(); f != nil; f = layer.NextFeature() {
		geom := f.Geometry()
		if err := geom.Transform(toGrid); err != nil {
			t.Fatal(err)
		}
		b, _ := geom.Bounds()
		if b[0] < extent.MinX || b[1] < extent.MinY || b[2] > extent.MaxX || b[3] > extent.MaxY {
			outside++
		}
		class := 0
		if f.Fields()["TIPO"].String() == "RURAL" {
			class = 1
		}
		areas[class] += geom.Area()
		f.Close()
	}
	return areas, outside
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func TestPolygonLabelErrors(t *testing.T) {
	shp := olindaTracts(t)
	noPRJ := t.TempDir()
	for _, ext := range []string{".shp", ".shx", ".dbf"} {
		data, err := os.ReadFile(strings.TrimSuffix(shp, ".shp") + ext)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(noPRJ, "tracts"+ext), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g := newTestGrid(t, olindaFootprint, 1000)

	tests := []struct {
		name    string
		path    string
		opts    PolygonLabelOptions
		wantErr string
	}{
		{name: "no field given", path: shp, opts: PolygonLabelOptions{}, wantErr: "class attribute missing"},
		{name: "unknown field", path: shp, opts: PolygonLabelOptions{Field: "KIND"}, wantErr: `no attribute "KIND"`},
		{name: "unknown layer", path: shp, opts: PolygonLabelOptions{Field: "TIPO", Layer: "roads"}, wantErr: `no layer "roads"; the file has olinda1`},
		{name: "layer without CRS", path: filepath.Join(noPRJ, "tracts.shp"), opts: OlindaTractLabels, wantErr: "has no CRS"},
		{name: "missing file", path: filepath.Join(noPRJ, "none.shp"), opts: OlindaTractLabels, wantErr: "none.shp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadPolygonLabels(context.Background(), tt.path, g, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestPolygonLabelsUnmappedValues(t *testing.T) {
	shp := olindaTracts(t)
	g := newTestGrid(t, olindaFootprint, 1000)
	opts := PolygonLabelOptions{Field: "TIPO", Mapping: map[string]string{"URBANO": "urban"}}
	labels, err := ReadPolygonLabels(context.Background(), shp, g, opts)
	if err != nil {
		t.Fatal(err)
	}
	if labels.Unmapped["RURAL"] != 12 {
		t.Errorf("unmapped = %v, want RURAL: 12", labels.Unmapped)
	}
	if len(labels.Classes) != 1 || labels.Classes[0] != "urban" || labels.Features != 458 {
		t.Errorf("classes %v, features %d; want [urban], 458", labels.Classes, labels.Features)
	}
}

// writeClassRaster writes a 30 x 20 class raster of 100 m pixels in
// EPSG:31985 with its north-west corner at 290000, 9118000: value 1 in
// columns 0-14, value 2 in columns 15-29, and nodata (0) in rows 0-4.
func writeClassRaster(t *testing.T, path string) {
	t.Helper()
	godalInit()
	ds, err := godal.Create(godal.GTiff, path, 1, godal.Byte, 30, 20)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := godal.NewSpatialRefFromEPSG(31985)
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	if err := ds.SetSpatialRef(sr); err != nil {
		t.Fatal(err)
	}
	if err := ds.SetGeoTransform([6]float64{290000, 100, 0, 9118000, 0, -100}); err != nil {
		t.Fatal(err)
	}
	if err := ds.Bands()[0].SetNoData(0); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 30*20)
	for r := 5; r < 20; r++ {
		for c := 0; c < 30; c++ {
			buf[r*30+c] = 1
			if c >= 15 {
				buf[r*30+c] = 2
			}
		}
	}
	if err := ds.Bands()[0].Write(0, 0, buf, 30, 20); err != nil {
		t.Fatal(err)
	}
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRasterLabels(t *testing.T) {
	dir := t.TempDir()
	utm := filepath.Join(dir, "classes.tif")
	writeClassRaster(t, utm)

	// The same raster warped to longitude/latitude, to test reprojection.
	src, err := godal.Open(utm)
	if err != nil {
		t.Fatal(err)
	}
	geo := filepath.Join(dir, "classes_4326.tif")
	warped, err := src.Warp(geo, []string{"-t_srs", "EPSG:4326", "-r", "near", "-of", "GTiff", "-tr", "0.0001", "0.0001"})
	if err != nil {
		t.Fatal(err)
	}
	warped.Close()
	src.Close()

	g := newTestGrid(t, olindaFootprint, 1000)
	opts := RasterLabelOptions{Values: map[int]string{1: "urban", 2: "rural"}, Classes: []string{"urban", "rural"}}

	tests := []struct {
		name      string
		path      string
		tolerance float64
	}{
		{name: "same CRS", path: utm, tolerance: 1e-9},
		{name: "reprojected from degrees", path: geo, tolerance: 0.03},
	}
	want := map[string][3]float64{ // urban, rural, unlabelled
		"E0290N9116-1000": {1, 0, 0},
		"E0291N9116-1000": {0.5, 0.5, 0},
		"E0292N9116-1000": {0, 1, 0},
		"E0290N9117-1000": {0.5, 0, 0.5},
		"E0292N9117-1000": {0, 0.5, 0.5},
		"E0293N9116-1000": {0, 0, 1},
		"E0290N9115-1000": {0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labels, err := ReadRasterLabels(context.Background(), tt.path, g, opts)
			if err != nil {
				t.Fatal(err)
			}
			for id, w := range want {
				c, err := g.ParseID(id)
				if err != nil {
					t.Fatal(err)
				}
				l := labels.Label(c)
				got := [3]float64{l.Fractions[0], l.Fractions[1], l.Unlabelled}
				for i := range got {
					if math.Abs(got[i]-w[i]) > tt.tolerance {
						t.Errorf("cell %s: urban, rural, unlabelled = %v, want %v", id, got, w)
						break
					}
				}
			}
			// Warping to degrees and back can leave slivers of a few
			// samples in neighbouring cells, hence the 5 % threshold.
			if n := labels.LabelledCells(0.05); n != 6 {
				t.Errorf("%d cells more than 5 %% labelled, want 6", n)
			}
		})
	}
}

func TestRasterLabelsUnmappedAndDefaultClasses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "classes.tif")
	writeClassRaster(t, path)
	g := newTestGrid(t, olindaFootprint, 1000)

	labels, err := ReadRasterLabels(context.Background(), path, g, RasterLabelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(labels.Classes) != 2 || labels.Classes[0] != "1" || labels.Classes[1] != "2" {
		t.Errorf("classes = %v, want [1 2] from the pixel values", labels.Classes)
	}
	if labels.Supersample != 10 {
		t.Errorf("supersample = %d, want 10 (1000 m cells over 100 m pixels)", labels.Supersample)
	}

	only := RasterLabelOptions{Values: map[int]string{2: "rural"}}
	labels, err = ReadRasterLabels(context.Background(), path, g, only)
	if err != nil {
		t.Fatal(err)
	}
	if labels.Unmapped["1"] != 15*15 {
		t.Errorf("unmapped = %v, want value 1 with %d samples", labels.Unmapped, 15*15)
	}
}

// BenchmarkOlindaTractLabels rasterizes the 470 Olinda tracts onto the
// 21 x 21 cells of a 500 m grid at 20 x 20 samples per cell.
func BenchmarkOlindaTractLabels(b *testing.B) {
	shp := filepath.Join("..", "..", "shared", "data", "olinda", "olinda1.shp")
	if _, err := os.Stat(shp); err != nil {
		b.Skipf("real data absent: %v", err)
	}
	g, err := NewGrid(olindaFootprint, 500)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	for i := 0; i < b.N; i++ {
		if _, err := ReadPolygonLabels(context.Background(), shp, g, OlindaTractLabels); err != nil {
			b.Fatal(err)
		}
	}
}
