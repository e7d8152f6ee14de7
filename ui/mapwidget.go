package ui

import (
	"context"
	"image"
	"image/color"
	"math"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

var (
	_ fyne.Widget       = (*Map)(nil)
	_ fyne.Draggable    = (*Map)(nil)
	_ fyne.Scrollable   = (*Map)(nil)
	_ fyne.Tappable     = (*Map)(nil)
	_ fyne.Focusable    = (*Map)(nil)
	_ desktop.Hoverable = (*Map)(nil)
)

// Zoom steps: one mouse-wheel notch (a scroll of 25 logical pixels in
// Fyne's GLFW driver on Linux and Windows) zooms by 2^(25/100), about 1.19;
// trackpads send smaller deltas, so zooming is continuous. The keyboard
// zooms by 1.5 per key press and pans by an eighth of the view.
const (
	wheelZoomPerPixel = 1.0 / 100
	keyZoomFactor     = 1.5
	keyPanFraction    = 1.0 / 8
)

// Zoom limits: at most 64 logical pixels per raster pixel when zoomed in,
// and the whole scene in an eighth of the widget when zoomed out.
const (
	maxPixelsPerRasterPixel = 64
	maxZoomOutFactor        = 8
)

// minResultFrameInterval spaces frames that only add classifier results,
// so a fast job repaints the overlay about 30 times a second instead of
// once per cell.
const minResultFrameInterval = 33 * time.Millisecond

// CursorInfo describes the map under the mouse pointer.
type CursorInfo struct {
	At     MapPoint
	Point  PointInfo
	Cell   Cell
	InCell bool
}

// Map shows a scene's imagery and overlays and lets the user pan and zoom
// it. Frames are rendered on a worker goroutine and handed to Fyne with one
// fyne.Do per frame. While a new frame is rendered, the previous one is
// drawn shifted and scaled to the current view.
type Map struct {
	widget.BaseWidget

	// OnCellTapped is called on the UI goroutine when the user taps a grid
	// cell.
	OnCellTapped func(cell Cell, at MapPoint)

	// OnCursor is called on the UI goroutine when the pointer moves over
	// the map; info is nil when the pointer leaves it.
	OnCursor func(info *CursorInfo)

	// OnViewChanged is called on the UI goroutine after the view moved.
	OnViewChanged func()

	// OnOtherKey receives the keys typed while the map has the focus that
	// it does not use itself, such as Escape.
	OnOtherKey func(*fyne.KeyEvent)

	// onShares receives the class shares of each new frame, on the UI
	// goroutine, in the same fyne.Do call that shows the frame.
	onShares func([]classShare)

	// Fields below mu are shared with the render worker.
	mu            sync.Mutex
	scene         *Scene
	sceneGen      uint64
	layersGen     uint64
	styles        layerStyles
	results       *Results
	lastJob       renderJob
	pending       renderJob
	hasPending    bool
	busy          bool
	frameObserver func(FrameStats)

	// Fields below are used on the UI goroutine only.
	center   MapPoint
	scale    float64 // map units per logical pixel; 0 until the first fit
	needFit  bool
	selected *Cell
	shown    *frame

	pool   *bufferPool
	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	closed sync.Once
}

// NewMap returns an empty map and starts its render worker; Close stops it.
func NewMap() *Map {
	ctx, cancel := context.WithCancel(context.Background())
	m := &Map{
		styles: defaultStyles(),
		pool:   newBufferPool(),
		wake:   make(chan struct{}, 1),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	m.ExtendBaseWidget(m)
	go m.worker()
	return m
}

// Close stops the render worker. It is safe to call more than once.
func (m *Map) Close() {
	m.closed.Do(func() {
		m.cancel()
		<-m.done
	})
}

// SetFrameObserver sets a function called on the render worker goroutine
// after each frame is handed to Fyne, for timing logs and benchmarks.
func (m *Map) SetFrameObserver(f func(FrameStats)) {
	m.mu.Lock()
	m.frameObserver = f
	m.mu.Unlock()
}

// SetScene shows s (nil clears the map) and zooms to its full extent.
func (m *Map) SetScene(s *Scene) {
	m.mu.Lock()
	m.scene = s
	m.sceneGen++
	m.layersGen++
	m.mu.Unlock()

	m.selected = nil
	m.needFit = true
	m.fitIfSized()
	m.changed()
}

// Scene returns the scene shown, or nil.
func (m *Map) Scene() *Scene {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.scene
}

// SetLabels replaces the scene's label layer.
func (m *Map) SetLabels(l LabelLayer) {
	m.updateScene(func(s *Scene) { s.Labels = l })
}

// SetPhotos replaces the scene's ground-photo layer.
func (m *Map) SetPhotos(p PhotoLayer) {
	m.updateScene(func(s *Scene) { s.Photos = p })
}

// updateScene swaps in an edited copy of the scene, so a scene the worker
// is reading never changes.
func (m *Map) updateScene(edit func(*Scene)) {
	m.mu.Lock()
	if m.scene == nil {
		m.mu.Unlock()
		return
	}
	s := *m.scene
	edit(&s)
	m.scene = &s
	m.layersGen++
	m.mu.Unlock()
	m.changed()
}

// SetResults sets the classifier results the land-use and confidence
// layers show; the map repaints whenever they change.
func (m *Map) SetResults(r *Results) {
	m.mu.Lock()
	old := m.results
	m.results = r
	m.mu.Unlock()
	if old != nil && old != r {
		old.setOnChange(nil)
	}
	if r != nil {
		r.setOnChange(m.resultsChanged)
	}
	m.changed()
}

// resultsChanged queues a frame with the new results. It may run on any
// goroutine, so it only touches state guarded by mu.
func (m *Map) resultsChanged() {
	m.mu.Lock()
	r := m.results
	m.mu.Unlock()
	if r == nil {
		return
	}
	ver := r.Version()

	m.mu.Lock()
	job := m.lastJob
	if job.view.Valid() {
		job.results = r
		job.resultsVer = ver
		m.lastJob = job
		m.pending = job
		m.hasPending = true
	}
	m.mu.Unlock()
	m.poke()
}

// SetLayerStyle sets how layer id is drawn.
func (m *Map) SetLayerStyle(id LayerID, st LayerStyle) {
	if id < 0 || id >= layerCount {
		return
	}
	st.Opacity = clampOpacity(st.Opacity)
	m.mu.Lock()
	m.styles[id] = st
	m.mu.Unlock()
	m.changed()
}

// LayerStyle returns how layer id is drawn.
func (m *Map) LayerStyle(id LayerID) LayerStyle {
	if id < 0 || id >= layerCount {
		return LayerStyle{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.styles[id]
}

// Select outlines cell on the map; nil removes the outline.
func (m *Map) Select(cell *Cell) {
	m.selected = cell
	m.Refresh()
}

// ViewState returns the centre and the scale in map units per logical
// pixel, the form stored in project files (independent of screen density).
func (m *Map) ViewState() (center MapPoint, unitsPerPixel float64) {
	return m.center, m.scale
}

// SetViewState moves the map to center at unitsPerPixel map units per
// logical pixel.
func (m *Map) SetViewState(center MapPoint, unitsPerPixel float64) {
	if !(unitsPerPixel > 0) || math.IsInf(unitsPerPixel, 0) || math.IsNaN(center.X) || math.IsNaN(center.Y) {
		return
	}
	m.needFit = false
	m.center = center
	m.scale = unitsPerPixel
	m.clampView()
	m.changed()
}

// DeviceView returns the view a frame is rendered for now.
func (m *Map) DeviceView() View {
	ps := m.pixelScale()
	size := m.Size()
	return View{
		Center: m.center,
		Scale:  m.scale / ps,
		Width:  int(math.Round(float64(size.Width) * ps)),
		Height: int(math.Round(float64(size.Height) * ps)),
	}
}

// MapPointAt converts a position inside the widget to map coordinates.
func (m *Map) MapPointAt(pos fyne.Position) MapPoint {
	return MapPoint{
		X: m.center.X + (float64(pos.X)-float64(m.Size().Width)/2)*m.scale,
		Y: m.center.Y - (float64(pos.Y)-float64(m.Size().Height)/2)*m.scale,
	}
}

// PositionOf converts a map point to a position inside the widget.
func (m *Map) PositionOf(p MapPoint) fyne.Position {
	if m.scale == 0 {
		return fyne.Position{}
	}
	return fyne.NewPos(
		float32((p.X-m.center.X)/m.scale+float64(m.Size().Width)/2),
		float32(-(p.Y-m.center.Y)/m.scale+float64(m.Size().Height)/2),
	)
}

// PanBy moves the map content by dx, dy logical pixels.
func (m *Map) PanBy(dx, dy float32) {
	if m.scale == 0 {
		return
	}
	m.center.X -= float64(dx) * m.scale
	m.center.Y += float64(dy) * m.scale
	m.clampView()
	m.changed()
}

// ZoomAt zooms by factor (> 1 zooms in) keeping the map point under pos in
// place.
func (m *Map) ZoomAt(factor float64, pos fyne.Position) {
	if m.scale == 0 || !(factor > 0) || math.IsInf(factor, 0) {
		return
	}
	anchor := m.MapPointAt(pos)
	m.scale /= factor
	m.clampScale()
	after := m.MapPointAt(pos)
	m.center.X += anchor.X - after.X
	m.center.Y += anchor.Y - after.Y
	m.clampView()
	m.changed()
}

// ZoomIn zooms in one keyboard step about the centre.
func (m *Map) ZoomIn() { m.ZoomAt(keyZoomFactor, m.middle()) }

// ZoomOut zooms out one keyboard step about the centre.
func (m *Map) ZoomOut() { m.ZoomAt(1/keyZoomFactor, m.middle()) }

// FullExtent zooms to show the whole scene.
func (m *Map) FullExtent() {
	m.needFit = true
	m.fitIfSized()
	m.changed()
}

func (m *Map) middle() fyne.Position {
	return fyne.NewPos(m.Size().Width/2, m.Size().Height/2)
}

// fitIfSized fits the view to the scene once the widget has a size.
func (m *Map) fitIfSized() {
	s := m.Scene()
	size := m.Size()
	if !m.needFit || s == nil || size.Width <= 0 || size.Height <= 0 {
		return
	}
	ext := s.Source.Info().Extent
	if ext.Empty() {
		return
	}
	v := FitView(ext, int(math.Ceil(float64(size.Width))), int(math.Ceil(float64(size.Height))))
	m.center = v.Center
	m.scale = v.Scale
	m.needFit = false
}

// scaleLimits returns the smallest and largest map units per logical
// pixel the user may zoom to.
func (m *Map) scaleLimits() (lo, hi float64, ok bool) {
	s := m.Scene()
	size := m.Size()
	if s == nil || size.Width <= 0 || size.Height <= 0 {
		return 0, 0, false
	}
	info := s.Source.Info()
	fit := FitView(info.Extent, int(size.Width), int(size.Height)).Scale
	lo = info.PixelSize / maxPixelsPerRasterPixel
	hi = fit * maxZoomOutFactor
	if !(lo > 0) || lo > hi {
		lo = fit / 1e4
	}
	return lo, hi, true
}

func (m *Map) clampScale() {
	if lo, hi, ok := m.scaleLimits(); ok {
		m.scale = math.Min(math.Max(m.scale, lo), hi)
	}
}

func (m *Map) clampView() {
	if s := m.Scene(); s != nil {
		m.center = clampCenter(m.center, s.Source.Info().Extent)
	}
}

// changed repaints the map from the last frame and queues a new frame.
func (m *Map) changed() {
	m.requestFrame()
	m.Refresh()
	if m.OnViewChanged != nil {
		m.OnViewChanged()
	}
}

// pixelScale returns the device pixels per logical pixel of the canvas the
// map is on, or 1 before it is on one.
func (m *Map) pixelScale() float64 {
	app := fyne.CurrentApp()
	if app == nil || app.Driver() == nil {
		return 1
	}
	if c := app.Driver().CanvasForObject(m); c != nil && c.Scale() > 0 {
		return float64(c.Scale())
	}
	return 1
}

// requestFrame queues a frame for the current state.
func (m *Map) requestFrame() {
	v := m.DeviceView()
	ps := m.pixelScale()
	m.mu.Lock()
	job := renderJob{
		view:       v,
		pixelScale: ps,
		scene:      m.scene,
		sceneGen:   m.sceneGen,
		layersGen:  m.layersGen,
		styles:     m.styles,
		results:    m.results,
	}
	if job.results != nil {
		job.resultsVer = job.results.Version()
	}
	m.lastJob = job
	if v.Valid() {
		m.pending = job
		m.hasPending = true
	}
	m.mu.Unlock()
	m.poke()
}

func (m *Map) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// worker renders the latest queued job, one at a time, until Close.
func (m *Map) worker() {
	defer close(m.done)
	var last *frame
	var lastShown time.Time
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-m.wake:
		}
		for {
			m.mu.Lock()
			if !m.hasPending {
				m.busy = false
				m.mu.Unlock()
				break
			}
			job := m.pending
			m.hasPending = false
			m.busy = true
			observer := m.frameObserver
			m.mu.Unlock()

			if last != nil && job.same(last.job) {
				continue
			}
			if last != nil && onlyResultsChanged(job, last.job) {
				if wait := minResultFrameInterval - time.Since(lastShown); wait > 0 {
					time.Sleep(wait)
				}
			}
			f := buildFrame(m.ctx, m.pool, job, last)
			if m.ctx.Err() != nil {
				return
			}
			if m.stale(f) {
				m.recycle(f, last)
				continue
			}
			last = f
			lastShown = time.Now()
			doOnUI(func() { m.showFrame(f) })
			if observer != nil {
				observer(f.stats)
			}
		}
	}
}

// stale reports whether f shows a scene that was replaced while it was
// rendered; showing it would flash the old scene, or an error from its
// closed files.
func (m *Map) stale(f *frame) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return f.job.sceneGen != m.sceneGen
}

// recycle returns the buffers of a dropped frame that last does not use.
func (m *Map) recycle(f, last *frame) {
	if last == nil || f.imagery != last.imagery {
		m.pool.put(f.imagery)
	}
	if last == nil || f.vector != last.vector {
		m.pool.put(f.vector)
	}
}

// onlyResultsChanged reports whether j differs from o by its results only.
func onlyResultsChanged(j, o renderJob) bool {
	if j.results == o.results && j.resultsVer == o.resultsVer {
		return false
	}
	o.results, o.resultsVer = j.results, j.resultsVer
	return j.same(o)
}

// showFrame makes f the frame on screen and returns the buffers of the
// previous frame that f does not reuse. It runs on the UI goroutine.
func (m *Map) showFrame(f *frame) {
	old := m.shown
	m.shown = f
	m.Refresh()
	if old != nil {
		if old.imagery != f.imagery {
			m.pool.put(old.imagery)
		}
		if old.vector != f.vector {
			m.pool.put(old.vector)
		}
	}
	if m.onShares != nil {
		m.onShares(f.shares)
	}
}

// settled reports whether the worker has no queued or running job; tests
// use it to wait for the frame of the current state.
func (m *Map) settled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.hasPending && !m.busy
}

