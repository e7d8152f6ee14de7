package geodata

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// DefaultCellSizeM is the default grid cell edge in metres: 1 km, the size
// of the squares that national grids (and Geograph's photo archive) use.
const DefaultCellSizeM = 1000

// maxGridCells bounds the number of cells of one grid so that a tiny cell
// size over a large scene fails with a clear error instead of exhausting
// memory in the per-cell products.
const maxGridCells = 25_000_000

// edgeDensify is the number of segments each cell or scene edge is split
// into before it is reprojected, so that curved edges stay close to their
// true shape.
const edgeDensify = 8

// SceneFootprint describes the scene a grid is laid over: its CRS, its
// geotransform and its size in pixels.
type SceneFootprint struct {
	// CRS is the scene CRS as WKT (or any definition GDAL accepts, such as
	// "EPSG:31985"); empty for a scene with no CRS.
	CRS           string
	GeoTransform  GeoTransform
	Width, Height int // pixels
}

// Cell is one grid cell, counted from the grid's snapped top-left corner:
// Row grows southwards, Col grows eastwards, both from 0.
type Cell struct {
	Row, Col int
}

// Grid is a square grid laid over a scene. Cells are CellSize() units of
// the grid CRS on each side, and cell corners lie on multiples of the cell
// size in that CRS. So the same ground square has the same ID in every
// scene gridded in that CRS with that cell size.
//
// The grid CRS is the scene CRS when that is projected. For a scene in a
// geographic CRS (degrees) the grid is laid in the WGS 84 UTM zone of the
// scene centre (UPS beyond 84N or 80S) and Note says so. For a scene
// with no CRS or a local CRS the grid is laid in the scene's own units,
// taken as metres, and Note says so.
//
// A Grid holds GDAL coordinate transformations: call Close when done. Its
// methods are safe for concurrent use.
type Grid struct {
	cellSizeM float64 // requested edge in metres
	cellSize  float64 // edge in grid CRS units
	originX   float64 // west edge of column 0, grid CRS
	originY   float64 // north edge of row 0, grid CRS
	rows      int
	cols      int

	gridWKT   string
	gridEPSG  int
	gridName  string
	sceneWKT  string
	sameCRS   bool // grid CRS is the scene CRS
	geoScene  bool // scene CRS is geographic
	localCRS  bool // scene has no CRS or a local one: no lon/lat
	note      string
	sceneBBox Bounds   // scene footprint's box in grid CRS
	sceneRing orb.Ring // scene footprint's outline in grid CRS

	toGrid    *gridReprojector // scene -> grid; nil when sameCRS
	toScene   *gridReprojector // grid -> scene; nil when sameCRS
	toWGS84   *gridReprojector // grid -> lon/lat; nil when localCRS
	fromWGS84 *gridReprojector // lon/lat -> grid; nil when localCRS
}

// NewGridForDataset lays a grid of cellSizeM-metre cells over an open
// raster, using the CRS and geotransform its Info reports.
func NewGridForDataset(ds *Dataset, cellSizeM float64) (*Grid, error) {
	info := ds.Info()
	g, err := NewGrid(SceneFootprint{
		CRS: info.CRS.WKT, GeoTransform: info.GeoTransform,
		Width: info.Width, Height: info.Height,
	}, cellSizeM)
	if err != nil {
		return nil, fmt.Errorf("grid over %s: %w", ds.Path(), err)
	}
	return g, nil
}

