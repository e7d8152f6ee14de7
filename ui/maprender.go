package ui

import (
	"context"
	"image"
	"image/color"
	"math"
	"time"
)

// renderJob is a snapshot of everything a frame depends on, taken on the
// UI goroutine and handed to the render worker.
type renderJob struct {
	view       View
	pixelScale float64 // device pixels per logical pixel
	scene      *Scene
	sceneGen   uint64 // changes when the scene or its imagery changes
	layersGen  uint64 // changes when a label or photo layer is loaded
	styles     layerStyles
	results    *Results
	resultsVer uint64
}

// sameImagery reports whether a frame for j can reuse the imagery of a
// frame made for o.
func (j renderJob) sameImagery(o renderJob) bool {
	return j.view == o.view && j.sceneGen == o.sceneGen &&
		j.styles[LayerImagery].Visible == o.styles[LayerImagery].Visible
}

// sameVector reports whether a frame for j can reuse the grid and photo
// layer of a frame made for o.
func (j renderJob) sameVector(o renderJob) bool {
	return j.view == o.view && j.sceneGen == o.sceneGen && j.layersGen == o.layersGen &&
		j.pixelScale == o.pixelScale &&
		j.styles[LayerGrid] == o.styles[LayerGrid] && j.styles[LayerPhotos] == o.styles[LayerPhotos]
}

// same reports whether j and o would give the same frame.
func (j renderJob) same(o renderJob) bool {
	return j.sameImagery(o) && j.sameVector(o) && j.results == o.results && j.resultsVer == o.resultsVer &&
		j.styles == o.styles
}

// cellImage is a per-cell layer: one pixel per cell (or per block of cells
// when cells are smaller than a device pixel), placed over bounds and
// scaled up with nearest-neighbour sampling so class edges stay sharp.
type cellImage struct {
	img    *image.NRGBA
	bounds MapRect
}

// classShare is the part of the classified cells in view that has a class.
type classShare struct {
	Class Class
	Cells int
	Share float64 // 0..1 of the classified cells in view
}

// FrameStats describes how one map frame was prepared.
type FrameStats struct {
	View    View
	Total   time.Duration // from taking the job to handing the frame to Fyne
	Imagery time.Duration // spent in MapSource.Render; 0 when the imagery was reused
	Reused  bool          // the imagery of the previous frame was reused
	Err     error         // imagery rendering failure, shown on the map
}

// frame is a finished set of layer images for one view.
type frame struct {
	job     renderJob
	imagery *image.RGBA // nil when the imagery is hidden or failed
	vector  *image.RGBA // grid lines and photo markers; nil when both are hidden
	cells   [layerCount]cellImage
	shares  []classShare
	err     error
	stats   FrameStats
}

// bufferPool recycles device-sized RGBA buffers between frames. The UI
// goroutine returns a buffer once no canvas object shows it any more.
type bufferPool struct {
	free chan *image.RGBA
}

func newBufferPool() *bufferPool {
	return &bufferPool{free: make(chan *image.RGBA, 4)}
}

// get returns a cleared buffer of size w x h.
func (p *bufferPool) get(w, h int) *image.RGBA {
	for {
		select {
		case buf := <-p.free:
			if buf.Rect.Dx() != w || buf.Rect.Dy() != h {
				continue
			}
			clear(buf.Pix)
			return buf
		default:
			return image.NewRGBA(image.Rect(0, 0, w, h))
		}
	}
}

// put returns buf to the pool, or drops it when the pool is full.
func (p *bufferPool) put(buf *image.RGBA) {
	if buf == nil {
		return
	}
	select {
	case p.free <- buf:
	default:
	}
}

// buildFrame makes the frame for job, reusing layers of prev that job does
// not change. It does the imagery I/O, so it runs on the render worker.
func buildFrame(ctx context.Context, pool *bufferPool, job renderJob, prev *frame) *frame {
	start := time.Now()
	f := &frame{job: job}
	f.stats.View = job.view

	if prev != nil && job.sameImagery(prev.job) && prev.err == nil {
		f.imagery = prev.imagery
		f.stats.Reused = true
	} else if job.scene != nil && job.styles[LayerImagery].Visible {
		t := time.Now()
		buf := pool.get(job.view.Width, job.view.Height)
		if err := job.scene.Source.Render(ctx, job.view, buf); err != nil {
			pool.put(buf)
			f.err = err
		} else {
			f.imagery = buf
		}
		f.stats.Imagery = time.Since(t)
	}

	if prev != nil && job.sameVector(prev.job) {
		f.vector = prev.vector
	} else {
		f.vector = drawVector(pool, job)
	}

	f.cells, f.shares = buildCellLayers(job)
	f.stats.Err = f.err
	f.stats.Total = time.Since(start)
	return f
}