// Resize lays the map out at size and renders a frame for it.
func (m *Map) Resize(size fyne.Size) {
	if size == m.Size() {
		return
	}
	m.BaseWidget.Resize(size)
	m.fitIfSized()
	m.changed()
}

// Dragged pans the map with the pointer.
func (m *Map) Dragged(ev *fyne.DragEvent) {
	m.PanBy(ev.Dragged.DX, ev.Dragged.DY)
}

// DragEnd ends a pan; the frame for the final view is already queued.
func (m *Map) DragEnd() {}

// Scrolled zooms about the pointer: scrolling up zooms in.
func (m *Map) Scrolled(ev *fyne.ScrollEvent) {
	factor := math.Exp2(float64(ev.Scrolled.DY) * wheelZoomPerPixel)
	m.ZoomAt(factor, ev.Position)
}

// Tapped selects the grid cell under the pointer and takes the keyboard
// focus, so arrow keys pan the map.
func (m *Map) Tapped(ev *fyne.PointEvent) {
	if app := fyne.CurrentApp(); app != nil {
		if c := app.Driver().CanvasForObject(m); c != nil {
			c.Focus(m)
		}
	}
	s := m.Scene()
	if s == nil || s.Grid == nil || m.scale == 0 {
		return
	}
	p := m.MapPointAt(ev.Position)
	cell, ok := s.Grid.CellAt(p)
	if !ok {
		return
	}
	if m.OnCellTapped != nil {
		m.OnCellTapped(cell, p)
	}
}

