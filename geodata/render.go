package geodata

import (
	"context"
	"fmt"
	"image"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/airbusgeo/godal"
)

// tileSize is the side of a cached tile in pixels at its resolution level.
const tileSize = 256

// overviewThreshold lets a render read a level up to this factor coarser
// than the screen, as GDAL's own overview choice does
// (GDAL_OVERVIEW_OVERSAMPLING_THRESHOLD), so views just above a power of
// two do not read four times the pixels.
const overviewThreshold = 1.2

var layerIDs atomic.Uint64

// LayerOptions configure NewLayer. The zero value shows the dataset in its
// own CRS with the default style and a private cache.
type LayerOptions struct {
	Style StyleOptions
	// Cache holds decoded tiles; nil gives the layer its own cache of
	// DefaultTileCacheBytes.
	Cache *TileCache
	// MapCRS is the CRS of the views the layer is drawn into. When it
	// differs from the dataset's CRS, GDAL's warper reprojects each tile
	// from the dataset into MapCRS. Nil (or Kind CRSNone) means the
	// dataset's own CRS.
	MapCRS *CRS
}

// Layer draws one dataset into views. It reads only the tiles a view needs,
// at the resolution level closest to the screen's, and caches them styled.
// All its methods are safe for concurrent use.
type Layer struct {
	id     uint64
	source *Dataset // the dataset shown; the layer does not own it
	grid   tileGrid // the pixel grid tiles are cut from, in the map CRS
	warp   *warpPlan

	style     Style
	rules     validityRules
	readBands []int // style bands, then the alpha band if any
	hasAlpha  bool  // reads end with an alpha band
	asBytes   bool  // every read band is Byte
	luts      [][256]uint8
	cache     *TileCache
	closed    atomic.Bool
}

// tileGrid is the pixel grid a layer's tiles are cut from: the dataset's
// own pixels, or for a warped layer a north-up grid in the map CRS.
type tileGrid struct {
	gt            GeoTransform
	width, height int
}

// NewLayer prepares ds for display: it resolves the bands, computes the
// stretch once from overviews or a sample, and warps ds into opts.MapCRS
// when needed. The layer does not own ds: close the layer before ds.
func NewLayer(ds *Dataset, opts LayerOptions) (*Layer, error) {
	info := ds.Info()
	mode, bands, err := resolveBands(info, opts.Style)
	if err != nil {
		return nil, fmt.Errorf("display %s: %w", ds.Path(), err)
	}
	if err := checkDisplayable(info, bands); err != nil {
		return nil, err
	}
	style := Style{Mode: mode, Bands: bands}
	if mode == ModePalette {
		style.Palette = info.Bands[bands[0]-1].ColorTable
	} else {
		style.Ranges, style.Notes, err = computeRanges(ds, bands, opts.Style)
		if err != nil {
			return nil, fmt.Errorf("display %s: %w", ds.Path(), err)
		}
	}

	l := &Layer{id: layerIDs.Add(1), source: ds, cache: opts.Cache}
	l.grid = tileGrid{gt: info.GeoTransform, width: info.Width, height: info.Height}
	if opts.MapCRS != nil && opts.MapCRS.Kind != CRSNone && !SameCRS(info.CRS, *opts.MapCRS) {
		if l.warp, l.grid, err = planWarp(ds, *opts.MapCRS); err != nil {
			return nil, err
		}
	}
	if l.cache == nil {
		l.cache = NewTileCache(DefaultTileCacheBytes)
	}
	l.setStyle(style)
	return l, nil
}

func checkDisplayable(info Info, bands []int) error {
	for _, b := range bands {
		if info.Bands[b-1].IsComplex() {
			return fmt.Errorf("display %s band %d (%s): %w", info.Path, b, info.Bands[b-1].DataType, ErrUnsupportedDataType)
		}
	}
	return nil
}

