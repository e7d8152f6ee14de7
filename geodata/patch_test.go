package geodata

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/airbusgeo/godal"
)

// writeRGBRaster writes a 3-band Byte GeoTIFF of width x height pixels
// with geotransform gt in the given EPSG CRS. Every pixel is (100, 150,
// 200) except those for which nodata returns true, which are (0, 0, 0),
// the nodata value.
func writeRGBRaster(t testing.TB, path string, epsg int, gt [6]float64, width, height int, nodata func(col, row int) bool) {
	t.Helper()
	godalInit()
	ds, err := godal.Create(godal.GTiff, path, 3, godal.Byte, width, height)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := godal.NewSpatialRefFromEPSG(epsg)
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	if err := ds.SetSpatialRef(sr); err != nil {
		t.Fatal(err)
	}
	if err := ds.SetGeoTransform(gt); err != nil {
		t.Fatal(err)
	}
	for b, v := range []byte{100, 150, 200} {
		band := ds.Bands()[b]
		if err := band.SetNoData(0); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, width*height)
		for r := 0; r < height; r++ {
			for c := 0; c < width; c++ {
				if !nodata(c, r) {
					buf[r*width+c] = v
				}
			}
		}
		if err := band.Write(0, 0, buf, width, height); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
}

// identityStyle shows bands 1, 2, 3 without a stretch.
var identityStyle = Style{Mode: ModeRGB, Bands: []int{1, 2, 3}, Ranges: [][2]float64{{0, 255}, {0, 255}, {0, 255}}}

func openTestDataset(t *testing.T, path string) *Dataset {
	t.Helper()
	ds, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	return ds
}

func newTestPatchReader(t *testing.T, ds *Dataset, g *Grid, spec PatchSpec, style Style) *PatchReader {
	t.Helper()
	r, err := NewPatchReader(ds, g, spec, style)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestPatchesOfProjectedScene(t *testing.T) {
	// 250 x 250 pixels of 10 m from 290000, 9118000 (2.5 km square), with
	// nodata in the south-east 1 km square.
	path := filepath.Join(t.TempDir(), "rgb.tif")
	writeRGBRaster(t, path, 31985, [6]float64{290000, 10, 0, 9118000, 0, -10}, 250, 250,
		func(c, r int) bool { return c >= 150 && r >= 150 })
	ds := openTestDataset(t, path)
	g, err := NewGridForDataset(ds, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	reader := newTestPatchReader(t, ds, g, PatchSpec{Size: 50}, identityStyle)

	tests := []struct {
		id           string
		wantNoData   float64
		wantEdge     bool
		wantRGBFirst [3]uint8 // first valid pixel
	}{
		{id: "E0290N9117-1000", wantNoData: 0, wantEdge: false, wantRGBFirst: [3]uint8{100, 150, 200}},
		{id: "E0291N9116-1000", wantNoData: 0.25, wantEdge: false, wantRGBFirst: [3]uint8{100, 150, 200}},
		{id: "E0292N9117-1000", wantNoData: 0.5, wantEdge: true, wantRGBFirst: [3]uint8{100, 150, 200}},
		{id: "E0292N9115-1000", wantNoData: 1, wantEdge: true},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			c, err := g.ParseID(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			p, err := reader.Read(c)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(p.NoDataFraction-tt.wantNoData) > 0.03 {
				t.Errorf("nodata fraction = %v, want %v", p.NoDataFraction, tt.wantNoData)
			}
			if p.Edge != tt.wantEdge {
				t.Errorf("edge = %v, want %v", p.Edge, tt.wantEdge)
			}
			for i, ok := range p.Valid {
				if ok {
					got := [3]uint8{p.RGB[3*i], p.RGB[3*i+1], p.RGB[3*i+2]}
					if got != tt.wantRGBFirst {
						t.Errorf("first valid pixel %d = %v, want %v", i, got, tt.wantRGBFirst)
					}
					break
				}
			}
		})
	}
}

func TestPatchCHWNormalisation(t *testing.T) {
	p := &Patch{Size: 1, RGB: []uint8{255, 0, 51, 9, 9, 9}, Valid: []bool{true}}
	p.Size = 1
	spec := PatchSpec{Size: 1, Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.5, 0.5, 0.5}}
	got := p.CHW(spec)
	want := []float32{1, -1, -0.6}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Errorf("CHW = %v, want %v", got, want)
			break
		}
	}

	invalid := &Patch{Size: 1, RGB: []uint8{255, 255, 255}, Valid: []bool{false}}
	for i, v := range invalid.CHW(spec) {
		if v != 0 {
			t.Errorf("invalid pixel channel %d = %v, want 0", i, v)
		}
	}
}