// CursorAt describes the map under pos.
func (m *Map) CursorAt(pos fyne.Position) *CursorInfo {
	s := m.Scene()
	if s == nil || m.scale == 0 {
		return nil
	}
	p := m.MapPointAt(pos)
	info := &CursorInfo{At: p, Point: s.Source.Locate(p)}
	if s.Grid != nil {
		info.Cell, info.InCell = s.Grid.CellAt(p)
	}
	return info
}

// MouseIn reports the cursor position.
func (m *Map) MouseIn(ev *desktop.MouseEvent) { m.MouseMoved(ev) }

// MouseMoved reports the cursor position.
func (m *Map) MouseMoved(ev *desktop.MouseEvent) {
	if m.OnCursor != nil {
		m.OnCursor(m.CursorAt(ev.Position))
	}
}

// MouseOut clears the cursor position.
func (m *Map) MouseOut() {
	if m.OnCursor != nil {
		m.OnCursor(nil)
	}
}

// FocusGained is part of fyne.Focusable.
func (m *Map) FocusGained() {}

// FocusLost is part of fyne.Focusable.
func (m *Map) FocusLost() {}

// TypedRune zooms with + (or =) and -.
func (m *Map) TypedRune(r rune) {
	switch r {
	case '+', '=':
		m.ZoomIn()
	case '-', '_':
		m.ZoomOut()
	}
}

