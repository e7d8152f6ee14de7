package ui

// Pure-Go stand-ins for the parts of the viewer that need cgo in the real
// program (GDAL for imagery and grids, ONNX Runtime for the models). The
// cmd/viewer tests run the real implementations.

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"sync"
	"testing"
	"time"
)

// pngSource is a north-up georeferenced RGB image held in memory, rendered
// with nearest-neighbour sampling.
type pngSource struct {
	img       *image.NRGBA
	gt        [6]float64
	name      string
	renders   int
	gate      chan struct{} // when set, Render waits for it to close
	renderMux sync.Mutex
}

func (s *pngSource) setGate(g chan struct{}) {
	s.renderMux.Lock()
	s.gate = g
	s.renderMux.Unlock()
}

// loadOlinda loads the committed Olinda fixture made by
// testdata/make-olinda-png.
func loadOlinda(t testing.TB) *pngSource {
	t.Helper()
	f, err := os.Open("testdata/olinda-321.png")
	if err != nil {
		t.Fatalf("open Olinda fixture: %v", err)
	}
	defer f.Close()
	decoded, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode Olinda fixture: %v", err)
	}
	nrgba := image.NewNRGBA(decoded.Bounds())
	for y := 0; y < decoded.Bounds().Dy(); y++ {
		for x := 0; x < decoded.Bounds().Dx(); x++ {
			nrgba.Set(x, y, decoded.At(x, y))
		}
	}
	meta, err := os.ReadFile("testdata/olinda-321.json")
	if err != nil {
		t.Fatalf("read Olinda fixture metadata: %v", err)
	}
	var m struct {
		GeoTransform [6]float64 `json:"geotransform"`
	}
	if err := json.Unmarshal(meta, &m); err != nil {
		t.Fatalf("parse Olinda fixture metadata: %v", err)
	}
	return &pngSource{img: nrgba, gt: m.GeoTransform, name: "olinda-321.png"}
}

func (s *pngSource) Info() SourceInfo {
	w, h := s.img.Rect.Dx(), s.img.Rect.Dy()
	return SourceInfo{
		Name:      s.name,
		Path:      "testdata/" + s.name,
		Extent:    MapRect{MinX: s.gt[0], MaxX: s.gt[0] + float64(w)*s.gt[1], MaxY: s.gt[3], MinY: s.gt[3] + float64(h)*s.gt[5]},
		CRS:       "EPSG:31985 (SIRGAS 2000 / UTM zone 25S)",
		Units:     "m",
		PixelSize: s.gt[1],
		Width:     w,
		Height:    h,
		Bands:     3,
		HasLonLat: true,
	}
}

func (s *pngSource) pixel(p MapPoint) (col, row int, inside bool) {
	c := (p.X - s.gt[0]) / s.gt[1]
	r := (p.Y - s.gt[3]) / s.gt[5]
	col, row = int(math.Floor(c)), int(math.Floor(r))
	inside = col >= 0 && row >= 0 && col < s.img.Rect.Dx() && row < s.img.Rect.Dy()
	return col, row, inside
}

// Locate converts with a rough spherical UTM zone 25S inverse, good to a
// few hundredths of a degree, which is all the status bar tests need.
func (s *pngSource) Locate(p MapPoint) PointInfo {
	col, row, inside := s.pixel(p)
	lon := -33 + (p.X-500000)/(111320*math.Cos(8*math.Pi/180))
	lat := (p.Y - 10000000) / 110574
	return PointInfo{Inside: inside, Col: col, Row: row, Lon: lon, Lat: lat, HasLonLat: true}
}

func (s *pngSource) Render(ctx context.Context, v View, dst *image.RGBA) error {
	s.renderMux.Lock()
	s.renders++
	gate := s.gate
	s.renderMux.Unlock()
	if gate != nil {
		<-gate
	}
	for y := 0; y < v.Height; y++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		for x := 0; x < v.Width; x++ {
			col, row, inside := s.pixel(v.ToMap(float64(x)+0.5, float64(y)+0.5))
			if !inside {
				continue
			}
			c := s.img.NRGBAAt(col, row)
			i := dst.PixOffset(x, y)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = c.R, c.G, c.B, 255
		}
	}
	return nil
}

func (s *pngSource) renderCount() int {
	s.renderMux.Lock()
	defer s.renderMux.Unlock()
	return s.renders
}

func (s *pngSource) Values(_ context.Context, p MapPoint) ([]BandValue, error) {
	col, row, inside := s.pixel(p)
	if !inside {
		return nil, nil
	}
	c := s.img.NRGBAAt(col, row)
	return []BandValue{{Band: "Band 1 (Red)", Value: float64(c.R)}, {Band: "Band 2 (Green)", Value: float64(c.G)}, {Band: "Band 3 (Blue)", Value: float64(c.B)}}, nil
}

// squareGrid cuts an extent into square cells of size map units, from the
// top-left corner; edge cells that would reach past the extent are
// dropped.
type squareGrid struct {
	origin     MapPoint // top-left corner
	size       float64
	cols, rows int
}

func newSquareGrid(ext MapRect, size float64) *squareGrid {
	return &squareGrid{
		origin: MapPoint{X: ext.MinX, Y: ext.MaxY},
		size:   size,
		cols:   int(ext.Width() / size),
		rows:   int(ext.Height() / size),
	}
}

