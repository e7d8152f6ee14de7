package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/downthere/downthere/assets"
	"github.com/downthere/downthere/geodata"
	"github.com/downthere/downthere/inference"
	"github.com/downthere/downthere/models"
	"github.com/downthere/downthere/training"
	"github.com/downthere/downthere/ui"
)

// testSetDir holds the untrained models with the real contract that the
// inference tests use.
const testSetDir = "../../inference/testdata/testset"

// olindaFiles extracts the embedded Olinda scene into a test folder.
func olindaFiles(t *testing.T) assets.Scene {
	t.Helper()
	s, err := assets.ExtractDefaultScene(t.TempDir())
	if err != nil {
		t.Fatalf("extract the default scene: %v", err)
	}
	return s
}

// openOlinda opens the Olinda scene with 960 m cells (32 px at 30 m, the
// test model set's patch).
func openOlinda(t *testing.T) (*guiScene, assets.Scene) {
	t.Helper()
	files := olindaFiles(t)
	gs, err := openGUIScene(files.Raster, 960, geodata.NewTileCache(64<<20))
	if err != nil {
		t.Fatalf("open %s: %v", files.Raster, err)
	}
	t.Cleanup(func() { gs.Close() })
	return gs, files
}

func TestGUISceneDescribesOlinda(t *testing.T) {
	gs, _ := openOlinda(t)
	info := gs.Info()
	if !strings.Contains(info.CRS, "EPSG:31985") {
		t.Errorf("CRS %q, want EPSG:31985", info.CRS)
	}
	if info.Units != "m" || math.Abs(info.PixelSize-28.5) > 1e-6 || info.Width != 349 || info.Height != 352 || info.Bands != 6 {
		t.Errorf("info %+v, want metres, 28.5 m pixels, 349x352, 6 bands", info)
	}
	if !info.HasLonLat {
		t.Error("a UTM scene has no longitude/latitude")
	}
}

func TestGUISceneLocateMatchesGeoTransform(t *testing.T) {
	gs, _ := openOlinda(t)
	gt := gs.ds.Info().GeoTransform
	tests := []struct {
		name     string
		col, row int
	}{
		{"top-left pixel", 0, 0},
		{"inner pixel", 100, 50},
		{"bottom-right pixel", 348, 351},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, y := gt.PixelToMap(float64(tc.col)+0.5, float64(tc.row)+0.5)
			loc := gs.Locate(ui.MapPoint{X: x, Y: y})
			if !loc.Inside || loc.Col != tc.col || loc.Row != tc.row {
				t.Errorf("Locate = %+v, want inside at col %d row %d", loc, tc.col, tc.row)
			}
		})
	}
	// gdalinfo gives the upper-left corner as 34d54'58.20"W, 7d56'59.36"S.
	x, y := gt.PixelToMap(0, 0)
	loc := gs.Locate(ui.MapPoint{X: x, Y: y})
	wantLon, wantLat := -(34 + 54.0/60 + 58.20/3600), -(7 + 56.0/60 + 59.36/3600)
	if !loc.HasLonLat || math.Abs(loc.Lon-wantLon) > 1e-5 || math.Abs(loc.Lat-wantLat) > 1e-5 {
		t.Errorf("upper-left corner at lon %.6f lat %.6f, gdalinfo says %.6f %.6f", loc.Lon, loc.Lat, wantLon, wantLat)
	}
	if out := gs.Locate(ui.MapPoint{X: x - 100, Y: y + 100}); out.Inside {
		t.Errorf("a point outside the raster is inside: %+v", out)
	}
}

func TestGUISceneRendersWithContrast(t *testing.T) {
	gs, _ := openOlinda(t)
	v := ui.FitView(gs.Info().Extent, 400, 400)
	dst := image.NewRGBA(image.Rect(0, 0, 400, 400))
	if err := gs.Render(context.Background(), v, dst); err != nil {
		t.Fatal(err)
	}
	var sum, sumSq [3]float64
	n := 0
	for i := 0; i < len(dst.Pix); i += 4 {
		if dst.Pix[i+3] != 255 {
			continue
		}
		for c := 0; c < 3; c++ {
			f := float64(dst.Pix[i+c])
			sum[c] += f
			sumSq[c] += f * f
		}
		n++
	}
	if n < 400*400*9/10 {
		t.Fatalf("%d opaque pixels of %d, want the scene to fill the fitted view", n, 400*400)
	}
	for c := 0; c < 3; c++ {
		mean := sum[c] / float64(n)
		std := math.Sqrt(sumSq[c]/float64(n) - mean*mean)
		t.Logf("channel %d: mean %.1f, std %.1f", c, mean, std)
		if std < 25 || mean < 40 || mean > 215 {
			t.Errorf("channel %d has mean %.1f and std %.1f: the stretch leaves the scene too flat or too dark", c, mean, std)
		}
	}
}

