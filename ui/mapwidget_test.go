package ui

import (
	"image"
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// newTestMap puts a map showing the Olinda fixture in a headless window of
// size w x h and waits for its first frame.
func newTestMap(t *testing.T, w, h float32) (*Map, fyne.Window, *pngSource, *squareGrid) {
	t.Helper()
	test.NewTempApp(t)
	scene, src, grid := olindaScene(t)
	m := NewMap()
	t.Cleanup(m.Close)
	win := test.NewTempWindow(t, m)
	win.SetPadded(false)
	win.Resize(fyne.NewSize(w, h))
	m.SetScene(scene)
	waitSettled(t, m)
	return m, win, src, grid
}

func TestMapFitsSceneOnOpen(t *testing.T) {
	m, _, src, _ := newTestMap(t, 400, 300)
	v := m.DeviceView()
	ext := src.Info().Extent
	got := v.Extent()
	if got.MinX > ext.MinX || got.MaxX < ext.MaxX || got.MinY > ext.MinY || got.MaxY < ext.MaxY {
		t.Errorf("initial view %+v does not show the scene %+v", got, ext)
	}
	if v.Width != 400 || v.Height != 300 {
		t.Errorf("device view is %dx%d, want 400x300 at canvas scale 1", v.Width, v.Height)
	}
}

func TestMapGoldenOlinda(t *testing.T) {
	m, win, _, _ := newTestMap(t, 360, 360)
	m.SetLayerStyle(LayerGrid, LayerStyle{Visible: false, Opacity: 0.5})
	waitSettled(t, m)
	test.AssertImageMatches(t, "map_olinda.png", win.Canvas().Capture())
}

func TestMapGoldenOverlayAndGrid(t *testing.T) {
	m, win, _, grid := newTestMap(t, 360, 360)
	results := NewResults(testClasses)
	m.SetResults(results)
	cols, rows := grid.Dims()
	for row := 0; row < rows/2; row++ {
		for col := 0; col < cols; col++ {
			results.Add(stripeResult(grid.Cell(col, row)))
		}
	}
	m.Select(ptr(grid.Cell(3, 4)))
	waitSettled(t, m)
	test.AssertImageMatches(t, "map_olinda_overlay.png", win.Canvas().Capture())
}

func ptr[T any](v T) *T { return &v }

func TestMapTapSelectsCell(t *testing.T) {
	m, _, _, grid := newTestMap(t, 400, 400)
	var got []Cell
	m.OnCellTapped = func(c Cell, _ MapPoint) { got = append(got, c) }

	want := grid.Cell(5, 7)
	centre := want.Bounds.Center()
	onUI(func() { test.TapAt(m, m.PositionOf(centre)) })
	if len(got) != 1 {
		t.Fatalf("OnCellTapped called %d times, want 1", len(got))
	}
	if got[0].ID != want.ID {
		t.Errorf("tapped cell %s, want %s", got[0].ID, want.ID)
	}

	onUI(func() { test.TapAt(m, fyne.NewPos(1, 1)) }) // outside the scene, in the margin
	if len(got) != 1 {
		t.Errorf("a tap outside the grid selected cell %s", got[len(got)-1].ID)
	}
}

func TestMapDragShiftsLastFrame(t *testing.T) {
	m, win, src, _ := newTestMap(t, 300, 300)
	var before *frame
	var grabbed MapPoint
	onUI(func() {
		before = m.shown
		grabbed = MapPoint{X: m.center.X + 30*m.scale, Y: m.center.Y}
	})
	if before == nil || before.imagery == nil {
		t.Fatal("no frame shown after opening the scene")
	}

	// Block the source so no new frame can arrive while the drag is laid
	// out: the renderer must draw the old frame shifted.
	gate := make(chan struct{})
	src.setGate(gate)
	var current *frame
	var r *mapRenderer
	var pos, grabbedAt fyne.Position
	onUI(func() {
		test.Drag(win.Canvas(), fyne.NewPos(150, 150), 40, -25)
		current = m.shown
		r = test.WidgetRenderer(m).(*mapRenderer)
		pos, grabbedAt = r.imagery.Position(), m.PositionOf(grabbed)
	})
	if current != before {
		t.Fatal("a new frame arrived while the source was blocked")
	}
	if math.Abs(float64(pos.X)-40) > 0.5 || math.Abs(float64(pos.Y)+25) > 0.5 {
		t.Errorf("old frame drawn at %v during the drag, want shifted by (40,-25)", pos)
	}
	if math.Abs(float64(grabbedAt.X)-(180+40)) > 0.5 {
		t.Errorf("grabbed point at x=%v after the drag, want %v", grabbedAt.X, 220)
	}

	src.setGate(nil)
	close(gate)
	waitSettled(t, m)
	onUI(func() { current, pos = m.shown, r.imagery.Position() })
	if current == before {
		t.Error("no new frame after the drag")
	}
	if math.Abs(float64(pos.X)) > 1e-3 || math.Abs(float64(pos.Y)) > 1e-3 {
		t.Errorf("new frame drawn at %v, want at the origin", pos)
	}
}

func TestMapWheelZoomKeepsPointUnderCursor(t *testing.T) {
	m, _, _, _ := newTestMap(t, 400, 300)
	cursor := fyne.NewPos(100, 80)
	before := m.MapPointAt(cursor)
	scale := m.scale
	// test.Scroll leaves the event position empty, so call the handler.
	onUI(func() {
		m.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: cursor}, Scrolled: fyne.Delta{DY: 25}})
	})
	after := m.MapPointAt(cursor)
	if math.Abs(before.X-after.X) > 1e-6 || math.Abs(before.Y-after.Y) > 1e-6 {
		t.Errorf("point under the cursor moved from %+v to %+v", before, after)
	}
	if want := scale / math.Exp2(0.25); math.Abs(m.scale-want) > 1e-9*want {
		t.Errorf("scale after one wheel notch = %v, want %v", m.scale, want)
	}
}