// drawVector draws the grid lines and photo markers of job into one
// device-sized buffer, or returns nil when there is nothing to draw.
func drawVector(pool *bufferPool, job renderJob) *image.RGBA {
	s := job.scene
	if s == nil {
		return nil
	}
	gridOn := job.styles[LayerGrid].Visible && job.styles[LayerGrid].Opacity > 0 && s.Grid != nil
	photosOn := job.styles[LayerPhotos].Visible && job.styles[LayerPhotos].Opacity > 0 && s.Photos != nil
	if !gridOn && !photosOn {
		return nil
	}
	buf := pool.get(job.view.Width, job.view.Height)
	if gridOn {
		drawGridLines(buf, job.view, s.Grid, job.styles[LayerGrid].Opacity)
	}
	if photosOn {
		radius := 4 * job.pixelScale
		for _, p := range s.Photos.PhotosIn(job.view.Extent()) {
			x, y := job.view.ToScreen(p.At)
			drawMarker(buf, x, y, radius, job.styles[LayerPhotos].Opacity)
		}
	}
	return buf
}

// gridLineColor is light enough to show on dark imagery and thin enough not
// to hide it.
var gridLineColor = color.NRGBA{R: 255, G: 255, B: 255, A: 255}

// minGridLineSpacing is the cell size in device pixels below which inner
// grid lines are not drawn, because they would hide the imagery.
const minGridLineSpacing = 8

// drawGridLines draws the cell edges of g visible in v.
func drawGridLines(dst *image.RGBA, v View, g Grid, opacity float64) {
	c0, r0, c1, r1, ok := g.Span(v.Extent())
	if !ok {
		return
	}
	cw, ch := g.CellSize()
	col := gridLineColor
	col.A = uint8(math.Round(255 * opacity))
	first := g.Cell(c0, r0).Bounds
	last := g.Cell(c1, r1).Bounds
	x0, y0 := v.ToScreen(MapPoint{X: first.MinX, Y: first.MaxY})
	x1, y1 := v.ToScreen(MapPoint{X: last.MaxX, Y: last.MinY})

	step := 1
	if cw/v.Scale < minGridLineSpacing || ch/v.Scale < minGridLineSpacing {
		step = 0 // outline only
	}
	for c := c0; c <= c1+1; c++ {
		if step == 0 && c != c0 && c != c1+1 {
			continue
		}
		x, _ := v.ToScreen(MapPoint{X: first.MinX + float64(c-c0)*cw})
		vline(dst, int(math.Floor(x)), int(math.Floor(y0)), int(math.Ceil(y1)), col)
	}
	for r := r0; r <= r1+1; r++ {
		if step == 0 && r != r0 && r != r1+1 {
			continue
		}
		_, y := v.ToScreen(MapPoint{Y: first.MaxY - float64(r-r0)*ch})
		hline(dst, int(math.Floor(x0)), int(math.Ceil(x1)), int(math.Floor(y)), col)
	}
}

// blend draws colour c over the pixel at x, y of dst (premultiplied RGBA).
func blend(dst *image.RGBA, x, y int, c color.NRGBA) {
	if !(image.Point{x, y}.In(dst.Rect)) || c.A == 0 {
		return
	}
	i := dst.PixOffset(x, y)
	a := uint32(c.A)
	inv := 255 - a
	p := dst.Pix[i : i+4 : i+4]
	p[0] = uint8((uint32(c.R)*a + uint32(p[0])*inv) / 255)
	p[1] = uint8((uint32(c.G)*a + uint32(p[1])*inv) / 255)
	p[2] = uint8((uint32(c.B)*a + uint32(p[2])*inv) / 255)
	p[3] = uint8(a + uint32(p[3])*inv/255)
}