// setStyle derives the read plan from style.
func (l *Layer) setStyle(style Style) {
	info := l.source.Info()
	style.AlphaBand = info.AlphaBand()
	l.style = style
	l.rules = newValidityRules(info, style.Bands, style.AlphaBand)

	l.readBands = append([]int{}, style.Bands...)
	if style.AlphaBand > 0 {
		l.readBands = append(l.readBands, style.AlphaBand)
	}
	l.hasAlpha = style.AlphaBand > 0
	if l.warp != nil {
		// The warper applies the source's masks and writes its own alpha.
		l.rules.datasetMask = false
		l.rules.alphaScale = 1
		l.hasAlpha = true
	}

	l.asBytes = true
	for _, b := range style.Bands {
		if info.Bands[b-1].dataType != godal.Byte {
			l.asBytes = false
		}
	}
	if l.warp == nil && style.AlphaBand > 0 && info.Bands[style.AlphaBand-1].dataType != godal.Byte {
		l.asBytes = false
	}

	if l.asBytes && style.Mode != ModePalette {
		l.luts = make([][256]uint8, len(style.Ranges))
		for i, r := range style.Ranges {
			for v := 0; v < 256; v++ {
				l.luts[i][v] = stretchValue(float32(v), r)
			}
		}
	}
}

// Style returns the layer's resolved display.
func (l *Layer) Style() Style { return l.style }

// Dataset returns the dataset the layer shows.
func (l *Layer) Dataset() *Dataset { return l.source }

// Warped reports whether the layer reprojects its dataset into the map CRS.
func (l *Layer) Warped() bool { return l.warp != nil }

// Extent returns the layer's bounds in the map CRS of its views.
func (l *Layer) Extent() Bounds {
	return l.grid.gt.PixelBounds(0, 0, float64(l.grid.width), float64(l.grid.height))
}

// Close drops the layer's tiles from its cache. It is idempotent and does
// not close the dataset.
func (l *Layer) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.cache.dropLayer(l.id)
	return nil
}

// RenderImage renders view into a new image of the view's size.
func (l *Layer) RenderImage(ctx context.Context, view View) (*image.RGBA, error) {
	if err := view.Validate(); err != nil {
		return nil, err
	}
	dst := image.NewRGBA(image.Rect(0, 0, view.Width, view.Height))
	if err := l.Render(ctx, view, dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// Render draws view into dst, whose size must equal the view's. Every pixel
// of dst is overwritten: premultiplied colour where the layer has data,
// transparent elsewhere. It reads only the tiles the view needs, through
// RasterIO with a reduced buffer so GDAL uses overviews, and reuses cached
// tiles when the view pans.
func (l *Layer) Render(ctx context.Context, view View, dst *image.RGBA) error {
	if l.closed.Load() {
		return fmt.Errorf("render %s: %w", l.source.Path(), ErrClosed)
	}
	if err := view.Validate(); err != nil {
		return err
	}
	if dst.Rect.Dx() != view.Width || dst.Rect.Dy() != view.Height {
		return fmt.Errorf("render: image is %dx%d but the view is %dx%d", dst.Rect.Dx(), dst.Rect.Dy(), view.Width, view.Height)
	}
	plan, err := l.planView(view)
	if err != nil {
		return fmt.Errorf("render %s: %w", l.source.Path(), err)
	}
	if plan.empty {
		clearImage(dst)
		return nil
	}
	if err := l.fetchTiles(ctx, plan); err != nil {
		return err
	}
	composeView(dst, plan)
	return nil
}

// viewPlan is the set of tiles one view needs and how screen pixels map
// onto them.
type viewPlan struct {
	screenToRaster GeoTransform
	rasterW        int
	rasterH        int
	level          int
	span           int // source pixels per tile side at level
	tx0, ty0       int
	ntx, nty       int
	tiles          []*tile // ntx*nty, row-major
	empty          bool
}

func (l *Layer) planView(view View) (*viewPlan, error) {
	grid := l.grid
	st, err := view.ScreenToRasterTransform(grid.gt)
	if err != nil {
		return nil, err
	}
	plan := &viewPlan{screenToRaster: st, rasterW: grid.width, rasterH: grid.height}
	plan.level = chooseLevel(st, grid.width, grid.height)
	plan.span = tileSize << plan.level

	b := st.PixelBounds(0, 0, float64(view.Width), float64(view.Height))
	c0, r0 := max(int(math.Floor(b.MinX))-1, 0), max(int(math.Floor(b.MinY))-1, 0)
	c1, r1 := min(int(math.Ceil(b.MaxX))+1, grid.width), min(int(math.Ceil(b.MaxY))+1, grid.height)
	if c0 >= c1 || r0 >= r1 {
		plan.empty = true
		return plan, nil
	}
	plan.tx0, plan.ty0 = c0/plan.span, r0/plan.span
	plan.ntx = (c1-1)/plan.span - plan.tx0 + 1
	plan.nty = (r1-1)/plan.span - plan.ty0 + 1
	plan.tiles = make([]*tile, plan.ntx*plan.nty)
	return plan, nil
}

// chooseLevel returns the resolution level for a screen-to-raster
// transform: the largest n with 2^n <= overviewThreshold * (raster pixels
// per screen pixel), capped where the whole raster fits in one tile.
func chooseLevel(st GeoTransform, width, height int) int {
	scale := math.Sqrt(math.Abs(st.Determinant()))
	level := 0
	for float64(int(1)<<(level+1)) <= overviewThreshold*scale && (tileSize<<level) < max(width, height) {
		level++
	}
	return level
}

// fetchTiles fills plan.tiles from the cache, decoding missing tiles on up
// to four goroutines, each with its own GDAL handle.
func (l *Layer) fetchTiles(ctx context.Context, plan *viewPlan) error {
	jobs := make(chan int)
	workers := min(runtime.GOMAXPROCS(0), 4, len(plan.tiles))
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once

	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				key := tileKey{layer: l.id, level: plan.level, tx: plan.tx0 + i%plan.ntx, ty: plan.ty0 + i/plan.ntx}
				t, err := l.cache.get(key, func() (*tile, error) { return l.loadTile(key) })
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					continue
				}
				plan.tiles[i] = t
			}
		}()
	}

	var ctxErr error
	for i := range plan.tiles {
		if ctxErr = ctx.Err(); ctxErr != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	if ctxErr != nil {
		return fmt.Errorf("render %s: %w", l.source.Path(), ctxErr)
	}
	return firstErr
}

