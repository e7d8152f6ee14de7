package ui

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
)

// testViewer builds a viewer on the Olinda fixture with pure-Go stand-ins
// for the model and export services, and waits for the scene to open.
func testViewer(t *testing.T, gen *seedGenerator, cls *stripeClassifier) (*Viewer, *squareGrid) {
	t.Helper()
	test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(1200, 800))
	scene, _, grid := olindaScene(t)
	var models Models
	if gen != nil {
		models.Generator = gen
	}
	if cls != nil {
		models.Classifier = cls
	}

	models.Status = RuntimeStatus{Provider: "CPU", Requested: "cuda", Reason: "libcublasLt.so.13 not found", ModelSet: "olinda-test 1", ModelHash: "abc123"}
	svc := Services{
		OpenScene: func(ctx context.Context, path string, opt OpenOptions) (*Scene, error) {
			if filepath.Base(path) != filepath.Base(scene.Source.Info().Path) {
				return nil, errors.New("open " + path + ": not the fixture")
			}
			s := *scene
			return &s, nil
		},
		OpenPhotos: func(ctx context.Context, path string, s *Scene) (PhotoLayer, error) {
			return newCentrePhotos(s.Grid, path), nil
		},
		Models:   models,
		Exporter: &recordingExporter{},
	}

	v := newViewer(t, win, svc)
	opened := make(chan error, 1)
	v.OnSceneOpened = func(err error) { opened <- err }
	onUI(func() { v.Open(scene.Source.Info().Path) })
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("open fixture: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("scene did not open within 5 s")
	}
	waitSettled(t, v.Map)
	return v, grid
}

type recordingExporter struct {
	mu  sync.Mutex
	req []ExportRequest
}

func (e *recordingExporter) Formats() []ExportFormat {
	return []ExportFormat{{ID: "geojson", Name: "GeoJSON", Ext: ".geojson", NeedsLonLat: true}}
}

func (e *recordingExporter) Export(_ context.Context, req ExportRequest, progress func(int, int)) error {
	e.mu.Lock()
	e.req = append(e.req, req)
	e.mu.Unlock()
	progress(len(req.Results), len(req.Results))
	return os.WriteFile(req.Path, []byte("{}"), 0o644)
}

func TestViewerOpensFixtureInTitle(t *testing.T) {
	v, _ := testViewer(t, nil, nil)
	if got := v.Window().Title(); !strings.Contains(got, "olinda-321.png") {
		t.Errorf("window title %q does not name the open file", got)
	}
}

func TestCellPanelShowsGeneratedViews(t *testing.T) {
	gen := &seedGenerator{}
	v, grid := testViewer(t, gen, &stripeClassifier{})
	cell := grid.Cell(4, 6)
	onUI(func() { test.TapAt(v.Map, v.Map.PositionOf(cell.Bounds.Center())) })

	waitFor(t, "16 views", func() bool { return countReady(v.Cells.Images()) == DefaultViewCount })
	if got := v.Cells.Cell(); got == nil || got.ID != cell.ID {
		t.Fatalf("panel shows cell %v, want %s", got, cell.ID)
	}
	seed := DefaultSeed(cell.ID)
	if v.Cells.Seed() != seed {
		t.Errorf("seed = %d, want the default %d", v.Cells.Seed(), seed)
	}
	want := seedImage(cell, seed, 5)
	if !sameImage(v.Cells.Images()[5], want) {
		t.Error("view 5 is not the generator's image 5 for this cell and seed")
	}
	if got := v.Cells.seedEntry.Text; got != strconv.FormatInt(seed, 10) {
		t.Errorf("seed entry shows %q, want %d", got, seed)
	}
	waitFor(t, "probabilities", func() bool { return len(v.Cells.ProbabilityTexts()) >= 4 })
	probs := strings.Join(v.Cells.ProbabilityTexts(), "|")
	if !strings.Contains(probs, "urban (most likely)") {
		t.Errorf("probabilities %q do not mark urban as most likely for an even column", probs)
	}
	waitFor(t, "band values", func() bool { return strings.Contains(v.Cells.values.Text, "Band 1 (Red)") })
	if !strings.Contains(v.Cells.values.Text, "Pixel row") {
		t.Errorf("band values %q do not name the pixel", v.Cells.values.Text)
	}
}

func TestSeedEntryRejectsBadSeeds(t *testing.T) {
	v, grid := testViewer(t, &seedGenerator{}, nil)
	cell := grid.Cell(2, 2)
	onUI(func() { v.cellTapped(cell, cell.Bounds.Center()) })
	tests := []struct {
		text string
		want string
	}{
		{"abc", "is not a whole number"},
		{"99999999999999999999", "is out of range"},
		{"1.5", "is not a whole number"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			var status string
			var seed int64
			onUI(func() {
				v.Cells.seedEntry.SetText(tc.text)
				v.Cells.applySeedEntry()
				status, seed = v.Cells.status.Text, v.Cells.Seed()
			})
			if !strings.Contains(status, tc.want) {
				t.Errorf("status %q, want it to contain %q", status, tc.want)
			}
			if seed != DefaultSeed(cell.ID) {
				t.Errorf("seed changed to %d after a rejected entry", seed)
			}
		})
	}

	var seed int64
	onUI(func() {
		v.Cells.seedEntry.SetText("-7")
		v.Cells.applySeedEntry()
		seed = v.Cells.Seed()
	})
	if seed != -7 {
		t.Errorf("seed = %d after entering -7", seed)
	}
}