func vline(dst *image.RGBA, x, y0, y1 int, c color.NRGBA) {
	y0 = max(y0, dst.Rect.Min.Y)
	y1 = min(y1, dst.Rect.Max.Y-1)
	for y := y0; y <= y1; y++ {
		blend(dst, x, y, c)
	}
}

func hline(dst *image.RGBA, x0, x1, y int, c color.NRGBA) {
	x0 = max(x0, dst.Rect.Min.X)
	x1 = min(x1, dst.Rect.Max.X-1)
	for x := x0; x <= x1; x++ {
		blend(dst, x, y, c)
	}
}

// Photo markers are orange discs with a dark rim, visible on imagery and
// on every class colour.
var (
	markerFill = color.NRGBA{R: 255, G: 140, B: 0, A: 255}
	markerRim  = color.NRGBA{R: 20, G: 20, B: 20, A: 255}
)

// drawMarker draws a photo marker of the given radius (device pixels)
// centred on x, y.
func drawMarker(dst *image.RGBA, x, y, radius, opacity float64) {
	r := int(math.Ceil(radius)) + 1
	cx, cy := int(math.Floor(x)), int(math.Floor(y))
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			d := math.Hypot(float64(dx), float64(dy))
			var c color.NRGBA
			switch {
			case d <= radius-1:
				c = markerFill
			case d <= radius+0.5:
				c = markerRim
			default:
				continue
			}
			c.A = uint8(math.Round(float64(c.A) * opacity))
			blend(dst, cx+dx, cy+dy, c)
		}
	}
}

// buildCellLayers makes the land-use, confidence and label images for the
// cells in view, and the share of each class among the classified cells in
// view.
func buildCellLayers(job renderJob) (layers [layerCount]cellImage, shares []classShare) {
	s := job.scene
	if s == nil || s.Grid == nil {
		return layers, nil
	}
	span, ok := visibleSpan(job.view, s.Grid)
	if !ok {
		return layers, nil
	}
	if job.results != nil {
		classes := job.results.Classes()
		counts := make([]int, len(classes))
		job.results.lookup(func(rv resultView) {
			get := rv.get
			countClasses(span, rv, counts)
			if job.styles[LayerLandUse].Visible {
				layers[LayerLandUse] = paintCells(span, func(col, row int) (color.NRGBA, bool) {
					return landUseColor(get, classes, col, row)
				})
			}
			if job.styles[LayerConfidence].Visible {
				layers[LayerConfidence] = paintCells(span, func(col, row int) (color.NRGBA, bool) {
					return confidenceColor(get, len(classes), col, row)
				})
			}
		})
		shares = sharesOf(classes, counts)
	}
	if s.Labels != nil && job.styles[LayerLabels].Visible {
		classes := s.Labels.Classes()
		layers[LayerLabels] = paintCells(span, func(col, row int) (color.NRGBA, bool) {
			k, ok := s.Labels.CellLabel(col, row)
			if !ok || k < 0 || k >= len(classes) {
				return color.NRGBA{}, false
			}
			return classes[k].Color, true
		})
	}
	return layers, shares
}

// cellSpan is the block of cells a per-cell image covers. Every stride-th
// cell is sampled, so the image never has more pixels than the view.
type cellSpan struct {
	col0, row0 int
	cols, rows int // cells covered, starting at col0, row0
	stride     int
	bounds     MapRect
}