// loadTile reads and styles one tile.
func (l *Layer) loadTile(key tileKey) (*tile, error) {
	span := tileSize << key.level
	win := clipWindow(Window{key.tx * span, key.ty * span, span, span}, l.grid.width, l.grid.height)
	step := 1 << key.level
	bufW, bufH := (win.Width+step-1)/step, (win.Height+step-1)/step

	var raw *rawRead
	err := l.source.WithHandle(func(h *godal.Dataset) error {
		var err error
		if l.warp != nil {
			raw, err = l.warp.readTile(h, l.grid.gt, win, bufW, bufH, l.readBands, l.asBytes, l.rules)
		} else {
			raw, err = readRaw(h, win, bufW, bufH, l.readBands, l.asBytes, l.rules)
		}
		return err
	})
	if err != nil {
		region := fmt.Sprintf("pixels %d,%d %dx%d", win.Col, win.Row, win.Width, win.Height)
		if l.warp != nil {
			region = fmt.Sprintf("map window %+v", l.grid.gt.PixelBounds(float64(win.Col), float64(win.Row), float64(win.Col+win.Width), float64(win.Row+win.Height)))
		}
		return nil, classifyReadError(l.source.Path(), region, err)
	}
	return &tile{win: win, width: bufW, height: bufH, pix: l.styleRaw(raw)}, nil
}

func clearImage(dst *image.RGBA) {
	for y := 0; y < dst.Rect.Dy(); y++ {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+dst.Rect.Dx()*4]
		clear(row)
	}
}

// composeView samples the plan's tiles at the centre of every screen pixel
// (nearest neighbour), splitting the rows across goroutines.
func composeView(dst *image.RGBA, plan *viewPlan) {
	height := dst.Rect.Dy()
	workers := min(runtime.GOMAXPROCS(0), 4, height)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(first int) {
			defer wg.Done()
			st := plan.screenToRaster
			axisAligned := st[2] == 0 && st[4] == 0 && st[1] > 0
			for y := first; y < height; y += workers {
				if axisAligned {
					composeAlignedRow(dst, plan, y)
				} else {
					composeRow(dst, plan, y)
				}
			}
		}(w)
	}
	wg.Wait()
}