// TypedKey pans with the arrow keys and zooms to the full extent with Home.
func (m *Map) TypedKey(ev *fyne.KeyEvent) {
	if !m.HandleKey(ev.Name) && m.OnOtherKey != nil {
		m.OnOtherKey(ev)
	}
}

// HandleKey applies a map key; it returns false for keys the map does not
// use. The window calls it for keys typed while no widget has the focus.
func (m *Map) HandleKey(key fyne.KeyName) bool {
	w, h := m.Size().Width, m.Size().Height
	step := float32(keyPanFraction)
	switch key {
	case fyne.KeyLeft:
		m.PanBy(w*step, 0)
	case fyne.KeyRight:
		m.PanBy(-w*step, 0)
	case fyne.KeyUp:
		m.PanBy(0, h*step)
	case fyne.KeyDown:
		m.PanBy(0, -h*step)
	case fyne.KeyHome:
		m.FullExtent()
	case fyne.KeyPlus, fyne.KeyEqual:
		m.ZoomIn()
	case fyne.KeyMinus:
		m.ZoomOut()
	default:
		return false
	}
	return true
}

// CreateRenderer is part of fyne.Widget.
func (m *Map) CreateRenderer() fyne.WidgetRenderer {
	r := &mapRenderer{m: m}
	r.background = canvas.NewRectangle(color.NRGBA{R: 0x20, G: 0x22, B: 0x26, A: 0xff})
	r.imagery = newLayerImage(canvas.ImageScaleFastest)
	for id := range r.cells {
		r.cells[id] = newLayerImage(canvas.ImageScalePixels)
	}
	r.vector = newLayerImage(canvas.ImageScaleFastest)
	r.selection = canvas.NewRectangle(color.Transparent)
	r.selection.StrokeColor = color.NRGBA{R: 255, G: 230, B: 0, A: 255}
	r.selection.StrokeWidth = 2
	r.message = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.message.Alignment = fyne.TextAlignCenter

	r.objects = []fyne.CanvasObject{r.background, r.imagery}
	for _, id := range []LayerID{LayerLandUse, LayerConfidence, LayerLabels} {
		r.objects = append(r.objects, r.cells[id])
	}
	r.objects = append(r.objects, r.vector, r.selection, r.message)
	return r
}