// visibleSpan returns the cells of g that intersect view v.
func visibleSpan(v View, g Grid) (cellSpan, bool) {
	c0, r0, c1, r1, ok := g.Span(v.Extent())
	if !ok {
		return cellSpan{}, false
	}
	sp := cellSpan{col0: c0, row0: r0, cols: c1 - c0 + 1, rows: r1 - r0 + 1, stride: 1}
	for sp.cols/sp.stride > v.Width || sp.rows/sp.stride > v.Height {
		sp.stride *= 2
	}
	cw, ch := g.CellSize()
	first := g.Cell(c0, r0).Bounds
	nx := ceilDiv(sp.cols, sp.stride)
	ny := ceilDiv(sp.rows, sp.stride)
	sp.bounds = MapRect{
		MinX: first.MinX, MaxY: first.MaxY,
		MaxX: first.MinX + float64(nx*sp.stride)*cw,
		MinY: first.MaxY - float64(ny*sp.stride)*ch,
	}
	return sp, true
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// paintCells makes one pixel per sampled cell of span, coloured by colorOf;
// cells for which colorOf returns false stay transparent. It returns an
// empty cellImage when no cell has a colour.
func paintCells(span cellSpan, colorOf func(col, row int) (color.NRGBA, bool)) cellImage {
	nx := ceilDiv(span.cols, span.stride)
	ny := ceilDiv(span.rows, span.stride)
	img := image.NewNRGBA(image.Rect(0, 0, nx, ny))
	any := false
	for j := 0; j < ny; j++ {
		row := span.row0 + j*span.stride
		for i := 0; i < nx; i++ {
			col := span.col0 + i*span.stride
			if c, ok := colorOf(col, row); ok {
				img.SetNRGBA(i, j, c)
				any = true
			}
		}
	}
	if !any {
		return cellImage{}
	}
	return cellImage{img: img, bounds: span.bounds}
}

func landUseColor(get func(col, row int) (CellResult, bool), classes []Class, col, row int) (color.NRGBA, bool) {
	res, ok := get(col, row)
	if !ok {
		return color.NRGBA{}, false
	}
	k, _ := res.Best()
	if k < 0 || k >= len(classes) {
		return color.NRGBA{}, false
	}
	c := classes[k].Color
	c.A = 255
	return c, true
}

func confidenceColor(get func(col, row int) (CellResult, bool), nClasses, col, row int) (color.NRGBA, bool) {
	res, ok := get(col, row)
	if !ok {
		return color.NRGBA{}, false
	}
	_, p := res.Best()
	return confidenceRamp(float64(p), nClasses), true
}

// Confidence ramp end points: viridis purple (uncertain), teal and yellow
// (certain), readable by most colour-blind users.
var confidenceStops = [3]color.NRGBA{
	{R: 68, G: 1, B: 84, A: 255},
	{R: 33, G: 145, B: 140, A: 255},
	{R: 253, G: 231, B: 37, A: 255},
}

// confidenceRamp maps the top-class probability p to a colour, from the
// chance level 1/nClasses (purple) to certainty (yellow).
func confidenceRamp(p float64, nClasses int) color.NRGBA {
	low := 0.0
	if nClasses > 1 {
		low = 1 / float64(nClasses)
	}
	t := 0.0
	if p > low {
		t = math.Min((p-low)/(1-low), 1)
	}
	lerp := func(a, b uint8, u float64) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*u)) }
	a, b, u := confidenceStops[0], confidenceStops[1], t*2
	if t > 0.5 {
		a, b, u = confidenceStops[1], confidenceStops[2], (t-0.5)*2
	}
	return color.NRGBA{R: lerp(a.R, b.R, u), G: lerp(a.G, b.G, u), B: lerp(a.B, b.B, u), A: 255}
}

// countClasses counts the best class of every classified cell of span (all
// cells, not only the sampled ones). It walks whichever is smaller: the
// span or the results.
func countClasses(span cellSpan, rv resultView, counts []int) {
	add := func(res CellResult) {
		if k, _ := res.Best(); k >= 0 && k < len(counts) {
			counts[k]++
		}
	}
	if span.cols*span.rows > rv.len() {
		rv.each(func(res CellResult) {
			c, r := res.Cell.Col, res.Cell.Row
			if c >= span.col0 && c < span.col0+span.cols && r >= span.row0 && r < span.row0+span.rows {
				add(res)
			}
		})
		return
	}
	for row := span.row0; row < span.row0+span.rows; row++ {
		for col := span.col0; col < span.col0+span.cols; col++ {
			if res, ok := rv.get(col, row); ok {
				add(res)
			}
		}
	}
}

func sharesOf(classes []Class, counts []int) []classShare {
	total := 0
	for _, n := range counts {
		total += n
	}
	out := make([]classShare, len(classes))
	for i, c := range classes {
		out[i] = classShare{Class: c, Cells: counts[i]}
		if total > 0 {
			out[i].Share = float64(counts[i]) / float64(total)
		}
	}
	return out
}