func TestGUISceneBandValues(t *testing.T) {
	gs, _ := openOlinda(t)
	gt := gs.ds.Info().GeoTransform
	x, y := gt.PixelToMap(10.5, 20.5)
	vals, err := gs.Values(context.Background(), ui.MapPoint{X: x, Y: y})
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := gs.ds.PixelValues(10, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 6 || len(raw) != 6 {
		t.Fatalf("%d values, want 6 bands", len(vals))
	}
	for i := range vals {
		if vals[i].Value != raw[i].Value {
			t.Errorf("band %d value %v, GDAL reads %v", i+1, vals[i].Value, raw[i].Value)
		}
	}
}

func TestGUIGridMatchesGeodata(t *testing.T) {
	gs, _ := openOlinda(t)
	gg := guiGrid{gs.grid}
	ext := gs.Info().Extent
	rects := []ui.MapRect{
		ext,
		{MinX: ext.MinX + 1000, MinY: ext.MinY + 2000, MaxX: ext.MinX + 3500, MaxY: ext.MinY + 2100},
		{MinX: ext.MaxX - 10, MinY: ext.MaxY - 10, MaxX: ext.MaxX + 5000, MaxY: ext.MaxY + 5000},
	}
	for i, r := range rects {
		c0, r0, c1, r1, ok := gg.Span(r)
		cells := gs.grid.CellsInGrid(geodata.Bounds{MinX: r.MinX, MinY: r.MinY, MaxX: r.MaxX, MaxY: r.MaxY})
		if !ok || len(cells) == 0 {
			t.Errorf("rect %d: Span ok=%v, geodata lists %d cells", i, ok, len(cells))
			continue
		}
		first, last := cells[0], cells[len(cells)-1]
		if c0 != first.Col || r0 != first.Row || c1 != last.Col || r1 != last.Row {
			t.Errorf("rect %d: Span %d,%d..%d,%d, geodata %+v..%+v", i, c0, r0, c1, r1, first, last)
		}
	}
	cell := gg.Cell(3, 2)
	got, ok := gg.CellAt(cell.Bounds.Center())
	if !ok || got.ID != cell.ID || got.ID != gs.grid.ID(geodata.Cell{Row: 2, Col: 3}) {
		t.Errorf("CellAt(centre of %s) = %s, %v", cell.ID, got.ID, ok)
	}
}

func TestGUILabelsFromCensusTracts(t *testing.T) {
	gs, files := openOlinda(t)
	l, err := openGUILabels(context.Background(), files.Labels, gs)
	if err != nil {
		t.Fatal(err)
	}
	if names := []string{l.classes[0].Name, l.classes[1].Name}; names[0] != "urban" || names[1] != "rural" {
		t.Errorf("classes %v, want urban, rural", names)
	}
	labelled := 0
	for _, c := range gs.grid.Cells() {
		k, ok := l.CellLabel(c.Col, c.Row)
		want := l.layer.Label(c).Class(geodata.DefaultMinLabelCoverage)
		if ok != (want >= 0) || ok && k != want {
			t.Fatalf("cell %v: CellLabel %d, %v; geodata says %d", c, k, ok, want)
		}
		if ok {
			labelled++
		}
	}
	if labelled == 0 {
		t.Error("no cell is labelled by the census tracts")
	}
}

func TestGUILabelsRejectUnknownAttribute(t *testing.T) {
	gs, _ := openOlinda(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "zones.geojson")
	doc := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"a"},"geometry":{"type":"Polygon","coordinates":[[[-34.9,-8.0],[-34.85,-8.0],[-34.85,-7.96],[-34.9,-7.96],[-34.9,-8.0]]]}}]}`
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := openGUILabels(context.Background(), path, gs)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "TIPO") {
		t.Errorf("error %v, want one naming the file and the attributes tried", err)
	}
}

// testModels loads the test model set on CPU, or skips when the ONNX
// Runtime library is not installed.
func testModels(t *testing.T) *guiModels {
	t.Helper()
	return testModelsFrom(t, testSetDir)
}

// testModelsFrom is testModels for the set in dir.
func testModelsFrom(t *testing.T, dir string) *guiModels {
	t.Helper()
	flags := &runtimeFlags{provider: "cpu", models: dir}
	rt, err := flags.startRuntime()
	if err != nil {
		t.Skipf("ONNX Runtime library not available (run scripts/install-deps): %v", err)
	}
	opts, err := flags.options()
	if err != nil {
		t.Fatal(err)
	}
	info, err := flags.setInfo(0)
	if err != nil {
		t.Fatal(err)
	}
	reg := inference.NewRegistry(rt, opts)
	t.Cleanup(func() { reg.Close() })
	set, err := reg.Load(context.Background(), info)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Swap(set); err != nil {
		t.Fatal(err)
	}
	m, err := newGUIModels(reg, set)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGUIModelsGenerateIsReproducible(t *testing.T) {
	m := testModels(t)
	gs, _ := openOlinda(t)
	scene := &ui.Scene{Source: gs, Grid: guiGrid{gs.grid}}
	cell := guiGrid{gs.grid}.Cell(4, 4)

	run := func(seed int64, variety float64) []image.Image {
		imgs := make([]image.Image, 16)
		err := m.Generate(context.Background(), scene, cell, ui.ViewRequest{Seed: seed, Count: 16, Variety: variety}, func(i int, img image.Image) { imgs[i] = img })
		if err != nil {
			t.Fatal(err)
		}
		return imgs
	}
	a, b, c := run(7, 0), run(7, 0), run(8, 0)
	for i := range a {
		if a[i] == nil || a[i].Bounds().Dx() != 64 || a[i].Bounds().Dy() != 64 {
			t.Fatalf("view %d is %v, want a 64x64 image", i, a[i])
		}
		if !bytes.Equal(a[i].(*image.RGBA).Pix, b[i].(*image.RGBA).Pix) {
			t.Errorf("view %d differs between two runs with seed 7", i)
		}
	}
	if bytes.Equal(a[0].(*image.RGBA).Pix, c[0].(*image.RGBA).Pix) {
		t.Error("seeds 7 and 8 give the same first view")
	}

	// The test set's generator has noise scale 1, so variety 1 is its default.
	if d := m.DefaultVariety(); d != 1 {
		t.Fatalf("DefaultVariety() = %g, want the test set's noise scale 1", d)
	}
	if same := run(7, 1); !bytes.Equal(a[3].(*image.RGBA).Pix, same[3].(*image.RGBA).Pix) {
		t.Error("variety 1, the default, gives other views than variety 0")
	}
	if less := run(7, 0.3); bytes.Equal(a[3].(*image.RGBA).Pix, less[3].(*image.RGBA).Pix) {
		t.Error("variety 0.3 gives the views of the default variety")
	}
	for _, bad := range []float64{-0.5, 0.01, 2, math.NaN(), math.Inf(1)} {
		err := m.Generate(context.Background(), scene, cell, ui.ViewRequest{Seed: 7, Count: 1, Variety: bad}, func(int, image.Image) {})
		if err == nil || !strings.Contains(err.Error(), "variety") {
			t.Errorf("variety %g: error %v, want one naming the variety", bad, err)
		}
	}
}

// A generator exported with noise scale 0.5 draws its default views with
// noise of standard deviation 0.5: variety 0.5 gives them, and variety 1
// doubles the noise.
func TestGUIModelsVarietyScalesNoise(t *testing.T) {
	dir := t.TempDir()
	entries, err := os.ReadDir(testSetDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		data, err := os.ReadFile(filepath.Join(testSetDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "generator.onnx.json" {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			m["training"].(map[string]any)["config"] = map[string]any{"noise_scale": 0.5}
			if data, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := testModelsFrom(t, dir)
	if d := m.DefaultVariety(); d != 0.5 {
		t.Fatalf("DefaultVariety() = %g, want the manifest's noise scale 0.5", d)
	}
	gs, _ := openOlinda(t)
	scene := &ui.Scene{Source: gs, Grid: guiGrid{gs.grid}}
	cell := guiGrid{gs.grid}.Cell(3, 5)
	views := func(variety float64) []image.Image {
		imgs := make([]image.Image, 4)
		err := m.Generate(context.Background(), scene, cell, ui.ViewRequest{Seed: 11, Count: 4, Variety: variety}, func(i int, img image.Image) { imgs[i] = img })
		if err != nil {
			t.Fatal(err)
		}
		return imgs
	}

	patch, err := m.cellPatch(scene, cell)
	if err != nil {
		t.Fatal(err)
	}
	cond, err := m.ms.Encode(context.Background(), [][]float32{patch})
	if err != nil {
		t.Fatal(err)
	}
	doubled, err := m.ms.GenerateRange(context.Background(), cond[0], 0, 4, 11, 2)
	if err != nil {
		t.Fatal(err)
	}
	byDefault, half, full := views(0), views(0.5), views(1)
	for i := range byDefault {
		if !bytes.Equal(byDefault[i].(*image.RGBA).Pix, half[i].(*image.RGBA).Pix) {
			t.Errorf("view %d: variety 0.5 differs from the default", i)
		}
		want, err := inference.ImageToRGBA(doubled[i], 64, 64)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(full[i].(*image.RGBA).Pix, want.Pix) {
			t.Errorf("view %d: variety 1 differs from the generator's views at noise factor 2", i)
		}
	}
}

func TestGUIClassifyMatchesClassifyGrid(t *testing.T) {
	m := testModels(t)
	gs, _ := openOlinda(t)
	gg := guiGrid{gs.grid}
	scene := &ui.Scene{Source: gs, Grid: gg}
	var cells []ui.Cell
	for col := 2; col < 6; col++ {
		cells = append(cells, gg.Cell(col, 3))
	}
	got := map[string][]float32{}
	var mu sync.Mutex
	err := m.Classify(context.Background(), scene, cells, func(r ui.CellResult) {
		mu.Lock()
		got[r.Cell.ID] = r.Probs
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cells) {
		t.Fatalf("%d results for %d cells", len(got), len(cells))
	}

	// The export path classifies the whole grid in one call; a cell must
	// get the same probabilities either way.
	res, err := geodata.ClassifyGrid(context.Background(), gs.ds, gs.grid, gridClassifier{m}, geodata.ClassifyOptions{Style: gs.layer.Style()})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		want := res.Cell(geodata.Cell{Row: c.Row, Col: c.Col}).Probs
		p := got[c.ID]
		if len(p) != 2 || len(want) != 2 {
			t.Fatalf("cell %s: probabilities %v and %v, want 2 classes", c.ID, p, want)
		}
		for k := range p {
			if math.Abs(float64(p[k]-want[k])) > 1e-5 {
				t.Errorf("cell %s class %d: job %v, whole-grid run %v", c.ID, k, p[k], want[k])
			}
		}
		if s := p[0] + p[1]; math.Abs(float64(s)-1) > 1e-3 {
			t.Errorf("cell %s probabilities sum to %v", c.ID, s)
		}
	}
}

func TestGUIExporterWritesGeoJSON(t *testing.T) {
	m := testModels(t)
	gs, _ := openOlinda(t)
	gg := guiGrid{gs.grid}
	scene := &ui.Scene{Source: gs, Grid: gg}
	app := &guiApp{ortVersion: "test"}
	app.slot.set(m)
	exp := &guiExporter{app: app}

	var results []ui.CellResult
	err := m.Classify(context.Background(), scene, []ui.Cell{gg.Cell(4, 4), gg.Cell(5, 4)}, func(r ui.CellResult) { results = append(results, r) })
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "zones.geojson")
	req := ui.ExportRequest{Scene: scene, Format: string(geodata.FormatGeoJSON), Path: out, Classes: m.Classes(), Results: results}
	if err := exp.Export(context.Background(), req, func(int, int) {}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		t.Fatalf("export is not GeoJSON: %v", err)
	}
	if len(fc.Features) == 0 {
		t.Error("export has no features")
	}
	if _, err := os.Stat(out + geodata.ProvenanceSuffix); err != nil {
		t.Errorf("no provenance beside the export: %v", err)
	}

	req.Path = filepath.Join(t.TempDir(), "zones.kml")
	if err := exp.Export(context.Background(), req, func(int, int) {}); err == nil || !strings.Contains(err.Error(), "extension") {
		t.Errorf("GeoJSON chosen with a .kml name: error %v, want one about the extension", err)
	}
}

func TestModelsForSceneSwitchesToNearestSet(t *testing.T) {
	m := testModels(t)
	g := &guiApp{flags: &runtimeFlags{provider: "cpu"}, log: discardLogger(), reg: m.reg, cache: geodata.NewTileCache(1 << 20)}
	g.slot.set(m)
	active := func() string { return g.slot.get().ms.Name() }

	sm := g.modelsForScene(1.0)
	if !sm.pending || sm.m.ms.Name() != "ucmerced-1.2m" {
		t.Fatalf("a 1 m scene got model set %s (pending %v), want ucmerced-1.2m pending", sm.m.ms.Name(), sm.pending)
	}
	g.finishSceneModels(sm, false)
	if active() != m.ms.Name() {
		t.Errorf("after a failed open the active set is %s, want %s", active(), m.ms.Name())
	}

	sm = g.modelsForScene(28.5)
	g.finishSceneModels(sm, true)
	if active() != "olinda-landsat-30m" {
		t.Errorf("after a 28.5 m scene opened the active set is %s, want olinda-landsat-30m", active())
	}

	notRaster := filepath.Join(t.TempDir(), "notes.tif")
	if err := os.WriteFile(notRaster, []byte("not a raster"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := g.openScene(context.Background(), notRaster, ui.OpenOptions{}); err == nil {
		t.Fatal("openScene accepted a text file")
	}
	if active() != "olinda-landsat-30m" {
		t.Errorf("a failed open switched the active set to %s", active())
	}

	g.chosenModels = true
	if sm := g.modelsForScene(1.0); sm.pending || sm.m.ms.Name() != "olinda-landsat-30m" {
		t.Errorf("after the user chose a set, a 1 m scene got %s (pending %v)", sm.m.ms.Name(), sm.pending)
	}
	g.chosenModels = false
	g.flags.models = testSetDir
	if sm := g.modelsForScene(1.0); sm.pending {
		t.Errorf("with --models, a 1 m scene got the pending set %s", sm.m.ms.Name())
	}
}

func TestGUIExportKeepsNoDataFraction(t *testing.T) {
	gs, _ := openOlinda(t)
	gg := guiGrid{gs.grid}
	classes := []ui.Class{{Name: "urban"}, {Name: "rural"}}
	req := ui.ExportRequest{Classes: classes, Results: []ui.CellResult{
		{Cell: gg.Cell(0, 0), NoDataFraction: 0.78},
		{Cell: gg.Cell(1, 0), Probs: []float32{0.9, 0.1}, NoDataFraction: 0.25},
	}}
	res := resultOf(gs.grid, req)
	tests := []struct {
		col        int
		wantStatus geodata.CellStatus
		wantNoData float64
	}{
		{0, geodata.CellNoData, 0.78},
		{1, geodata.CellClassified, 0.25},
	}
	for _, tc := range tests {
		cr := res.Cell(geodata.Cell{Row: 0, Col: tc.col})
		if cr.Status != tc.wantStatus || cr.NoDataFraction != tc.wantNoData {
			t.Errorf("cell (%d, 0): status %v, nodata fraction %v; want %v, %v", tc.col, cr.Status, cr.NoDataFraction, tc.wantStatus, tc.wantNoData)
		}
	}
}

func TestGUIViewerShowsDefaultScene(t *testing.T) {
	m := testModels(t)
	files := olindaFiles(t)
	test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(1200, 800))

	g := &guiApp{cache: geodata.NewTileCache(64 << 20), log: discardLogger()}
	g.slot.set(m)
	svc := g.services()
	svc.Models = ui.Models{Generator: m, Classifier: m, Status: runtimeStatus(m.ms)}
	v := ui.NewViewer(win, svc)
	t.Cleanup(v.Close)
	opened := make(chan error, 1)
	v.OnSceneOpened = func(err error) { opened <- err }
	v.OpenScene(ui.ScenePaths{Imagery: files.Raster, Labels: files.Labels}, ui.OpenOptions{}, nil)
	select {
	case err := <-opened:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the default scene did not open within 30 s")
	}
	s := v.Map.Scene()
	if s == nil || s.Labels == nil {
		t.Fatal("scene or its census-tract labels missing")
	}
	if _, size := s.Grid.CellSize(); size != 960 {
		t.Errorf("cells of %v m, want 960 m (32 px at 30 m)", size)
	}
	cell := s.Grid.Cell(4, 4)
	v.Cells.ShowCell(cell, cell.Bounds.Center())

	// Fyne's test driver runs fyne.Do callbacks on the panel's background
	// goroutines, so the test reads the panel only after they have
	// returned. Reading earlier, or closing the viewer, would race them.
	generated := make(chan struct{})
	go func() {
		v.Cells.WaitBackground()
		close(generated)
	}()
	select {
	case <-generated:
	case <-time.After(30 * time.Second):
		t.Fatal("the cell panel's views, classification and values did not finish within 30 s")
	}
	if n := ready(v.Cells.Images()); n != ui.DefaultViewCount {
		t.Fatalf("%d of %d views; status %q", n, ui.DefaultViewCount, v.Cells.Status())
	}
}

func ready(imgs []image.Image) int {
	n := 0
	for _, img := range imgs {
		if img != nil {
			n++
		}
	}
	return n
}

func TestGUIArgs(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "scene.tif")
	if err := os.WriteFile(existing, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		ok   bool
		want string
	}{
		{"no arguments", nil, true, ""},
		{"one file", []string{existing}, true, ""},
		{"flags and file", []string{"--provider", "cpu", "--window", "800x600", existing}, true, ""},
		{"two files", []string{existing, existing}, false, "open one raster or project at a time"},
		{"missing file", []string{"/nonexistent/scene.tif"}, false, "cannot open /nonexistent/scene.tif"},
		{"bad provider", []string{"--provider", "gpu"}, false, "unknown execution provider \"gpu\""},
		{"bad window", []string{"--window", "big"}, false, "is not WIDTHxHEIGHT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			opts, code, ok := parseGUIArgs(tc.args, &stderr)
			if ok != tc.ok {
				t.Fatalf("ok = %v (code %d, stderr %q), want %v", ok, code, stderr.String(), tc.ok)
			}
			if !ok && (code != 2 || !strings.Contains(stderr.String(), tc.want)) {
				t.Errorf("code %d, stderr %q; want 2 and %q", code, stderr.String(), tc.want)
			}
			if ok && len(tc.args) > 0 && opts.file != existing {
				t.Errorf("file = %q, want %q", opts.file, existing)
			}
		})
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestGUICellSizeForScene(t *testing.T) {
	m := &guiModels{spec: geodata.PatchSpec{Size: 64}, trainedResM: 1.2}
	tests := []struct {
		name      string
		m         *guiModels
		sceneResM float64
		want      float64
	}{
		{"matching scene keeps the footprint", m, 1.2, 76.8},
		{"finer scene keeps the footprint", m, 0.3, 76.8},
		{"Landsat scene gets 16 pixels, rounded up", m, 28.5, 500},
		{"unknown resolution keeps the footprint", m, 0, 76.8},
		{"no models uses the default", nil, 0, geodata.DefaultCellSizeM},
		{"no models on a coarse scene", nil, 100, 2000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cellSizeForScene(tc.m, tc.sceneResM); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("cellSizeForScene = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestResolutionNote(t *testing.T) {
	m := testModels(t)
	m.trainedResM, m.spec.Size, m.spec.GroundResolutionM = 1.2, 64, 0
	tests := []struct {
		name          string
		sceneM, cellM float64
		wantNote      bool
	}{
		{"training resolution", 1.2, 76.8, false},
		{"finer scene resampled to the patch", 0.3, 76.8, false},
		{"Landsat scene", 28.5, 500, true},
		{"scene coarser than the patch", 5, 100, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolutionNote(m, tc.sceneM, tc.cellM); (got != "") != tc.wantNote {
				t.Errorf("resolutionNote = %q, want a note: %v", got, tc.wantNote)
			}
		})
	}
}

func TestBandNote(t *testing.T) {
	tests := []struct {
		fixture  string
		wantNote bool
	}{
		{"olinda_landsat6.tif", false},
		{"rgbnir_naip.tif", false},
		{"palette.tif", false},
		{"float32_hag.tif", true}, // one band of heights
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			ds, err := geodata.Open(filepath.Join("..", "..", "testdata", "fixtures", tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			defer ds.Close()
			if got := bandNote(ds.Info()); (got != "") != tc.wantNote {
				t.Errorf("bandNote = %q, want a note: %v", got, tc.wantNote)
			}
		})
	}
}

func TestUnitsOf(t *testing.T) {
	tests := []struct {
		crs  geodata.CRS
		want string
	}{
		{geodata.CRS{Kind: geodata.CRSProjected, Units: "metre"}, "m"},
		{geodata.CRS{Kind: geodata.CRSGeographic, Units: "degree"}, "deg"},
		{geodata.CRS{Kind: geodata.CRSNone}, "units"},
		{geodata.CRS{Kind: geodata.CRSLocal}, "units"},
		{geodata.CRS{Kind: geodata.CRSProjected, Units: "US survey foot"}, "us survey foot"},
	}
	for _, tc := range tests {
		if got := unitsOf(tc.crs); got != tc.want {
			t.Errorf("unitsOf(%+v) = %q, want %q", tc.crs, got, tc.want)
		}
	}
}

func TestGroundResolution(t *testing.T) {
	identity := geodata.GeoTransform{0, 1, 0, 0, 0, -1}
	tests := []struct {
		name string
		gt   geodata.GeoTransform
		kind geodata.CRSKind
		want float64
	}{
		{"projected metres", geodata.GeoTransform{500000, 30, 0, 9100000, 0, -30}, geodata.CRSProjected, 30},
		{"geographic degrees", geodata.GeoTransform{-35, 0.0001, 0, -8, 0, -0.0001}, geodata.CRSGeographic, 11.132},
		{"no CRS: a pixel is one unit taken as a metre", identity, geodata.CRSNone, 1},
		{"local CRS", geodata.GeoTransform{0, 0.5, 0, 0, 0, -0.5}, geodata.CRSLocal, 0.5},
		{"geocentric or other", identity, geodata.CRSOther, defaultGroundResolutionM},
		{"zero pixel size", geodata.GeoTransform{}, geodata.CRSProjected, defaultGroundResolutionM},
		{"infinite pixel size", geodata.GeoTransform{0, math.Inf(1), 0, 0, 0, -1}, geodata.CRSNone, defaultGroundResolutionM},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info := geodata.Info{GeoTransform: tc.gt, CRS: geodata.CRS{Kind: tc.kind}}
			if got := groundResolution(info); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("groundResolution = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGUITrainerConfig(t *testing.T) {
	tr := &guiTrainer{}
	d := tr.Defaults()
	if strings.HasPrefix(d.ExportDir, "models/sets") || !strings.Contains(d.ExportDir, "DownThere") {
		t.Errorf("default export folder %q, want one under DownThere, away from the shipped sets", d.ExportDir)
	}
	c := ui.TrainConfig{Name: "mine", Setting: training.SettingLandsat, DataDir: "data", RunDir: "r", ExportDir: "e",
		BatchSize: 8, EncoderEpochs: 2, GANEpochs: 3, LearningRate: 1e-4, MaxSteps: 50, Seed: 9}
	cfg := tr.config(c)
	if cfg.Name != "mine" || cfg.Setting != training.SettingLandsat || cfg.DataDir != "data" || cfg.RunDir != "r" || cfg.ExportDir != "e" {
		t.Errorf("names and folders not copied: %+v", cfg)
	}
	if cfg.BatchSize != 8 || cfg.EncoderEpochs != 2 || cfg.GANEpochs != 3 || cfg.LR != 1e-4 || cfg.MaxSteps != 50 || cfg.Seed != 9 {
		t.Errorf("parameters not copied: %+v", cfg)
	}
	if want := training.DefaultConfig().PatchSize; cfg.PatchSize != want {
		t.Errorf("patch size %d, want training's default %d", cfg.PatchSize, want)
	}
}

func TestGUITrainerReportsMissingData(t *testing.T) {
	tr := &guiTrainer{}
	c := tr.Defaults()
	c.DataDir = t.TempDir()
	c.RunDir = filepath.Join(t.TempDir(), "run")
	c.ExportDir = filepath.Join(t.TempDir(), "set")
	var events int
	_, err := tr.Train(context.Background(), c, func(ui.TrainEvent) { events++ })
	if err == nil {
		t.Fatal("training on an empty data folder succeeded")
	}
	t.Logf("error: %v (%d events)", err, events)
	if !strings.Contains(err.Error(), c.DataDir) {
		t.Errorf("error %q does not name the data folder %s", err, c.DataDir)
	}
}

func TestGUISceneCloseWaitsForRenders(t *testing.T) {
	files := olindaFiles(t)
	gs, err := openGUIScene(files.Raster, 960, geodata.NewTileCache(8<<20))
	if err != nil {
		t.Fatal(err)
	}
	v := ui.FitView(gs.Info().Extent, 300, 300)
	done := make(chan error)
	go func() {
		var last error
		for i := 0; i < 200; i++ {
			dst := image.NewRGBA(image.Rect(0, 0, 300, 300))
			v = v.Pan(1, 0)
			if last = gs.Render(context.Background(), v, dst); last != nil {
				break
			}
		}
		done <- last
	}()
	time.Sleep(5 * time.Millisecond)
	if err := gs.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := <-done; err != nil && !errors.Is(err, errSceneClosed) {
		t.Errorf("render during Close failed with %v, want nil or errSceneClosed", err)
	}
	if err := gs.Render(context.Background(), v, image.NewRGBA(image.Rect(0, 0, 300, 300))); !errors.Is(err, errSceneClosed) {
		t.Errorf("render after Close: %v, want errSceneClosed", err)
	}
	if loc := gs.Locate(v.Center); loc.Inside || loc.HasLonLat {
		t.Errorf("Locate after Close = %+v, want an empty result", loc)
	}
}

// TestGUIModelsGenerateStreamsBatches cancels the call when the first
// view arrives: the views of that generator batch are all emitted, and no
// later batch is run.
func TestGUIModelsGenerateStreamsBatches(t *testing.T) {
	m := testModels(t)
	gs, _ := openOlinda(t)
	scene := &ui.Scene{Source: gs, Grid: guiGrid{gs.grid}}
	cell := guiGrid{gs.grid}.Cell(4, 4)
	batch := m.ms.BatchSize(models.RoleGenerator)
	n := 2*batch + 1

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []int
	err := m.Generate(ctx, scene, cell, ui.ViewRequest{Seed: 7, Count: n}, func(i int, img image.Image) {
		got = append(got, i)
		cancel()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate after cancel returned %v, want context.Canceled", err)
	}
	if len(got) != batch {
		t.Errorf("%d views emitted before the cancel took effect, want one batch of %d", len(got), batch)
	}
	for i, v := range got {
		if v != i {
			t.Errorf("emit %d carried view %d", i, v)
		}
	}
}

func TestHelpListsViewerFlags(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		var stdout, stderr bytes.Buffer
		if rc := dispatch([]string{arg}, &stdout, &stderr); rc != 0 {
			t.Errorf("%s: exit code %d, want 0", arg, rc)
		}
		for _, want := range []string{"Subcommands:", "-models", "-window", "-no-fallback", "-provider"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("%s: the help on stdout lacks %q", arg, want)
			}
		}
		if stderr.Len() > 0 {
			t.Errorf("%s: wrote to stderr: %q", arg, stderr.String())
		}
	}
}

func TestSubcommandHelpOnStdout(t *testing.T) {
	for _, name := range []string{"eval", "export", "info", "runtime", "train"} {
		var stdout, stderr bytes.Buffer
		if rc := dispatch([]string{name, "-h"}, &stdout, &stderr); rc != 0 {
			t.Errorf("%s -h: exit code %d, want 0", name, rc)
		}
		if !strings.Contains(stdout.String(), "Usage: viewer "+name) {
			t.Errorf("%s -h: stdout %q lacks the usage line", name, stdout.String())
		}
		if stderr.Len() > 0 {
			t.Errorf("%s -h: wrote to stderr: %q", name, stderr.String())
		}
	}
}