func TestMapZoomLimits(t *testing.T) {
	m, _, src, _ := newTestMap(t, 400, 300)
	onUI(func() {
		for i := 0; i < 100; i++ {
			m.ZoomAt(4, m.middle())
		}
	})
	if min := src.Info().PixelSize / maxPixelsPerRasterPixel; m.scale < min*(1-1e-9) {
		t.Errorf("zoomed in to %v units/px, below the limit %v", m.scale, min)
	}
	onUI(func() {
		for i := 0; i < 100; i++ {
			m.ZoomAt(0.25, m.middle())
		}
	})
	fit := FitView(src.Info().Extent, 400, 300).Scale
	if m.scale > fit*maxZoomOutFactor*(1+1e-9) {
		t.Errorf("zoomed out to %v units/px, above the limit %v", m.scale, fit*maxZoomOutFactor)
	}
}

func TestMapKeys(t *testing.T) {
	m, win, _, _ := newTestMap(t, 400, 400)
	win.Canvas().Focus(m)
	fit := m.scale
	start := m.center

	tests := []struct {
		name  string
		key   fyne.KeyName
		check func() bool
	}{
		{"right pans east", fyne.KeyRight, func() bool { return m.center.X > start.X }},
		{"up pans north", fyne.KeyUp, func() bool { return m.center.Y > start.Y }},
		{"plus zooms in", fyne.KeyPlus, func() bool { return m.scale < fit }},
		{"home shows all", fyne.KeyHome, func() bool { return m.scale == fit && m.center == start }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ok bool
			var centre MapPoint
			var scale float64
			onUI(func() {
				win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: tc.key})
				ok, centre, scale = tc.check(), m.center, m.scale
			})
			if !ok {
				t.Errorf("after %s: centre %+v, scale %v (start %+v, %v)", tc.key, centre, scale, start, fit)
			}
		})
	}
	var scale float64
	onUI(func() {
		test.Type(m, "-")
		scale = m.scale
	})
	if scale <= fit {
		t.Errorf("'-' did not zoom out: scale %v, full extent %v", scale, fit)
	}
}