// NewGrid lays a grid of cellSizeM-metre cells over the scene. The grid
// covers every cell that touches the scene footprint.
func NewGrid(scene SceneFootprint, cellSizeM float64) (*Grid, error) {
	if err := checkGridInput(scene, cellSizeM); err != nil {
		return nil, err
	}
	godalInit()
	g := &Grid{cellSizeM: cellSizeM}

	if err := g.setCRS(scene); err != nil {
		g.Close()
		return nil, err
	}
	if err := g.layOut(scene); err != nil {
		g.Close()
		return nil, err
	}
	if err := g.checkGroundScale(); err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

func checkGridInput(scene SceneFootprint, cellSizeM float64) error {
	if !(cellSizeM > 0) || math.IsInf(cellSizeM, 0) {
		return fmt.Errorf("grid cell size %v m is invalid: give a positive size in metres, such as %d", cellSizeM, DefaultCellSizeM)
	}
	if scene.Width <= 0 || scene.Height <= 0 {
		return fmt.Errorf("scene size %dx%d pixels is invalid: a grid needs a raster with pixels", scene.Width, scene.Height)
	}
	if !scene.GeoTransform.Invertible() {
		return fmt.Errorf("scene geotransform %v: %w", [6]float64(scene.GeoTransform), ErrNotInvertible)
	}
	return nil
}

// setCRS chooses the grid CRS and creates the transformations.
func (g *Grid) setCRS(scene SceneFootprint) error {
	g.sceneWKT = scene.CRS
	if scene.CRS == "" {
		return g.setLocalCRS("The scene has no CRS, so its true pixel size is unknown")
	}

	sceneSR, err := spatialRefFromWKT(scene.CRS)
	if err != nil {
		return fmt.Errorf("scene CRS: %w", err)
	}
	defer sceneSR.Close()

	switch {
	case sceneSR.Projected():
		return g.setProjectedCRS(sceneSR)
	case sceneSR.Geographic():
		return g.setUTMCRS(sceneSR, scene)
	default:
		return g.setLocalCRS(fmt.Sprintf("The scene CRS %q is local (not tied to the Earth)", crsName(sceneSR)))
	}
}

func (g *Grid) setLocalCRS(why string) error {
	g.sameCRS, g.localCRS = true, true
	g.cellSize = g.cellSizeM
	g.gridName = "scene coordinates"
	g.note = fmt.Sprintf("%s. One scene unit is taken as one metre, grid cells are %g units wide, and cells have no longitude/latitude.", why, g.cellSize)
	return nil
}

func (g *Grid) setProjectedCRS(sceneSR *godal.SpatialRef) error {
	g.sameCRS = true
	wkt, err := crsWKT(sceneSR)
	if err != nil {
		return err
	}
	g.gridWKT = wkt
	g.gridEPSG = crsEPSG(sceneSR)
	g.gridName = crsLabel(sceneSR)

	unit := linearUnitMetres(sceneSR)
	g.cellSize = g.cellSizeM / unit
	if math.Abs(unit-1) > 1e-9 {
		g.note = fmt.Sprintf("%s measures in units of %g m: a %g m cell is %.4g CRS units.", g.gridName, unit, g.cellSizeM, g.cellSize)
	}
	return g.setWGS84(sceneSR)
}

// setUTMCRS lays the grid of a scene in degrees in the UTM zone of the
// scene centre.
func (g *Grid) setUTMCRS(sceneSR *godal.SpatialRef, scene SceneFootprint) error {
	g.geoScene = true
	g.cellSize = g.cellSizeM

	toWGS84, err := reprojectorToEPSG(sceneSR, wgs84EPSG)
	if err != nil {
		return fmt.Errorf("scene CRS to WGS 84: %w", err)
	}
	defer toWGS84.close()
	cx, cy := scene.GeoTransform.PixelToMap(float64(scene.Width)/2, float64(scene.Height)/2)
	xs, ys := []float64{cx}, []float64{cy}
	if err := toWGS84.apply(xs, ys); err != nil {
		return fmt.Errorf("scene centre %g,%g to WGS 84: %w", cx, cy, err)
	}

	epsg, name := utmZoneEPSG(xs[0], ys[0])
	gridSR, err := spatialRefFromEPSG(epsg)
	if err != nil {
		return err
	}
	defer gridSR.Close()
	if g.gridWKT, err = crsWKT(gridSR); err != nil {
		return err
	}
	g.gridEPSG, g.gridName = epsg, fmt.Sprintf("%s (EPSG:%d)", name, epsg)
	g.note = fmt.Sprintf("The scene CRS %s is in degrees, so grid cells are laid in %s and drawn warped.", crsLabel(sceneSR), g.gridName)

	if g.toGrid, err = newGridReprojector(sceneSR, gridSR); err != nil {
		return fmt.Errorf("scene CRS to grid CRS: %w", err)
	}
	if g.toScene, err = newGridReprojector(gridSR, sceneSR); err != nil {
		return fmt.Errorf("grid CRS to scene CRS: %w", err)
	}
	return g.setWGS84(gridSR)
}

// setWGS84 creates the transformations between the grid CRS and WGS 84.
func (g *Grid) setWGS84(gridSR *godal.SpatialRef) error {
	wgs84, err := spatialRefFromEPSG(wgs84EPSG)
	if err != nil {
		return err
	}
	defer wgs84.Close()
	if g.toWGS84, err = newGridReprojector(gridSR, wgs84); err != nil {
		return fmt.Errorf("grid CRS to WGS 84: %w", err)
	}
	if g.fromWGS84, err = newGridReprojector(wgs84, gridSR); err != nil {
		return fmt.Errorf("WGS 84 to grid CRS: %w", err)
	}
	return nil
}

func reprojectorToEPSG(src *godal.SpatialRef, epsg int) (*gridReprojector, error) {
	dst, err := spatialRefFromEPSG(epsg)
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	return newGridReprojector(src, dst)
}

// layOut snaps the grid's origin and counts its rows and columns.
func (g *Grid) layOut(scene SceneFootprint) error {
	xs, ys := sceneOutline(scene)
	if err := g.toGrid.apply(xs, ys); err != nil {
		return fmt.Errorf("scene outline to grid CRS %s: %w", g.gridName, err)
	}
	g.sceneBBox = boundsOf(xs, ys)
	g.sceneRing = make(orb.Ring, 0, len(xs)+1)
	for i := range xs {
		g.sceneRing = append(g.sceneRing, orb.Point{xs[i], ys[i]})
	}
	g.sceneRing = append(g.sceneRing, g.sceneRing[0])

	s := g.cellSize
	g.originX = math.Floor(g.sceneBBox.MinX/s) * s
	g.originY = math.Ceil(g.sceneBBox.MaxY/s) * s
	g.cols = cellsSpanned(g.sceneBBox.MaxX-g.originX, s)
	g.rows = cellsSpanned(g.originY-g.sceneBBox.MinY, s)

	if float64(g.rows)*float64(g.cols) > maxGridCells {
		return fmt.Errorf("a grid of %g m cells over this scene has %d x %d cells, more than %d: choose a larger cell size", g.cellSizeM, g.rows, g.cols, maxGridCells)
	}
	return nil
}

// cellsSpanned returns how many cells of size s cover a length from a
// snapped origin, ignoring a rounding sliver below 1e-9 of a cell.
func cellsSpanned(length, s float64) int {
	n := int(math.Ceil(length/s - 1e-9))
	if n < 1 {
		n = 1
	}
	return n
}

// sceneOutline returns points along the scene's four edges in scene CRS.
func sceneOutline(scene SceneFootprint) (xs, ys []float64) {
	w, h := float64(scene.Width), float64(scene.Height)
	corners := [][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}, {0, 0}}
	for i := 0; i < 4; i++ {
		for k := 0; k < edgeDensify*2; k++ {
			t := float64(k) / float64(edgeDensify*2)
			col := corners[i][0] + t*(corners[i+1][0]-corners[i][0])
			row := corners[i][1] + t*(corners[i+1][1]-corners[i][1])
			x, y := scene.GeoTransform.PixelToMap(col, row)
			xs, ys = append(xs, x), append(ys, y)
		}
	}
	return xs, ys
}

