package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"sync"

	"github.com/downthere/downthere/geodata"
	"github.com/downthere/downthere/ui"
)

// guiScene is an opened raster with its grid, shown in the grid's CRS. It
// implements ui.MapSource and owns every GDAL object it opens.
type guiScene struct {
	path  string
	ds    *geodata.Dataset
	layer *geodata.Layer
	grid  *geodata.Grid

	// toScene converts map (grid CRS) coordinates to the raster's CRS;
	// nil when they are the same. toLonLat converts map coordinates to WGS
	// 84; nil when the map has no geographic meaning.
	toScene  *geodata.CRSTransform
	toLonLat *geodata.CRSTransform
	toPixel  geodata.GeoTransform // raster CRS -> pixel

	info ui.SourceInfo

	patchMu sync.Mutex
	patches map[patchKey]*geodata.PatchReader

	// useMu is held for reading by every operation on the GDAL objects and
	// for writing by Close, so Close waits for operations in flight.
	useMu  sync.RWMutex
	closed bool

	closeOnce sync.Once
	closeErr  error
}

var _ ui.MapSource = (*guiScene)(nil)

// openGUIScene opens a raster and lays a grid of cellSizeM-metre cells
// over it. The map is drawn in the grid's CRS, so cells are square on
// screen: for a raster in degrees that is the UTM zone the grid uses.
func openGUIScene(path string, cellSizeM float64, cache *geodata.TileCache) (*guiScene, error) {
	ds, err := geodata.Open(path)
	if err != nil {
		return nil, err
	}
	s := &guiScene{path: path, ds: ds}
	defer logGDALMessages(path, geodata.TakeGDALMessages())
	logGDALMessages(path, ds.Info().Warnings)
	if err := s.setUp(cellSizeM, cache); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// logGDALMessages logs the GDAL warnings reported while opening path,
// which GDAL would otherwise print to stderr itself.
func logGDALMessages(path string, messages []string) {
	for _, m := range messages {
		slog.Warn("GDAL warning", "file", path, "message", m)
	}
}

func (s *guiScene) setUp(cellSizeM float64, cache *geodata.TileCache) error {
	var err error
	if s.grid, err = geodata.NewGridForDataset(s.ds, cellSizeM); err != nil {
		return err
	}

	dsInfo := s.ds.Info()
	mapCRS := dsInfo.CRS
	if !s.grid.SameCRSAsScene() {
		if mapCRS, err = geodata.ParseCRS(s.grid.CRS()); err != nil {
			return fmt.Errorf("open %s: grid CRS: %w", s.path, err)
		}
		if s.toScene, err = geodata.NewCRSTransform(mapCRS, dsInfo.CRS); err != nil {
			return fmt.Errorf("open %s: %w", s.path, err)
		}
	}

	opts := geodata.LayerOptions{Cache: cache}
	if !s.grid.SameCRSAsScene() {
		opts.MapCRS = &mapCRS
	}
	if s.layer, err = geodata.NewLayer(s.ds, opts); err != nil {
		return err
	}
	if s.toPixel, err = dsInfo.GeoTransform.Inverse(); err != nil {
		return fmt.Errorf("open %s: %w", s.path, err)
	}

	if mapCRS.HasLonLat() && mapCRS.WKT != "" {
		wgs, err := geodata.WGS84()
		if err != nil {
			return err
		}
		if s.toLonLat, err = geodata.NewCRSTransform(mapCRS, wgs); err != nil {
			return fmt.Errorf("open %s: %w", s.path, err)
		}
	}
	s.info = s.describe(mapCRS)
	return nil
}

// describe fills the ui's description of the raster in map coordinates.
func (s *guiScene) describe(mapCRS geodata.CRS) ui.SourceInfo {
	dsInfo := s.ds.Info()
	ext := s.layer.Extent()
	pixel, _ := dsInfo.GeoTransform.PixelSize()
	if s.layer.Warped() {
		// The map is in another CRS: spread the extent over the raster's
		// width for an average pixel size in map units.
		pixel = ext.Width() / float64(dsInfo.Width)
	}
	crs := s.grid.CRSName()
	if crs == "" && mapCRS.Kind != geodata.CRSNone {
		crs = mapCRS.String()
	}
	notes := append([]string(nil), dsInfo.Notes...)
	if n := s.grid.Note(); n != "" {
		notes = append(notes, n)
	}
	for i, n := range notes {
		if !strings.HasSuffix(n, ".") {
			notes[i] = n + "."
		}
	}
	return ui.SourceInfo{
		Name:      filepath.Base(s.path),
		Path:      s.path,
		Extent:    ui.MapRect{MinX: ext.MinX, MinY: ext.MinY, MaxX: ext.MaxX, MaxY: ext.MaxY},
		CRS:       crs,
		Units:     unitsOf(mapCRS),
		PixelSize: pixel,
		Width:     dsInfo.Width,
		Height:    dsInfo.Height,
		Bands:     len(dsInfo.Bands),
		HasLonLat: s.toLonLat != nil,
		Note:      strings.Join(notes, " "),

		NeedsOverviews: len(dsInfo.Bands) > 0 && len(dsInfo.Bands[0].Overviews) == 0 &&
			max(dsInfo.Width, dsInfo.Height) > overviewThresholdPx,
	}
}

// overviewThresholdPx is the raster edge above which the viewer offers to
// build overviews: a full view of a larger raster without them reads more
// than 4 million pixels per band.
const overviewThresholdPx = 2048

// unitsOf names the map units of a CRS as the status bar shows them. A
// raster without a CRS has scene units: pixels when it has no
// geotransform, otherwise whatever its geotransform measures.
func unitsOf(c geodata.CRS) string {
	u := strings.ToLower(c.Units)
	switch {
	case c.Kind == geodata.CRSNone:
		return "units"
	case strings.HasPrefix(u, "met"):
		return "m"
	case strings.HasPrefix(u, "deg"):
		return "deg"
	case u == "":
		return "units"
	}
	return u
}

// errSceneClosed is returned by operations on a scene after Close, such as
// a render that was queued before another scene was opened.
var errSceneClosed = errors.New("the scene was closed")

// use holds the scene open for one operation. It returns false after
// Close; otherwise the caller must call release when done.
func (s *guiScene) use() (release func(), ok bool) {
	s.useMu.RLock()
	if s.closed {
		s.useMu.RUnlock()
		return nil, false
	}
	return s.useMu.RUnlock, true
}

// Info is part of ui.MapSource.
func (s *guiScene) Info() ui.SourceInfo { return s.info }

// Locate converts a map point to the raster pixel under it and to
// longitude/latitude. It runs coordinate transformations only (no I/O).
func (s *guiScene) Locate(p ui.MapPoint) ui.PointInfo {
	var out ui.PointInfo
	release, ok := s.use()
	if !ok {
		return out
	}
	defer release()
	x, y := p.X, p.Y
	if s.toScene != nil {
		var err error
		if x, y, err = s.toScene.Transform(x, y); err != nil {
			return out
		}
	}
	colF, rowF := s.toPixel.PixelToMap(x, y)
	out.Col, out.Row = int(math.Floor(colF)), int(math.Floor(rowF))
	info := s.ds.Info()
	out.Inside = out.Col >= 0 && out.Row >= 0 && out.Col < info.Width && out.Row < info.Height
	if s.toLonLat != nil {
		if lon, lat, err := s.toLonLat.Transform(p.X, p.Y); err == nil {
			out.Lon, out.Lat, out.HasLonLat = lon, lat, true
		}
	}
	return out
}

// Render is part of ui.MapSource.
func (s *guiScene) Render(ctx context.Context, v ui.View, dst *image.RGBA) error {
	release, ok := s.use()
	if !ok {
		return errSceneClosed
	}
	defer release()
	return s.layer.Render(ctx, geodata.View{
		CenterX: v.Center.X, CenterY: v.Center.Y, Resolution: v.Scale,
		Width: v.Width, Height: v.Height,
	}, dst)
}

// Values reads every band's raw value at p.
func (s *guiScene) Values(ctx context.Context, p ui.MapPoint) ([]ui.BandValue, error) {
	loc := s.Locate(p)
	if !loc.Inside {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	release, ok := s.use()
	if !ok {
		return nil, errSceneClosed
	}
	defer release()
	vals, valid, err := s.ds.PixelValues(loc.Col, loc.Row)
	if err != nil {
		return nil, err
	}
	bands := s.ds.Info().Bands
	out := make([]ui.BandValue, len(vals))
	for i, v := range vals {
		name := fmt.Sprintf("Band %d", v.Band)
		if i < len(bands) {
			if d := bandLabel(bands[i]); d != "" {
				name += " (" + d + ")"
			}
		}
		out[i] = ui.BandValue{Band: name, Value: v.Value, NoData: v.NoData || !valid}
	}
	return out, nil
}

// bandLabel returns a band's description, or its colour interpretation
// unless that is "Undefined".
func bandLabel(b geodata.BandInfo) string {
	if b.Description != "" {
		return b.Description
	}
	if b.ColorInterp != "" && b.ColorInterp != "Undefined" {
		return b.ColorInterp
	}
	return ""
}

// Close waits for the operations in flight, then releases the patch
// readers, layer, grid, transforms and dataset. It is safe to call more
// than once.
func (s *guiScene) Close() error {
	s.closeOnce.Do(func() {
		s.useMu.Lock()
		s.closed = true
		s.useMu.Unlock()

		var errs []error
		s.patchMu.Lock()
		for _, r := range s.patches {
			errs = append(errs, r.Close())
		}
		s.patches = nil
		s.patchMu.Unlock()
		if s.layer != nil {
			errs = append(errs, s.layer.Close())
		}
		s.grid.Close()
		for _, t := range []*geodata.CRSTransform{s.toScene, s.toLonLat} {
			if t != nil {
				errs = append(errs, t.Close())
			}
		}
		if s.ds != nil {
			errs = append(errs, s.ds.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// guiGrid presents a geodata grid to the ui. Map coordinates are the
// grid's CRS, so cells are axis-aligned squares.
type guiGrid struct {
	g *geodata.Grid
}

var _ ui.Grid = guiGrid{}

func (gg guiGrid) Dims() (int, int) { return gg.g.Cols(), gg.g.Rows() }

func (gg guiGrid) CellSize() (float64, float64) { return gg.g.CellSize(), gg.g.CellSize() }

func (gg guiGrid) Cell(col, row int) ui.Cell {
	c := geodata.Cell{Col: col, Row: row}
	b := gg.g.CellBounds(c)
	return ui.Cell{ID: gg.g.ID(c), Col: col, Row: row, Bounds: ui.MapRect{MinX: b.MinX, MinY: b.MinY, MaxX: b.MaxX, MaxY: b.MaxY}}
}

func (gg guiGrid) CellAt(p ui.MapPoint) (ui.Cell, bool) {
	c, ok := gg.g.CellAtGrid(p.X, p.Y)
	if !ok {
		return ui.Cell{}, false
	}
	return gg.Cell(c.Col, c.Row), true
}

// Span computes the column and row range directly, without listing the
// cells, because the map calls it on every frame.
func (gg guiGrid) Span(r ui.MapRect) (int, int, int, int, bool) {
	ext := gg.g.Extent()
	b := geodata.Bounds{MinX: r.MinX, MinY: r.MinY, MaxX: r.MaxX, MaxY: r.MaxY}.Intersect(ext)
	if b.Empty() {
		return 0, 0, 0, 0, false
	}
	s := gg.g.CellSize()
	ox, oy := gg.g.Origin()
	c0 := max(int(math.Floor((b.MinX-ox)/s)), 0)
	c1 := min(int(math.Ceil((b.MaxX-ox)/s))-1, gg.g.Cols()-1)
	r0 := max(int(math.Floor((oy-b.MaxY)/s)), 0)
	r1 := min(int(math.Ceil((oy-b.MinY)/s))-1, gg.g.Rows()-1)
	if c0 > c1 || r0 > r1 {
		return 0, 0, 0, 0, false
	}
	return c0, r0, c1, r1, true
}