func newLayerImage(mode canvas.ImageScale) *canvas.Image {
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillStretch
	img.ScaleMode = mode
	img.Hide()
	return img
}

// mapRenderer places the images of the shown frame at the current view.
// It never reads files: frames arrive complete from the worker.
type mapRenderer struct {
	m          *Map
	background *canvas.Rectangle
	imagery    *canvas.Image
	cells      [layerCount]*canvas.Image
	vector     *canvas.Image
	selection  *canvas.Rectangle
	message    *canvas.Text
	objects    []fyne.CanvasObject
	laidOut    *frame
}

func (r *mapRenderer) Destroy() {}

func (r *mapRenderer) MinSize() fyne.Size { return fyne.NewSize(200, 150) }

func (r *mapRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *mapRenderer) Refresh() {
	f := r.m.shown
	if f != r.laidOut {
		r.swapImages(f)
		r.laidOut = f
	}
	r.Layout(r.m.Size())
	canvas.Refresh(r.selection)
}

// swapImages puts the images of f into the canvas objects, refreshing only
// those whose image changed (a refresh uploads a new texture).
func (r *mapRenderer) swapImages(f *frame) {
	set := func(obj *canvas.Image, img image.Image) {
		if img == nil || isNilImage(img) {
			obj.Image = nil
			obj.Hide()
			return
		}
		if obj.Image != img {
			obj.Image = img
			obj.Refresh()
		}
		obj.Show()
	}
	if f == nil {
		set(r.imagery, nil)
		set(r.vector, nil)
		for _, c := range r.cells {
			if c != nil {
				set(c, nil)
			}
		}
		return
	}
	set(r.imagery, f.imagery)
	set(r.vector, f.vector)
	for id, c := range r.cells {
		if c != nil {
			set(c, f.cells[id].img)
		}
	}
}