func composeRow(dst *image.RGBA, plan *viewPlan, y int) {
	st := plan.screenToRaster
	width := dst.Rect.Dx()
	out := dst.Pix[y*dst.Stride : y*dst.Stride+width*4]
	fy := float64(y) + 0.5
	col := st[0] + 0.5*st[1] + fy*st[2]
	row := st[3] + 0.5*st[4] + fy*st[5]
	w, h := float64(plan.rasterW), float64(plan.rasterH)
	for x := 0; x < width; x++ {
		o := out[x*4 : x*4+4 : x*4+4]
		if col >= 0 && row >= 0 && col < w && row < h {
			copy(o, samplePlan(plan, col, row))
		} else {
			o[0], o[1], o[2], o[3] = 0, 0, 0, 0
		}
		col += st[1]
		row += st[4]
	}
}

// composeAlignedRow is composeRow for rasters whose rows run along the
// screen's rows (no rotation, columns left to right): one screen row reads
// one row of each tile it crosses.
func composeAlignedRow(dst *image.RGBA, plan *viewPlan, y int) {
	st := plan.screenToRaster
	width := dst.Rect.Dx()
	out := dst.Pix[y*dst.Stride : y*dst.Stride+width*4]
	row := st[3] + (float64(y)+0.5)*st[5]
	if row < 0 || row >= float64(plan.rasterH) {
		clear(out)
		return
	}
	ty := int(row)/plan.span - plan.ty0
	col0, dc := st[0]+0.5*st[1], st[1]
	for x := 0; x < width; {
		col := col0 + float64(x)*dc
		if col < 0 || col >= float64(plan.rasterW) {
			out[x*4], out[x*4+1], out[x*4+2], out[x*4+3] = 0, 0, 0, 0
			x++
			continue
		}
		tx := int(col)/plan.span - plan.tx0
		end := float64(min((tx+plan.tx0+1)*plan.span, plan.rasterW))
		var t *tile
		if tx >= 0 && ty >= 0 && tx < plan.ntx && ty < plan.nty {
			t = plan.tiles[ty*plan.ntx+tx]
		}
		x = copyTileRun(out, t, row, col0, dc, x, width, end)
	}
}

// copyTileRun copies screen pixels from x while their raster column stays
// below end (all inside tile t, or transparent when t is nil) and returns
// the first x after the run.
func copyTileRun(out []uint8, t *tile, row, col0, dc float64, x, width int, end float64) int {
	if t == nil {
		for ; x < width && col0+float64(x)*dc < end; x++ {
			out[x*4], out[x*4+1], out[x*4+2], out[x*4+3] = 0, 0, 0, 0
		}
		return x
	}
	by := min(max(int((row-float64(t.win.Row))*float64(t.height)/float64(t.win.Height)), 0), t.height-1)
	src := t.pix[by*t.width*4 : (by+1)*t.width*4]
	scale := float64(t.width) / float64(t.win.Width)
	origin := float64(t.win.Col)
	last := t.width - 1
	start := x
	for ; x < width; x++ {
		col := col0 + float64(x)*dc
		if col >= end {
			break
		}
		bx := min(max(int((col-origin)*scale), 0), last)
		*(*[4]byte)(out[x*4 : x*4+4]) = [4]byte(src[bx*4 : bx*4+4])
	}
	if x == start { // rounding put col on the tile's end: draw nothing there
		out[x*4], out[x*4+1], out[x*4+2], out[x*4+3] = 0, 0, 0, 0
		x++
	}
	return x
}

var transparentPixel = []uint8{0, 0, 0, 0}

// samplePlan returns the 4 premultiplied bytes at raster position
// (col, row), which must be inside the raster.
func samplePlan(plan *viewPlan, col, row float64) []uint8 {
	ic, ir := int(col), int(row)
	tx, ty := ic/plan.span-plan.tx0, ir/plan.span-plan.ty0
	if tx < 0 || ty < 0 || tx >= plan.ntx || ty >= plan.nty {
		return transparentPixel
	}
	t := plan.tiles[ty*plan.ntx+tx]
	if t == nil {
		return transparentPixel
	}
	bx := int((col - float64(t.win.Col)) * float64(t.width) / float64(t.win.Width))
	by := int((row - float64(t.win.Row)) * float64(t.height) / float64(t.win.Height))
	bx, by = min(max(bx, 0), t.width-1), min(max(by, 0), t.height-1)
	i := (by*t.width + bx) * 4
	return t.pix[i : i+4]
}