func countReady(imgs []image.Image) int {
	n := 0
	for _, img := range imgs {
		if img != nil {
			n++
		}
	}
	return n
}

func sameImage(a, b image.Image) bool {
	if a == nil || b == nil || a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if color.NRGBAModel.Convert(a.At(x, y)) != color.NRGBAModel.Convert(b.At(x, y)) {
				return false
			}
		}
	}
	return true
}

func TestCellPanelSecondClickCancelsFirst(t *testing.T) {
	gen := &seedGenerator{delay: 20 * time.Millisecond}
	v, grid := testViewer(t, gen, nil)
	first, second := grid.Cell(1, 1), grid.Cell(2, 2)
	onUI(func() { test.TapAt(v.Map, v.Map.PositionOf(first.Bounds.Center())) })
	time.Sleep(30 * time.Millisecond)
	onUI(func() { test.TapAt(v.Map, v.Map.PositionOf(second.Bounds.Center())) })

	waitFor(t, "second cell's views", func() bool { return countReady(v.Cells.Images()) == DefaultViewCount })
	seed := DefaultSeed(second.ID)
	for i, img := range v.Cells.Images() {
		if !sameImage(img, seedImage(second, seed, i)) {
			t.Fatalf("view %d does not belong to the second cell", i)
		}
	}
	if v.Cells.Cell().ID != second.ID {
		t.Errorf("panel shows %s, want %s", v.Cells.Cell().ID, second.ID)
	}
}

func TestCellPanelRegenerateChangesSeed(t *testing.T) {
	gen := &seedGenerator{}
	v, grid := testViewer(t, gen, nil)
	cell := grid.Cell(3, 3)
	onUI(func() { v.Cells.ShowCell(cell, cell.Bounds.Center()) })
	waitFor(t, "views", func() bool { return countReady(v.Cells.Images()) == DefaultViewCount })
	first := v.Cells.Seed()
	onUI(func() { v.Cells.Regenerate() })
	if v.Cells.Seed() == first {
		t.Skip("Regenerate drew the same seed by chance")
	}
	waitFor(t, "regenerated views", func() bool { return countReady(v.Cells.Images()) == DefaultViewCount })
	if got := v.Cells.Seeds()[cell.ID]; got != v.Cells.Seed() {
		t.Errorf("stored seed %d, want %d", got, v.Cells.Seed())
	}
}

func TestCellPanelVariety(t *testing.T) {
	gen := &seedGenerator{}
	v, grid := testViewer(t, gen, nil)
	cell := grid.Cell(2, 3)
	showCellViews(t, v, cell)
	requests := func() []ViewRequest {
		gen.mu.Lock()
		defer gen.mu.Unlock()
		return append([]ViewRequest(nil), gen.requests...)
	}
	if got := requests(); len(got) != 1 || got[0] != (ViewRequest{Seed: DefaultSeed(cell.ID), Count: DefaultViewCount}) {
		t.Fatalf("requests %+v, want one with the default seed, %d views and variety 0 (the default)", got, DefaultViewCount)
	}

	tests := []struct {
		name    string
		set     func()
		want    float64 // Variety() afterwards
		request bool    // whether new views are generated
		caption string
		file    string // part of the saved views' names
	}{
		{"slider", func() { v.Cells.varietyBar.SetValue(0.8) }, 0.8, true, "Variety 0.80", "_variety0.80_"},
		{"project value", func() { v.Cells.SetVariety(0.3) }, 0.3, true, "Variety 0.30", "_variety0.30_"},
		{"off the slider's steps", func() { v.Cells.SetVariety(0.33) }, 0.35, true, "Variety 0.35", "_variety0.35_"},
		{"above one", func() { v.Cells.SetVariety(7) }, 1, true, "Variety 1.00", "_variety1.00_"},
		{"the default's value", func() { v.Cells.SetVariety(0.5) }, 0.5, true, "Variety 0.50", "_variety0.50_"},
		{"default button", func() { test.Tap(v.Cells.varietyReset) }, 0, false, "Variety 0.50 (model default)", "_variety0.50_"},
		{"chosen again", func() { v.Cells.SetVariety(0.75) }, 0.75, true, "Variety 0.75", "_variety0.75_"},
		{"follow the default", func() { v.Cells.SetVariety(0) }, 0, true, "Variety 0.50 (model default)", "_variety0.50_"},
		{"slider set by the panel", func() { v.Cells.syncVariety() }, 0, false, "Variety 0.50 (model default)", "_variety0.50_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(requests())
			onUI(tt.set)
			waitFor(t, "views", func() bool { return countReady(v.Cells.Images()) == DefaultViewCount })
			v.Cells.WaitBackground()
			if got := v.Cells.Variety(); got != tt.want {
				t.Errorf("Variety() = %v, want %v", got, tt.want)
			}
			got := requests()[before:]
			switch {
			case !tt.request && len(got) != 0:
				t.Errorf("new requests %+v, want none", got)
			case tt.request && (len(got) != 1 || got[0].Variety != tt.want || got[0].Seed != DefaultSeed(cell.ID)):
				t.Errorf("new requests %+v, want one with variety %v and the cell's seed", got, tt.want)
			}
			var caption, status string
			var files []string
			var err error
			onUI(func() {
				caption, status = v.Cells.varietyText.Text, v.Cells.Status()
				files, err = v.Cells.SaveTo(t.TempDir())
			})
			if caption != tt.caption {
				t.Errorf("caption %q, want %q", caption, tt.caption)
			}
			if disabled := v.Cells.varietyReset.Disabled(); disabled != (tt.want == 0) {
				t.Errorf("Default button disabled: %v, want %v", disabled, tt.want == 0)
			}
			shown := strings.TrimPrefix(tt.file, "_variety")
			if !strings.Contains(status, "variety "+strings.TrimSuffix(shown, "_")) {
				t.Errorf("status %q does not name the variety of %s", status, tt.file)
			}
			if err != nil || len(files) == 0 || !strings.Contains(filepath.Base(files[0]), tt.file) {
				t.Errorf("saved %v (error %v), want names containing %s", files, err, tt.file)
			}
		})
	}
}