// isNilImage reports whether img is a typed nil pointer.
func isNilImage(img image.Image) bool {
	switch v := img.(type) {
	case *image.RGBA:
		return v == nil
	case *image.NRGBA:
		return v == nil
	}
	return false
}

func (r *mapRenderer) Layout(size fyne.Size) {
	r.background.Resize(size)
	r.background.Move(fyne.Position{})
	m := r.m
	f := m.shown
	cur := m.DeviceView()
	ps := m.pixelScale()

	place := func(obj *canvas.Image, ext MapRect) {
		sr := screenRectOf(cur, ext)
		obj.Move(fyne.NewPos(float32(sr.X/ps), float32(sr.Y/ps)))
		obj.Resize(fyne.NewSize(float32(sr.W/ps), float32(sr.H/ps)))
	}
	styles := m.stylesSnapshot()
	if f != nil && cur.Valid() {
		place(r.imagery, f.job.view.Extent())
		place(r.vector, f.job.view.Extent())
		setTranslucency(r.imagery, 1-styles[LayerImagery].Opacity)
		for id, c := range r.cells {
			if c == nil || f.cells[id].img == nil {
				continue
			}
			place(c, f.cells[id].bounds)
			setTranslucency(c, 1-styles[id].Opacity)
		}
	}
	r.layoutSelection(cur, ps)
	r.layoutMessage(size, f)
}

// setTranslucency changes an image's translucency and repaints it only
// when the value changed.
func setTranslucency(obj *canvas.Image, t float64) {
	if obj.Translucency != t {
		obj.Translucency = t
		canvas.Refresh(obj)
	}
}

func (r *mapRenderer) layoutSelection(cur View, ps float64) {
	sel := r.m.selected
	if sel == nil || !cur.Valid() {
		r.selection.Hide()
		return
	}
	sr := screenRectOf(cur, sel.Bounds)
	r.selection.Move(fyne.NewPos(float32(sr.X/ps), float32(sr.Y/ps)))
	r.selection.Resize(fyne.NewSize(float32(sr.W/ps), float32(sr.H/ps)))
	r.selection.Show()
}

func (r *mapRenderer) layoutMessage(size fyne.Size, f *frame) {
	text := ""
	switch {
	case r.m.Scene() == nil:
		text = "No scene open: use File > Open or drop a raster here"
	case f != nil && f.err != nil:
		text = "Imagery could not be drawn: " + f.err.Error()
	}
	if r.message.Text != text {
		r.message.Text = text
		r.message.Refresh()
	}
	r.message.Color = theme.Color(theme.ColorNameForeground)
	ms := r.message.MinSize()
	r.message.Resize(ms)
	r.message.Move(fyne.NewPos((size.Width-ms.Width)/2, (size.Height-ms.Height)/2))
}

// stylesSnapshot returns the layer styles under the lock.
func (m *Map) stylesSnapshot() layerStyles {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.styles
}