// checkGroundScale adds a note when one grid CRS unit is far from one
// metre on the ground at the scene centre, as in Web Mercator away from
// the equator. Users then know that a "1000 m" cell is not 1 km there.
func (g *Grid) checkGroundScale() error {
	if g.localCRS {
		return nil
	}
	cx := (g.sceneBBox.MinX + g.sceneBBox.MaxX) / 2
	cy := (g.sceneBBox.MinY + g.sceneBBox.MaxY) / 2
	s := g.cellSize
	xs := []float64{cx, cx + s, cx}
	ys := []float64{cy, cy, cy + s}
	if err := g.toWGS84.apply(xs, ys); err != nil {
		return fmt.Errorf("scene centre to WGS 84: %w", err)
	}

	east := haversineMetres(xs[0], ys[0], xs[1], ys[1])
	north := haversineMetres(xs[0], ys[0], xs[2], ys[2])
	const tolerance = 0.02 // haversine alone is good to about 0.5 %
	if math.Abs(east/g.cellSizeM-1) > tolerance || math.Abs(north/g.cellSizeM-1) > tolerance {
		scale := fmt.Sprintf("%s does not preserve distances here: a %g m cell spans about %.0f m east-west and %.0f m north-south on the ground at the scene centre.", g.gridName, g.cellSizeM, east, north)
		g.note = joinNotes(g.note, scale)
	}
	return nil
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// Close releases the grid's GDAL transformations. It is safe to call more
// than once; a closed grid still answers questions that need no
// reprojection.
func (g *Grid) Close() {
	if g == nil {
		return
	}
	g.toGrid.close()
	g.toScene.close()
	g.toWGS84.close()
	g.fromWGS84.close()
}

// CellSizeM returns the cell edge in metres, as requested.
func (g *Grid) CellSizeM() float64 { return g.cellSizeM }

// CellSize returns the cell edge in grid CRS units (metres unless the CRS
// measures in feet or other units).
func (g *Grid) CellSize() float64 { return g.cellSize }

// Origin returns the top-left (north-west) corner of cell (0,0) in the grid
// CRS. Both coordinates are multiples of CellSize.
func (g *Grid) Origin() (x, y float64) { return g.originX, g.originY }

// Rows returns the number of cell rows.
func (g *Grid) Rows() int { return g.rows }

// Cols returns the number of cell columns.
func (g *Grid) Cols() int { return g.cols }

// Len returns the number of cells, Rows*Cols.
func (g *Grid) Len() int { return g.rows * g.cols }

// CRS returns the grid CRS as WKT; empty when the scene has no CRS.
func (g *Grid) CRS() string { return g.gridWKT }

// EPSG returns the EPSG code of the grid CRS, or 0 when it has none.
func (g *Grid) EPSG() int { return g.gridEPSG }

// CRSName returns a readable name of the grid CRS, such as "SIRGAS 2000 /
// UTM zone 25S (EPSG:31985)".
func (g *Grid) CRSName() string { return g.gridName }

// SceneCRS returns the scene CRS the grid was made for, as given.
func (g *Grid) SceneCRS() string { return g.sceneWKT }

// SameCRSAsScene reports whether cells are laid in the scene CRS itself
// (false for geographic scenes, which are gridded in UTM).
func (g *Grid) SameCRSAsScene() bool { return g.sameCRS }

// HasLonLat reports whether cells have WGS 84 coordinates (false for
// scenes with no CRS or a local CRS).
func (g *Grid) HasLonLat() bool { return !g.localCRS }

// Note returns a sentence for the UI about how the grid was laid, or ""
// when the grid needs no explanation.
func (g *Grid) Note() string { return g.note }

// Extent returns the grid's outer bounds in the grid CRS.
func (g *Grid) Extent() Bounds {
	return Bounds{
		MinX: g.originX, MaxX: g.originX + float64(g.cols)*g.cellSize,
		MinY: g.originY - float64(g.rows)*g.cellSize, MaxY: g.originY,
	}
}

// SceneBounds returns the box around the scene footprint in the grid CRS.
func (g *Grid) SceneBounds() Bounds { return g.sceneBBox }

// InsideScene reports whether the rectangle b (grid CRS) lies entirely
// inside the scene footprint, judged by its four corners against the
// footprint's densified outline.
func (g *Grid) InsideScene(b Bounds) bool {
	for _, p := range boundsRing(b)[:4] {
		if !planar.RingContains(g.sceneRing, p) {
			return false
		}
	}
	return true
}

// Contains reports whether c is a cell of the grid.
func (g *Grid) Contains(c Cell) bool {
	return c.Row >= 0 && c.Row < g.rows && c.Col >= 0 && c.Col < g.cols
}

// Cells returns every cell in row-major order (north row first).
func (g *Grid) Cells() []Cell {
	cells := make([]Cell, 0, g.Len())
	for r := 0; r < g.rows; r++ {
		for c := 0; c < g.cols; c++ {
			cells = append(cells, Cell{Row: r, Col: c})
		}
	}
	return cells
}

// Index returns the row-major position of c (Row*Cols+Col).
func (g *Grid) Index(c Cell) int { return c.Row*g.cols + c.Col }

// CellBounds returns the square of c in the grid CRS.
func (g *Grid) CellBounds(c Cell) Bounds {
	s := g.cellSize
	minX := g.originX + float64(c.Col)*s
	maxY := g.originY - float64(c.Row)*s
	return Bounds{MinX: minX, MinY: maxY - s, MaxX: minX + s, MaxY: maxY}
}

// CellCentre returns the centre of c in the grid CRS.
func (g *Grid) CellCentre(c Cell) (x, y float64) {
	b := g.CellBounds(c)
	return (b.MinX + b.MaxX) / 2, (b.MinY + b.MaxY) / 2
}

// CellAtGrid returns the cell containing x, y in the grid CRS. Cells hold
// their west and north edges, so a point on a shared edge belongs to the
// cell east or south of it. ok is false outside the grid.
func (g *Grid) CellAtGrid(x, y float64) (Cell, bool) {
	if math.IsNaN(x) || math.IsNaN(y) {
		return Cell{}, false
	}
	c := Cell{
		Col: int(math.Floor((x - g.originX) / g.cellSize)),
		Row: int(math.Floor((g.originY - y) / g.cellSize)),
	}
	if x < g.originX || y > g.originY || !g.Contains(c) {
		return Cell{}, false
	}
	return c, true
}

// CellAt returns the cell under the map point x, y in the scene CRS.
func (g *Grid) CellAt(x, y float64) (Cell, bool) {
	xs, ys := []float64{x}, []float64{y}
	if err := g.toGrid.apply(xs, ys); err != nil {
		return Cell{}, false
	}
	return g.CellAtGrid(xs[0], ys[0])
}

// CellAtLonLat returns the cell under a WGS 84 longitude, latitude.
func (g *Grid) CellAtLonLat(lon, lat float64) (Cell, bool) {
	x, y, err := g.LonLatToGrid(lon, lat)
	if err != nil {
		return Cell{}, false
	}
	return g.CellAtGrid(x, y)
}

// LonLatToGrid converts a WGS 84 longitude, latitude to the grid CRS.
func (g *Grid) LonLatToGrid(lon, lat float64) (x, y float64, err error) {
	if g.localCRS {
		return 0, 0, fmt.Errorf("grid in scene coordinates: %w", ErrNoGeographicCRS)
	}
	if !(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90) {
		return 0, 0, fmt.Errorf("longitude %v, latitude %v is out of range (-180..180, -90..90)", lon, lat)
	}
	xs, ys := []float64{lon}, []float64{lat}
	if err := g.fromWGS84.apply(xs, ys); err != nil {
		return 0, 0, fmt.Errorf("longitude %v, latitude %v to %s: %w", lon, lat, g.gridName, err)
	}
	return xs[0], ys[0], nil
}

// CellsIn returns the cells that intersect the rectangle b in the scene
// CRS, clipped to the grid, in row-major order. The rectangle's edges are
// reprojected point by point when the grid CRS differs from the scene CRS.
func (g *Grid) CellsIn(b Bounds) []Cell {
	xs, ys := rectOutline(b)
	ok := g.toGrid.applyEach(xs, ys)
	var gx, gy []float64
	for i := range ok {
		if ok[i] {
			gx, gy = append(gx, xs[i]), append(gy, ys[i])
		}
	}
	if len(gx) == 0 {
		return nil
	}
	return g.CellsInGrid(boundsOf(gx, gy))
}

// CellsInGrid returns the cells that intersect the rectangle b in the grid
// CRS, clipped to the grid, in row-major order. A cell that only touches
// b along an edge is not included.
func (g *Grid) CellsInGrid(b Bounds) []Cell {
	b = b.Intersect(g.Extent())
	if b.Empty() {
		return nil
	}
	s := g.cellSize
	c0 := int(math.Floor((b.MinX - g.originX) / s))
	c1 := int(math.Ceil((b.MaxX-g.originX)/s)) - 1
	r0 := int(math.Floor((g.originY - b.MaxY) / s))
	r1 := int(math.Ceil((g.originY-b.MinY)/s)) - 1

	var cells []Cell
	for r := max(r0, 0); r <= min(r1, g.rows-1); r++ {
		for c := max(c0, 0); c <= min(c1, g.cols-1); c++ {
			cells = append(cells, Cell{Row: r, Col: c})
		}
	}
	return cells
}

// rectOutline returns points along the edges of b.
func rectOutline(b Bounds) (xs, ys []float64) {
	ring := densifyRing(boundsRing(b), edgeDensify)
	for _, p := range ring[:len(ring)-1] {
		xs, ys = append(xs, p[0]), append(ys, p[1])
	}
	return xs, ys
}

// boundsRing returns b as a closed counter-clockwise ring (south-west
// corner first).
func boundsRing(b Bounds) orb.Ring {
	return orb.Ring{
		{b.MinX, b.MinY}, {b.MaxX, b.MinY}, {b.MaxX, b.MaxY}, {b.MinX, b.MaxY}, {b.MinX, b.MinY},
	}
}

// densifyRing splits every edge of a closed ring into n segments.
func densifyRing(ring orb.Ring, n int) orb.Ring {
	out := make(orb.Ring, 0, (len(ring)-1)*n+1)
	for i := 0; i+1 < len(ring); i++ {
		a, b := ring[i], ring[i+1]
		for k := 0; k < n; k++ {
			t := float64(k) / float64(n)
			out = append(out, orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
		}
	}
	return append(out, ring[len(ring)-1])
}

// CellPolygon returns the square of c in the grid CRS as a closed
// counter-clockwise ring, south-west corner first.
func (g *Grid) CellPolygon(c Cell) orb.Polygon {
	return orb.Polygon{boundsRing(g.CellBounds(c))}
}

// CellPolygonScene returns c in the scene CRS. When the grid CRS differs
// from the scene CRS each edge is densified to 8 segments first, so the
// warped outline follows the true cell edge.
func (g *Grid) CellPolygonScene(c Cell) (orb.Polygon, error) {
	if g.sameCRS {
		return g.CellPolygon(c), nil
	}
	ring, err := g.reprojectRing(boundsRing(g.CellBounds(c)), g.toScene)
	if err != nil {
		return nil, fmt.Errorf("cell %s to scene CRS: %w", g.ID(c), err)
	}
	return orb.Polygon{ring}, nil
}

// CellPolygonWGS84 returns c as WGS 84 longitude, latitude with each edge
// densified to 8 segments. Longitudes are not wrapped: a cell across the
// antimeridian may reach beyond 180 or below -180 (see SplitAntimeridian).
func (g *Grid) CellPolygonWGS84(c Cell) (orb.Polygon, error) {
	if g.localCRS {
		return nil, fmt.Errorf("cell %s: %w", g.ID(c), ErrNoGeographicCRS)
	}
	ring, err := g.reprojectRing(boundsRing(g.CellBounds(c)), g.toWGS84)
	if err != nil {
		return nil, fmt.Errorf("cell %s to WGS 84: %w", g.ID(c), err)
	}
	return orb.Polygon{unwrapLongitudes(ring)}, nil
}

func (g *Grid) reprojectRing(ring orb.Ring, r *gridReprojector) (orb.Ring, error) {
	dense := densifyRing(ring, edgeDensify)
	xs := make([]float64, len(dense))
	ys := make([]float64, len(dense))
	for i, p := range dense {
		xs[i], ys[i] = p[0], p[1]
	}
	if err := r.apply(xs, ys); err != nil {
		return nil, err
	}
	for i := range dense {
		dense[i] = orb.Point{xs[i], ys[i]}
	}
	return dense, nil
}

// unwrapLongitudes shifts longitudes by multiples of 360 so that
// consecutive points never jump by more than 180 degrees.
func unwrapLongitudes(ring orb.Ring) orb.Ring {
	for i := 1; i < len(ring); i++ {
		for ring[i][0]-ring[i-1][0] > 180 {
			ring[i][0] -= 360
		}
		for ring[i][0]-ring[i-1][0] < -180 {
			ring[i][0] += 360
		}
	}
	return ring
}

// ID returns the stable string id of c: the grid CRS coordinates of its
// south-west corner and its edge length, such as "E0290N9120-1000" for the
// 1000 m cell whose corner is at 290 km east, 9120 km north. Coordinates
// are in kilometres (4 digits or more) when the cell size is a whole number
// of kilometres and in metres (7 digits or more) otherwise; W and S replace
// E and N for negative coordinates. The id depends only on the grid CRS
// and the cell size, not on the scene extent.
func (g *Grid) ID(c Cell) string {
	b := g.CellBounds(c)
	unit, digits := g.idUnit()
	return fmt.Sprintf("%s%s-%s",
		idCoordinate("E", "W", b.MinX, unit, digits),
		idCoordinate("N", "S", b.MinY, unit, digits),
		strconv.FormatFloat(g.cellSize, 'f', -1, 64))
}

// idUnit returns the coordinate unit of ids and their minimum digits.
func (g *Grid) idUnit() (unit float64, digits int) {
	if k := g.cellSize / 1000; k >= 1 && math.Abs(k-math.Round(k)) < 1e-9 {
		return 1000, 4
	}
	return 1, 7
}

func idCoordinate(pos, neg string, v, unit float64, digits int) string {
	n := int64(math.Round(v / unit))
	prefix := pos
	if n < 0 {
		prefix, n = neg, -n
	}
	return fmt.Sprintf("%s%0*d", prefix, digits, n)
}

var cellIDPattern = regexp.MustCompile(`^([EW])(\d+)([NS])(\d+)-([0-9.]+)$`)

// ErrCellID means a string is not the id of a cell of this grid.
var ErrCellID = errors.New("invalid cell id")

// ParseID returns the cell of this grid with the given id, as written by
// ID.
func (g *Grid) ParseID(id string) (Cell, error) {
	m := cellIDPattern.FindStringSubmatch(id)
	if m == nil {
		return Cell{}, fmt.Errorf("%w %q: expected a form such as E0290N9120-1000", ErrCellID, id)
	}
	size, err := strconv.ParseFloat(m[5], 64)
	if err != nil || math.Abs(size-g.cellSize) > 1e-9*g.cellSize {
		return Cell{}, fmt.Errorf("%w %q: cell size %s differs from this grid's %g", ErrCellID, id, m[5], g.cellSize)
	}

	unit, _ := g.idUnit()
	x := idValue(m[1], m[2], "W") * unit
	y := idValue(m[3], m[4], "S") * unit
	c, ok := g.CellAtGrid(x+g.cellSize/2, y+g.cellSize/2)
	if !ok || g.ID(c) != id {
		return Cell{}, fmt.Errorf("%w %q: no cell of this grid (%d x %d cells of %g in %s) has this id", ErrCellID, id, g.rows, g.cols, g.cellSize, g.gridName)
	}
	return c, nil
}

func idValue(prefix, digits, negative string) float64 {
	v, _ := strconv.ParseFloat(digits, 64)
	if prefix == negative {
		return -v
	}
	return v
}

// GridSpec describes a grid for provenance records and exports.
type GridSpec struct {
	CellSizeM float64 `json:"cell_size_m"`
	CellSize  float64 `json:"cell_size_crs_units"`
	CRS       string  `json:"crs_wkt,omitempty"`
	EPSG      int     `json:"epsg,omitempty"`
	CRSName   string  `json:"crs_name"`
	OriginX   float64 `json:"origin_x"` // west edge of column 0, grid CRS
	OriginY   float64 `json:"origin_y"` // north edge of row 0, grid CRS
	Rows      int     `json:"rows"`
	Cols      int     `json:"cols"`
	Note      string  `json:"note,omitempty"`
}

// Spec returns the grid's description.
func (g *Grid) Spec() GridSpec {
	return GridSpec{
		CellSizeM: g.cellSizeM, CellSize: g.cellSize,
		CRS: g.gridWKT, EPSG: g.gridEPSG, CRSName: g.gridName,
		OriginX: g.originX, OriginY: g.originY,
		Rows: g.rows, Cols: g.cols, Note: g.note,
	}
}