func TestCellPanelVarietyFollowsModels(t *testing.T) {
	gen := &seedGenerator{}
	v, grid := testViewer(t, gen, nil)
	cell := grid.Cell(1, 2)
	showCellViews(t, v, cell)

	// New models with another default: the caption follows, while the
	// views shown, made with the old default, keep their variety in the
	// status and the saved names until they are generated again.
	other := &seedGenerator{defaultVariety: 0.8}
	var caption string
	var files []string
	var err error
	onUI(func() {
		v.Cells.SetModels(other, nil, "")
		caption = v.Cells.varietyText.Text
		files, err = v.Cells.SaveTo(t.TempDir())
	})
	if caption != "Variety 0.80 (model default)" {
		t.Errorf("caption %q after new models, want their default 0.80", caption)
	}
	if err != nil || !strings.Contains(filepath.Base(files[0]), "_variety0.50_") {
		t.Errorf("saved %v (error %v), want the shown views' variety 0.50 in the names", files, err)
	}

	// A chosen variety survives new models; without a generator it is kept too.
	onUI(func() {
		v.Cells.SetVariety(0.3)
		v.Cells.SetModels(nil, nil, "no model set is loaded")
		v.Cells.SetVariety(0.6)
		caption = v.Cells.varietyText.Text
	})
	v.Cells.WaitBackground()
	if got := v.Cells.Variety(); got != 0.6 || caption != "Variety 0.60" {
		t.Errorf("without a generator: Variety() = %v and caption %q, want 0.6 and \"Variety 0.60\"", got, caption)
	}
}