func (g *squareGrid) Dims() (int, int)             { return g.cols, g.rows }
func (g *squareGrid) CellSize() (float64, float64) { return g.size, g.size }

func (g *squareGrid) Cell(col, row int) Cell {
	minX := g.origin.X + float64(col)*g.size
	maxY := g.origin.Y - float64(row)*g.size
	return Cell{
		ID:     fmt.Sprintf("r%03dc%03d", row, col),
		Col:    col,
		Row:    row,
		Bounds: MapRect{MinX: minX, MaxX: minX + g.size, MaxY: maxY, MinY: maxY - g.size},
	}
}

func (g *squareGrid) CellAt(p MapPoint) (Cell, bool) {
	col := int(math.Floor((p.X - g.origin.X) / g.size))
	row := int(math.Floor((g.origin.Y - p.Y) / g.size))
	if col < 0 || row < 0 || col >= g.cols || row >= g.rows {
		return Cell{}, false
	}
	return g.Cell(col, row), true
}

func (g *squareGrid) Span(r MapRect) (int, int, int, int, bool) {
	c0 := max(int(math.Floor((r.MinX-g.origin.X)/g.size)), 0)
	c1 := min(int(math.Ceil((r.MaxX-g.origin.X)/g.size))-1, g.cols-1)
	r0 := max(int(math.Floor((g.origin.Y-r.MaxY)/g.size)), 0)
	r1 := min(int(math.Ceil((g.origin.Y-r.MinY)/g.size))-1, g.rows-1)
	if c0 > c1 || r0 > r1 {
		return 0, 0, 0, 0, false
	}
	return c0, r0, c1, r1, true
}

// testClasses are the urban/rural classes of the shipped model set.
var testClasses = []Class{
	{Name: "urban", Color: color.NRGBA{R: 0xe4, G: 0x1a, B: 0x1c, A: 0xff}},
	{Name: "rural", Color: color.NRGBA{R: 0x4d, G: 0xaf, B: 0x4a, A: 0xff}},
}

// stripeClassifier calls a cell urban when its column is even, with a
// probability that grows with the row, and can be slowed down to test
// cancellation.
type stripeClassifier struct {
	delay time.Duration
	mu    sync.Mutex
	calls int
}

func (c *stripeClassifier) Classes() []Class { return testClasses }

func (c *stripeClassifier) Classify(ctx context.Context, _ *Scene, cells []Cell, emit func(CellResult)) error {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	for _, cell := range cells {
		if c.delay > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(c.delay):
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		emit(stripeResult(cell))
	}
	return nil
}

func stripeResult(cell Cell) CellResult {
	p := float32(0.55 + 0.04*float32(cell.Row%10))
	if cell.Col%2 == 0 {
		return CellResult{Cell: cell, Probs: []float32{p, 1 - p}}
	}
	return CellResult{Cell: cell, Probs: []float32{1 - p, p}}
}

// seedGenerator makes flat-coloured views whose colour depends on the cell,
// the seed and the index, so tests can check which request made an image.
type seedGenerator struct {
	delay          time.Duration
	defaultVariety float64 // 0 for 0.5
	mu             sync.Mutex
	calls          []int64
	requests       []ViewRequest
}

// DefaultVariety is part of ViewGenerator.
func (g *seedGenerator) DefaultVariety() float64 {
	if g.defaultVariety == 0 {
		return 0.5
	}
	return g.defaultVariety
}

func (g *seedGenerator) Generate(ctx context.Context, _ *Scene, cell Cell, req ViewRequest, emit func(int, image.Image)) error {
	seed, n := req.Seed, req.Count
	g.mu.Lock()
	g.calls = append(g.calls, seed)
	g.requests = append(g.requests, req)
	g.mu.Unlock()
	for i := 0; i < n; i++ {
		if g.delay > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(g.delay):
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		emit(i, seedImage(cell, seed, i))
	}
	return nil
}

func seedImage(cell Cell, seed int64, i int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	c := color.NRGBA{R: uint8(seed), G: uint8(i * 16), B: uint8(cell.Col*8 + cell.Row), A: 255}
	for p := 0; p < len(img.Pix); p += 4 {
		img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// waitSettled waits until the map's render worker has shown the frame for
// the current state.
func waitSettled(t testing.TB, m *Map) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !m.settled() {
		if time.Now().After(deadline) {
			t.Fatal("map render worker did not settle within 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// waitFor polls cond until it holds or 5 s pass.
// showCellViews shows cell in the cell panel and waits until all its views
// are in and the panel's background work has returned.
func showCellViews(t testing.TB, v *Viewer, cell Cell) {
	t.Helper()
	onUI(func() { v.Cells.ShowCell(cell, cell.Bounds.Center()) })
	waitFor(t, "views", func() bool { return countReady(v.Cells.Images()) == DefaultViewCount })
	v.Cells.WaitBackground()
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ok bool
		onUI(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 5 s waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// olindaScene returns the Olinda fixture with a grid of 20x20-pixel cells
// (570 m), the edge of the shipped encoder's patch at 28.5 m.
func olindaScene(t testing.TB) (*Scene, *pngSource, *squareGrid) {
	src := loadOlinda(t)
	grid := newSquareGrid(src.Info().Extent, 20*src.gt[1])
	return &Scene{Source: src, Grid: grid}, src, grid
}