func TestMapRendersAtCanvasScale(t *testing.T) {
	test.NewTempApp(t)
	scene, _, _ := olindaScene(t)
	m := NewMap()
	t.Cleanup(m.Close)
	win := test.NewTempWindow(t, m)
	win.SetPadded(false)
	win.Canvas().(test.WindowlessCanvas).SetScale(2)
	win.Resize(fyne.NewSize(200, 150))
	m.SetScene(scene)
	waitSettled(t, m)

	f := m.shown
	if f == nil || f.imagery == nil {
		t.Fatal("no frame rendered")
	}
	if got := f.imagery.Bounds().Size(); got != (image.Point{400, 300}) {
		t.Errorf("frame is %v device pixels, want 400x300 for a 200x150 map at scale 2", got)
	}
	r := test.WidgetRenderer(m).(*mapRenderer)
	if got := r.imagery.Size(); got != fyne.NewSize(200, 150) {
		t.Errorf("frame drawn at %v logical pixels, want 200x150", got)
	}
}

func TestMapReusesImageryWhenOnlyOverlayChanges(t *testing.T) {
	m, _, src, grid := newTestMap(t, 300, 300)
	renders := src.renderCount()
	results := NewResults(testClasses)
	m.SetResults(results)
	results.Add(stripeResult(grid.Cell(1, 1)))
	waitSettled(t, m)
	m.SetLayerStyle(LayerGrid, LayerStyle{Visible: false, Opacity: 0.3})
	waitSettled(t, m)
	if got := src.renderCount(); got != renders {
		t.Errorf("imagery rendered %d more times for overlay-only changes, want 0", got-renders)
	}
	if m.shown.cells[LayerLandUse].img == nil {
		t.Error("land-use layer is empty after a result arrived")
	}
}

func TestMapSharesOfView(t *testing.T) {
	m, _, _, grid := newTestMap(t, 300, 300)
	var shares []classShare
	m.onShares = func(s []classShare) { shares = s }
	results := NewResults(testClasses)
	m.SetResults(results)
	for col := 0; col < 4; col++ {
		results.Add(stripeResult(grid.Cell(col, 0)))
	}
	results.Add(stripeResult(grid.Cell(0, 1)))
	waitFor(t, "class shares", func() bool {
		return len(shares) == 2 && shares[0].Cells+shares[1].Cells == 5
	})
	if shares[0].Cells != 3 || math.Abs(shares[0].Share-0.6) > 1e-9 {
		t.Errorf("urban share = %d cells (%.2f), want 3 (0.60)", shares[0].Cells, shares[0].Share)
	}
}

func TestMapCloseIsIdempotent(t *testing.T) {
	m := NewMap()
	m.Close()
	done := make(chan struct{})
	go func() { m.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("second Close blocked")
	}
}

func TestMapDropsFrameOfReplacedScene(t *testing.T) {
	m, _, src, _ := newTestMap(t, 300, 300)
	gate := make(chan struct{})
	src.setGate(gate)
	m.ZoomIn() // queues a frame that blocks in the old scene's Render
	time.Sleep(20 * time.Millisecond)

	other, _, _ := olindaScene(t)
	old := m.Scene()
	m.SetScene(other)
	var shown []*Scene
	m.onShares = func([]classShare) { shown = append(shown, m.shown.job.scene) }
	src.setGate(nil)
	close(gate)
	waitSettled(t, m)
	for i, s := range shown {
		if s == old {
			t.Errorf("frame %d after SetScene shows the replaced scene", i)
		}
	}
	if len(shown) == 0 || shown[len(shown)-1] != m.Scene() {
		t.Error("no frame of the current scene was shown")
	}
}