func TestCellPanelSavesAtomicPNGs(t *testing.T) {
	v, grid := testViewer(t, &seedGenerator{}, nil)
	cell := grid.Cell(0, 0)
	onUI(func() { v.Cells.ShowCell(cell, cell.Bounds.Center()) })
	waitFor(t, "views", func() bool { return countReady(v.Cells.Images()) == DefaultViewCount })

	dir := t.TempDir()
	files, err := v.Cells.SaveTo(dir)
	if err != nil {
		t.Fatalf("SaveTo: %v", err)
	}
	if len(files) != DefaultViewCount+1 {
		t.Errorf("wrote %d files, want %d views and one grid", len(files), DefaultViewCount)
	}
	gridPath := files[len(files)-1]
	f, err := os.Open(gridPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", gridPath, err)
	}
	if want := 4*64 + 3*gridGap; img.Bounds().Dx() != want || img.Bounds().Dy() != want {
		t.Errorf("grid is %v, want %dx%d", img.Bounds().Size(), want, want)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.partial"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestCellPanelWithoutModelsSaysWhy(t *testing.T) {
	v, grid := testViewer(t, nil, nil)
	onUI(func() { v.Cells.SetModels(nil, nil, "no model set found in models/sets") })
	onUI(func() { v.Cells.ShowCell(grid.Cell(1, 1), grid.Cell(1, 1).Bounds.Center()) })
	if !strings.Contains(v.Cells.Status(), "no model set found") {
		t.Errorf("status %q does not say why views are unavailable", v.Cells.Status())
	}
}

func TestLandUseJobPaintsAndFinishes(t *testing.T) {
	v, grid := testViewer(t, nil, &stripeClassifier{})
	onUI(func() { v.RunLandUse(true) })
	cols, rows := grid.Dims()
	waitFor(t, "land-use job", func() bool { return !v.Jobs.Running() })
	if got := v.Results().Len(); got != cols*rows {
		t.Errorf("%d cells classified, want %d", got, cols*rows)
	}
	if !strings.Contains(v.Jobs.Text(), "done") {
		t.Errorf("job bar says %q after the job", v.Jobs.Text())
	}
	waitSettled(t, v.Map)
	if v.Map.shown.cells[LayerLandUse].img == nil {
		t.Error("land-use layer not painted")
	}
	rows2 := strings.Join(v.Legend.Rows(), "|")
	if !strings.Contains(rows2, "urban") || !strings.Contains(rows2, "%") {
		t.Errorf("legend %q does not show class shares", rows2)
	}
}

func TestLandUseJobCancel(t *testing.T) {
	cls := &stripeClassifier{delay: 5 * time.Millisecond}
	v, grid := testViewer(t, nil, cls)
	onUI(func() { v.RunLandUse(true) })
	waitFor(t, "first results", func() bool { return v.Results().Len() > 3 })
	if !v.Jobs.cancelBt.Visible() || v.Jobs.cancelBt.Disabled() {
		t.Fatal("Cancel is not available while the job runs")
	}
	onUI(func() { test.Tap(v.Jobs.cancelBt) })
	waitFor(t, "job end", func() bool { return !v.Jobs.Running() })
	cols, rows := grid.Dims()
	n := v.Results().Len()
	if n == 0 || n >= cols*rows {
		t.Errorf("%d of %d cells classified after Cancel, want some but not all", n, cols*rows)
	}
	if !strings.Contains(v.Jobs.Text(), "cancelled") {
		t.Errorf("job bar says %q, want it to say cancelled", v.Jobs.Text())
	}
}

func TestEstimateRemaining(t *testing.T) {
	tests := []struct {
		name        string
		elapsed     time.Duration
		done, total int
		want        time.Duration
		ok          bool
	}{
		{"nothing done", time.Second, 0, 10, 0, false},
		{"half done", 10 * time.Second, 5, 10, 10 * time.Second, true},
		{"all done", 3 * time.Second, 4, 4, 0, true},
		{"unknown total", time.Second, 1, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := estimateRemaining(tc.elapsed, tc.done, tc.total)
			if ok != tc.ok || got != tc.want {
				t.Errorf("estimateRemaining = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestStatusBarTexts(t *testing.T) {
	v, grid := testViewer(t, nil, nil)
	cell := grid.Cell(2, 3)
	info := v.Map.CursorAt(v.Map.PositionOf(cell.Bounds.Center()))
	if info == nil {
		t.Fatal("no cursor info over the map")
	}
	var texts string
	onUI(func() {
		v.Map.OnCursor(info)
		texts = strings.Join(v.Status.Texts(), " | ")
	})
	for _, want := range []string{"°S", "°W", "E 2", "EPSG:31985", "Row ", "Cell " + cell.ID, "28.50 m/px", "Runs on CPU (cuda requested: libcublasLt.so.13 not found)", "olinda-test 1"} {
		if !strings.Contains(texts, want) {
			t.Errorf("status bar %q lacks %q", texts, want)
		}
	}
	var got string
	onUI(func() {
		v.Map.MouseOut()
		got = v.Status.Texts()[3]
	})
	if got != "" {
		t.Errorf("cell text %q after the cursor left the map", got)
	}
}

func TestFormatLonLat(t *testing.T) {
	tests := []struct {
		name string
		p    PointInfo
		want string
	}{
		{"south west", PointInfo{Lon: -34.87122, Lat: -7.99431, HasLonLat: true}, "7.99431°S 34.87122°W"},
		{"north east", PointInfo{Lon: 13.4, Lat: 52.5, HasLonLat: true}, "52.50000°N 13.40000°E"},
		{"no crs", PointInfo{}, "Lon/lat: n/a (no geographic CRS)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatLonLat(tc.p); got != tc.want {
				t.Errorf("formatLonLat = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLayersPanelControlsMap(t *testing.T) {
	v, _ := testViewer(t, nil, nil)
	p := v.Layers
	onUI(func() { test.Tap(p.checks[LayerGrid]) })
	if v.Map.LayerStyle(LayerGrid).Visible {
		t.Error("grid still visible after unticking it")
	}
	onUI(func() { p.sliders[LayerImagery].SetValue(0.25) })
	if got := v.Map.LayerStyle(LayerImagery).Opacity; got != 0.25 {
		t.Errorf("imagery opacity = %v, want 0.25", got)
	}
	waitSettled(t, v.Map)
	r := test.WidgetRenderer(v.Map).(*mapRenderer)
	if r.imagery.Translucency != 0.75 {
		t.Errorf("imagery translucency = %v, want 0.75", r.imagery.Translucency)
	}
	if p.notes[LayerLabels].Text == "" {
		t.Error("labels row does not say that no label layer is loaded")
	}
}

func TestProjectRoundTrip(t *testing.T) {
	v, grid := testViewer(t, &seedGenerator{}, nil)
	cell := grid.Cell(5, 5)
	var p Project
	var err error
	onUI(func() {
		v.cellTapped(cell, cell.Bounds.Center())
		v.Map.SetViewState(cell.Bounds.Center(), 7.5)
		v.Map.SetLayerStyle(LayerGrid, LayerStyle{Visible: false, Opacity: 0.2})
		v.Cells.SetVariety(0.8)
		p, err = v.Project()
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "olinda.json")
	if err := SaveProject(path, p); err != nil {
		t.Fatalf("SaveProject: %v", err)
	}
	got, err := LoadProject(path)
	if err != nil {
		t.Fatalf("LoadProject: %v", err)
	}
	if got.View != p.View {
		t.Errorf("view %+v, want %+v", got.View, p.View)
	}
	if got.Layers["Grid"] != (LayerStyle{Visible: false, Opacity: 0.2}) {
		t.Errorf("grid style %+v after the round trip", got.Layers["Grid"])
	}
	if len(got.SelectedCells) != 1 || got.SelectedCells[0] != cell.ID {
		t.Errorf("selected cells %v, want [%s]", got.SelectedCells, cell.ID)
	}
	if got.Seeds[cell.ID] != DefaultSeed(cell.ID) {
		t.Errorf("seed %d, want %d", got.Seeds[cell.ID], DefaultSeed(cell.ID))
	}
	if got.ViewVariety != 0.8 {
		t.Errorf("view variety %v, want 0.8", got.ViewVariety)
	}
	if got.ModelSet != "olinda-test 1" {
		t.Errorf("model set %q", got.ModelSet)
	}
	if got.Imagery.Path != p.Imagery.Path {
		t.Errorf("imagery path %q, want %q", got.Imagery.Path, p.Imagery.Path)
	}
}

func TestLoadProjectRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"not json", "hello", "not a valid project file"},
		{"unknown field", `{"version":1,"imagery":{"path":"a.tif"},"view":{"units_per_pixel":1},"colour":"red"}`, "unknown field"},
		{"future version", `{"version":9,"imagery":{"path":"a.tif"},"view":{"units_per_pixel":1}}`, "version is 9"},
		{"no imagery", `{"version":1,"imagery":{"path":""},"view":{"units_per_pixel":1}}`, "imagery.path is empty"},
		{"zero scale", `{"version":1,"imagery":{"path":"a.tif"},"view":{"units_per_pixel":0}}`, "units_per_pixel > 0"},
		{"variety as text", `{"version":1,"imagery":{"path":"a.tif"},"view":{"units_per_pixel":1},"view_variety":"abc"}`, "field view_variety is a JSON string, expected a number"},
		{"variety above one", `{"version":1,"imagery":{"path":"a.tif"},"view":{"units_per_pixel":1},"view_variety":2}`, "view_variety 2 is not between 0.1 and 1"},
		{"shown cell as text", `{"version":1,"imagery":{"path":"a.tif"},"view":{"units_per_pixel":1},"shown_cell":"E1"}`, "field shown_cell is a JSON string, expected an object"},
		{"huge coordinate", `{"version":1,"imagery":{"path":"a.tif"},"view":{"units_per_pixel":1},"shown_cell":{"cell":"E1","x":1e999,"y":0}}`, "is the number 1e999, which is out of range"},
		{"fractional version", `{"version":1.5,"imagery":{"path":"a.tif"},"view":{"units_per_pixel":1}}`, "field version is the number 1.5, expected a whole number"},
		{"shown cell without id", `{"version":1,"imagery":{"path":"a.tif"},"view":{"units_per_pixel":1},"shown_cell":{"cell":"","x":1,"y":2}}`, "shown_cell"},
		{"bad layer", `{"version":1,"imagery":{"path":"a.tif"},"view":{"units_per_pixel":1},"layers":{"Roads":{"Visible":true,"Opacity":1}}}`, `unknown layer "Roads"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadProject(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadProject error = %v, want one containing %q", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestCheckRefNoticesChangedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.tif")
	if err := os.WriteFile(path, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	if w, err := CheckRef(DataRef{Path: path, SHA256: sum}); err != nil || w != "" {
		t.Errorf("unchanged file: warning %q, error %v", w, err)
	}
	if err := os.WriteFile(path, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if w, _ := CheckRef(DataRef{Path: path, SHA256: sum}); !strings.Contains(w, "changed since the project was saved") {
		t.Errorf("changed file: warning %q", w)
	}
}

func TestExportWritesThroughExporter(t *testing.T) {
	v, _ := testViewer(t, nil, &stripeClassifier{})
	onUI(func() { v.RunLandUse(true) })
	waitFor(t, "land use", func() bool { return !v.Jobs.Running() })
	out := filepath.Join(t.TempDir(), "zones.geojson")
	onUI(func() { v.Export(ExportFormat{ID: "geojson", Name: "GeoJSON", Ext: ".geojson"}, out) })
	waitFor(t, "export", func() bool { return !v.Jobs.Running() })
	exp := v.svc.Exporter.(*recordingExporter)
	if len(exp.req) != 1 {
		t.Fatalf("exporter called %d times, want 1", len(exp.req))
	}
	if exp.req[0].Path != out || len(exp.req[0].Results) != v.Results().Len() || len(exp.req[0].Classes) != 2 {
		t.Errorf("export request %s with %d results and %d classes", exp.req[0].Path, len(exp.req[0].Results), len(exp.req[0].Classes))
	}
}

func TestExportMapPNGHasLegendAndScaleBar(t *testing.T) {
	v, _ := testViewer(t, nil, &stripeClassifier{})
	onUI(func() { v.RunLandUse(false) })
	waitFor(t, "land use", func() bool { return !v.Jobs.Running() })
	waitSettled(t, v.Map)
	out := filepath.Join(t.TempDir(), "map.png")
	onUI(func() { v.Export(MapPNGFormat, out) })
	waitFor(t, "export", func() bool { return !v.Jobs.Running() })
	f, err := os.Open(out)
	if err != nil {
		t.Fatalf("map image not written: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The legend box and the scale bar are drawn on a light background in
	// the bottom corners.
	b := img.Bounds()
	for _, pt := range []image.Point{{b.Min.X + 14, b.Max.Y - 14}, {b.Max.X - 14, b.Max.Y - 30}} {
		r, g, bl, _ := img.At(pt.X, pt.Y).RGBA()
		if r>>8 < 180 || g>>8 < 180 || bl>>8 < 180 {
			t.Errorf("pixel %v is %d,%d,%d, want the light legend or scale bar box", pt, r>>8, g>>8, bl>>8)
		}
	}
}

func TestNiceLength(t *testing.T) {
	tests := []struct {
		limit, want float64
	}{{1234, 1000}, {450, 200}, {0.07, 0.05}, {5, 5}, {0, 0}}
	for _, tc := range tests {
		if got := niceLength(tc.limit); got != tc.want {
			t.Errorf("niceLength(%v) = %v, want %v", tc.limit, got, tc.want)
		}
	}
}

func TestShortcutsListed(t *testing.T) {
	want := []string{"Arrow keys", "Home", "Ctrl+O", "Escape", "Ctrl+Q"}
	for _, w := range want {
		found := false
		for _, s := range Shortcuts {
			if s.Keys == w {
				found = true
			}
		}
		if !found {
			t.Errorf("Help does not list %q", w)
		}
	}
}

// centrePhotos puts one photo at the centre of every fifth cell.
type centrePhotos struct {
	path   string
	photos []Photo
}

func newCentrePhotos(g Grid, path string) *centrePhotos {
	p := &centrePhotos{path: path}
	cols, rows := g.Dims()
	for row := 0; row < rows; row++ {
		for col := 0; col < cols; col++ {
			if (row*cols+col)%5 == 0 {
				c := g.Cell(col, row)
				p.photos = append(p.photos, Photo{Name: "photo " + c.ID, Path: c.ID + ".jpg", At: c.Bounds.Center()})
			}
		}
	}
	return p
}

func (p *centrePhotos) Name() string { return filepath.Base(p.path) }
func (p *centrePhotos) Path() string { return p.path }

func (p *centrePhotos) PhotosIn(r MapRect) []Photo {
	var out []Photo
	for _, ph := range p.photos {
		if r.Contains(ph.At) {
			out = append(out, ph)
		}
	}
	return out
}

func (p *centrePhotos) Load(_ context.Context, ph Photo, maxEdge int) (image.Image, error) {
	return image.NewNRGBA(image.Rect(0, 0, maxEdge, maxEdge*3/4)), nil
}

func TestPhotoLayerMarkersAndPanel(t *testing.T) {
	v, grid := testViewer(t, &seedGenerator{}, nil)
	onUI(func() { v.LoadPhotos(t.TempDir()) })
	waitFor(t, "photo layer", func() bool { return v.Map.Scene().Photos != nil })
	waitSettled(t, v.Map)
	if v.Map.shown.vector == nil {
		t.Fatal("no grid or photo layer drawn")
	}
	ph := v.Map.Scene().Photos.(*centrePhotos).photos[1]
	x, y := v.Map.shown.job.view.ToScreen(ph.At)
	c := v.Map.shown.vector.RGBAAt(int(x), int(y))
	if c.R < 200 || c.G < 100 || c.B > 60 {
		t.Errorf("photo marker pixel is %v, want orange", c)
	}

	cell, _ := grid.CellAt(ph.At)
	onUI(func() { v.Cells.ShowCell(cell, ph.At) })
	waitFor(t, "photo thumbnail", func() bool {
		for _, o := range v.Cells.photoBox.Objects {
			if _, ok := o.(*canvas.Image); ok {
				return true
			}
		}
		return false
	})
	if v.Layers.notes[LayerPhotos].Visible() {
		t.Errorf("photos row still says %q", v.Layers.notes[LayerPhotos].Text)
	}
}

func TestViewerRestoresProject(t *testing.T) {
	v, grid := testViewer(t, &seedGenerator{}, nil)
	cell := grid.Cell(6, 2)
	clicked := MapPoint{X: cell.Bounds.MinX + cell.Bounds.Width()/4, Y: cell.Bounds.MinY + cell.Bounds.Height()/4}
	onUI(func() {
		v.cellTapped(cell, clicked)
		v.Map.SetViewState(cell.Bounds.Center(), 9)
		v.Map.SetLayerStyle(LayerLandUse, LayerStyle{Visible: false, Opacity: 0.35})
		v.Cells.SetVariety(0.25)
	})
	path := filepath.Join(t.TempDir(), "p.json")
	p := saveAndLoadProject(t, v, path)
	if p.Imagery.SHA256 == "" {
		t.Error("project has no sha256 of the imagery")
	}

	w := viewerWithProject(t, path)
	waitFor(t, "restored cell", func() bool { return w.Cells.Cell() != nil })
	var center MapPoint
	var scale float64
	onUI(func() { center, scale = w.Map.ViewState() })
	if center != cell.Bounds.Center() || scale != 9 {
		t.Errorf("view %+v at %v units/px, want %+v at 9", center, scale, cell.Bounds.Center())
	}
	if st := w.Map.LayerStyle(LayerLandUse); st != (LayerStyle{Visible: false, Opacity: 0.35}) {
		t.Errorf("land-use style %+v after restore", st)
	}
	if got := w.Cells.Variety(); got != 0.25 {
		t.Errorf("variety %v after restore, want 0.25", got)
	}
	if w.Cells.Cell().ID != cell.ID || w.Cells.Seed() != DefaultSeed(cell.ID) {
		t.Errorf("panel shows %s seed %d, want %s seed %d", w.Cells.Cell().ID, w.Cells.Seed(), cell.ID, DefaultSeed(cell.ID))
	}
	if _, at, ok := w.Cells.Shown(); !ok || at != clicked {
		t.Errorf("panel shows the point %+v (clicked: %v), want the clicked point %+v", at, ok, clicked)
	}
	if got := w.Cells.where.Text; !strings.HasPrefix(got, "Clicked at ") {
		t.Errorf("panel says %q, want it to start with \"Clicked at \"", got)
	}
}

// saveAndLoadProject saves v's project to path with SaveProjectTo and
// reads it back.
func saveAndLoadProject(t *testing.T, v *Viewer, path string) Project {
	t.Helper()
	saved := make(chan error, 1)
	onUI(func() { v.SaveProjectTo(path, func(err error) { saved <- err }) })
	if err := <-saved; err != nil {
		t.Fatalf("save project %s: %v", path, err)
	}
	p, err := LoadProject(path)
	if err != nil {
		t.Fatalf("load project %s: %v", path, err)
	}
	return p
}

// viewerWithProject returns a new test viewer with the project at path
// opened in it.
func viewerWithProject(t *testing.T, path string) *Viewer {
	t.Helper()
	w, _ := testViewer(t, &seedGenerator{}, nil)
	opened := make(chan error, 1)
	onUI(func() {
		w.OnSceneOpened = func(err error) { opened <- err }
		w.LoadProject(path)
	})
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("open project %s: %v", path, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("project %s did not open within 5 s", path)
	}
	return w
}

func TestViewerOpensProjectWithoutMissingLabels(t *testing.T) {
	v, _ := testViewer(t, &seedGenerator{}, nil)
	var p Project
	var err error
	onUI(func() { p, err = v.Project() })
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p.Labels = &DataRef{Path: filepath.Join(dir, "gone.shp")}
	path := filepath.Join(dir, "p.json")
	if err := SaveProject(path, p); err != nil {
		t.Fatal(err)
	}

	var warnings []string
	if got := optionalLayer(path, "labels", filepath.Join(dir, "gone.shp"), &warnings); got != "" {
		t.Errorf("optionalLayer kept the missing layer %q", got)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "gone.shp") || !strings.Contains(warnings[0], "labels.path") {
		t.Errorf("warnings %q, want one naming the file and labels.path", warnings)
	}

	w := viewerWithProject(t, path)
	onUI(func() {
		if s := w.Map.Scene(); s == nil || s.Labels != nil {
			t.Errorf("scene %v, want one without labels", s)
		}
		saved, err := w.Project()
		if err != nil {
			t.Errorf("Project: %v", err)
			return
		}
		if saved.Labels == nil || saved.Labels.Path != filepath.Join(dir, "gone.shp") {
			t.Errorf("saved labels %+v, want the missing layer's path kept", saved.Labels)
		}
	})

	q := saveAndLoadProject(t, w, filepath.Join(dir, "again.json"))
	if q.Labels == nil || q.Labels.Path != filepath.Join(dir, "gone.shp") || q.Labels.SHA256 != "" {
		t.Errorf("saved labels %+v, want the missing path without a sha256", q.Labels)
	}
}

func TestViewerRestoresCellWithoutClickedPoint(t *testing.T) {
	v, grid := testViewer(t, &seedGenerator{}, nil)
	cell := grid.Cell(3, 4)
	var p Project
	var err error
	onUI(func() {
		v.cellTapped(cell, cell.Bounds.Center())
		p, err = v.Project()
	})
	if err != nil {
		t.Fatal(err)
	}
	p.ShownCell = nil // as written before shown_cell existed
	path := filepath.Join(t.TempDir(), "old.json")
	if err := SaveProject(path, p); err != nil {
		t.Fatal(err)
	}

	w := viewerWithProject(t, path)
	waitFor(t, "restored cell", func() bool { return w.Cells.Cell() != nil })
	onUI(func() {
		if w.Cells.Cell().ID != cell.ID {
			t.Errorf("panel shows cell %s, want %s", w.Cells.Cell().ID, cell.ID)
		}
		if _, _, ok := w.Cells.Shown(); ok {
			t.Error("Shown reports a clicked point for a cell restored at its centre")
		}
		if got := w.Cells.where.Text; !strings.HasPrefix(got, "Cell centre at ") {
			t.Errorf("panel says %q, want it to start with \"Cell centre at \"", got)
		}
	})
}

func TestEscapeCancelsJobFromMap(t *testing.T) {
	v, _ := testViewer(t, nil, &stripeClassifier{delay: 5 * time.Millisecond})
	onUI(func() { v.RunLandUse(true) })
	waitFor(t, "first results", func() bool { return v.Results().Len() > 2 })
	onUI(func() {
		v.Window().Canvas().Focus(v.Map)
		v.Window().Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	})
	waitFor(t, "cancelled job", func() bool { return !v.Jobs.Running() })
	if !strings.Contains(v.Jobs.Text(), "cancelled") {
		t.Errorf("job bar says %q after Escape", v.Jobs.Text())
	}
}

// nodataClassifier emits every cell without probabilities, as the
// classifier does for a cell that is mostly nodata.
type nodataClassifier struct{}

func (nodataClassifier) Classes() []Class { return testClasses }

func (nodataClassifier) Classify(_ context.Context, _ *Scene, cells []Cell, emit func(CellResult)) error {
	for _, c := range cells {
		emit(CellResult{Cell: c})
	}
	return nil
}

func TestCellPanelSaysWhyNotClassified(t *testing.T) {
	gen := &seedGenerator{}
	v, grid := testViewer(t, gen, nil)
	cell := grid.Cell(1, 1)
	onUI(func() {
		v.Cells.SetModels(gen, nodataClassifier{}, "")
		v.Cells.ShowCell(cell, cell.Bounds.Center())
	})
	waitFor(t, "a classification note", func() bool {
		return strings.Contains(strings.Join(v.Cells.ProbabilityTexts(), " "), "outside the raster or is nodata")
	})
	v.Cells.WaitBackground()
}

func TestExportBase(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	tests := []struct {
		scene, want string
	}{
		{"/data/olinda.tif", "/data/olinda_landuse"},
		{filepath.Join(home, ".cache", "downthere", "olinda", "L7_ETMs.tif"), filepath.Join(home, "L7_ETMs_landuse")},
	}
	for _, tc := range tests {
		if got := exportBase(tc.scene); got != tc.want {
			t.Errorf("exportBase(%s) = %s, want %s", tc.scene, got, tc.want)
		}
	}
}

func TestConfirmOverwriteHoldsExistingFile(t *testing.T) {
	v, _ := testViewer(t, nil, nil)
	dir := t.TempDir()
	existing := filepath.Join(dir, "zones.tif")
	if err := os.WriteFile(existing, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	var ran []string
	onUI(func() {
		v.confirmOverwrite(filepath.Join(dir, "new.tif"), func() { ran = append(ran, "new") })
		v.confirmOverwrite(existing, func() { ran = append(ran, "existing") })
		v.confirmOverwrite(dir, func() { ran = append(ran, "folder") })
	})
	if !slices.Equal(ran, []string{"new"}) {
		t.Errorf("ran %v without asking, want only the new file", ran)
	}
}

func TestShortReason(t *testing.T) {
	tests := []struct{ reason, want string }{
		{"libcublasLt.so.13 not found", "libcublasLt.so.13 not found"},
		{"cuda provider failed to start: Failed to load library /x/libonnxruntime_providers_shared.so", "cuda provider failed to start; see Help > About"},
	}
	for _, tc := range tests {
		if got := shortReason(tc.reason); got != tc.want {
			t.Errorf("shortReason(%q) = %q, want %q", tc.reason, got, tc.want)
		}
	}
}

func TestExportFormatsNeedLonLat(t *testing.T) {
	v, _ := testViewer(t, nil, nil)
	ids := func(fs []ExportFormat) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return out
	}
	if got := ids(v.exportFormatsFor(SourceInfo{HasLonLat: true})); !slices.Equal(got, []string{"geojson", MapPNGFormat.ID}) {
		t.Errorf("formats with lon/lat %v, want GeoJSON and the map image", got)
	}
	if got := ids(v.exportFormatsFor(SourceInfo{})); !slices.Equal(got, []string{MapPNGFormat.ID}) {
		t.Errorf("formats without lon/lat %v, want only the map image", got)
	}
}

func TestRelativeToKeepsCachePaths(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	tests := []struct {
		path, want string
	}{
		{filepath.Join(home, "data", "a.tif"), filepath.Join("data", "a.tif")},
		{filepath.Join(home, ".cache", "downthere", "olinda", "L7_ETMs.tif"), filepath.Join(home, ".cache", "downthere", "olinda", "L7_ETMs.tif")},
		{"/elsewhere/b.tif", "/elsewhere/b.tif"},
	}
	for _, tc := range tests {
		if got := relativeTo(home, tc.path); got != tc.want {
			t.Errorf("relativeTo(%s) = %s, want %s", tc.path, got, tc.want)
		}
	}
}

func TestRemoveIfEmpty(t *testing.T) {
	dir := t.TempDir()
	empty, full := filepath.Join(dir, "empty.json"), filepath.Join(dir, "full.json")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	removeIfEmpty(empty)
	removeIfEmpty(full)
	removeIfEmpty(dir)
	if _, err := os.Stat(empty); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty file still there: %v", err)
	}
	if _, err := os.Stat(full); err != nil {
		t.Errorf("file with content removed: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("folder removed: %v", err)
	}
}

func TestExportCoverage(t *testing.T) {
	if got := exportCoverage(16, 16); got != "All 16 cells are classified." {
		t.Errorf("all classified: %q", got)
	}
	if got := exportCoverage(3, 16); !strings.HasPrefix(got, "3 of 16 cells are classified") {
		t.Errorf("some classified: %q", got)
	}
}