func TestPatchesOfGeographicScene(t *testing.T) {
	// 0.02 degree square around Lund in WGS 84, no nodata.
	path := filepath.Join(t.TempDir(), "lund.tif")
	writeRGBRaster(t, path, 4326, [6]float64{13.18, 0.0001, 0, 55.71, 0, -0.0001}, 200, 200,
		func(c, r int) bool { return false })
	ds := openTestDataset(t, path)
	g, err := NewGridForDataset(ds, 500)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	reader := newTestPatchReader(t, ds, g, PatchSpec{Size: 32, GroundResolutionM: 10}, identityStyle)

	c, ok := g.CellAtLonLat(13.19, 55.70)
	if !ok {
		t.Fatal("no cell at the scene centre")
	}
	p, err := reader.Read(c)
	if err != nil {
		t.Fatal(err)
	}
	if p.NoDataFraction != 0 || p.Edge {
		t.Errorf("centre patch nodata %v, edge %v; want 0, false", p.NoDataFraction, p.Edge)
	}
	if w := p.Footprint.Width(); math.Abs(w-320) > 1e-9 {
		t.Errorf("footprint width = %v m, want 320 (32 px of 10 m)", w)
	}
	if p.RGB[0] != 100 || p.RGB[1] != 150 || p.RGB[2] != 200 {
		t.Errorf("pixel 0 = %v, want 100 150 200", p.RGB[:3])
	}
}

func TestPatchSpecValidate(t *testing.T) {
	tests := []struct {
		name string
		spec PatchSpec
		ok   bool
	}{
		{name: "cover cell", spec: PatchSpec{Size: 64}, ok: true},
		{name: "with normalisation", spec: PatchSpec{Size: 64, GroundResolutionM: 2, Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.2, 0.2, 0.2}}, ok: true},
		{name: "zero size", spec: PatchSpec{}, ok: false},
		{name: "negative resolution", spec: PatchSpec{Size: 8, GroundResolutionM: -1}, ok: false},
		{name: "two channels", spec: PatchSpec{Size: 8, Mean: []float32{0, 0}, Std: []float32{1, 1}}, ok: false},
		{name: "zero std", spec: PatchSpec{Size: 8, Mean: []float32{0, 0, 0}, Std: []float32{1, 0, 1}}, ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.spec.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestOlindaPatches(t *testing.T) {
	path := filepath.Join(sharedDataDir(t, "olinda"), "L7_ETMs.tif")
	ds := openTestDataset(t, path)
	g, err := NewGridForDataset(ds, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	style, err := DefaultPatchStyle(ds)
	if err != nil {
		t.Fatal(err)
	}
	if len(style.Bands) != 3 || style.Bands[0] != 3 || style.Bands[2] != 1 {
		t.Errorf("style bands = %v, want Landsat 3,2,1", style.Bands)
	}
	reader := newTestPatchReader(t, ds, g, PatchSpec{Size: 64, GroundResolutionM: 15.625}, style)

	centre, err := reader.Read(Cell{Row: 5, Col: 5})
	if err != nil {
		t.Fatal(err)
	}
	corner, err := reader.Read(Cell{Row: 0, Col: 0})
	if err != nil {
		t.Fatal(err)
	}
	if centre.NoDataFraction != 0 || centre.Edge {
		t.Errorf("centre cell nodata %v edge %v, want 0 false", centre.NoDataFraction, centre.Edge)
	}
	if !corner.Edge || corner.NoDataFraction < 0.3 {
		t.Errorf("corner cell nodata %v edge %v, want > 0.3 true (the scene starts 776 m east, 239 m south of it)", corner.NoDataFraction, corner.Edge)
	}
	var sum float64
	for _, v := range centre.RGB {
		sum += float64(v)
	}
	if mean := sum / float64(len(centre.RGB)); mean < 20 || mean > 235 {
		t.Errorf("centre patch mean %v: the stretch should spread the dark Landsat values", mean)
	}
}

func BenchmarkPatchRead(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "rgb.tif")
	writeRGBRaster(b, path, 31985, [6]float64{290000, 1, 0, 9118000, 0, -1}, 3000, 3000, func(c, r int) bool { return false })
	ds, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Close()
	g, err := NewGridForDataset(ds, 1000)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	reader, err := NewPatchReader(ds, g, PatchSpec{Size: 64, GroundResolutionM: 2}, identityStyle)
	if err != nil {
		b.Fatal(err)
	}
	defer reader.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := reader.Read(Cell{Row: i % 3, Col: (i / 3) % 3}); err != nil {
			b.Fatal(err)
		}
	}
}
