package geodata

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// olindaFootprint is the footprint of the Landsat 7 Olinda scene
// (L7_ETMs.tif): 349 x 352 pixels of 28.5 m in SIRGAS 2000 / UTM zone 25S.
var olindaFootprint = SceneFootprint{
	CRS:          "EPSG:31985",
	GeoTransform: GeoTransform{288776.25, 28.5, 0, 9120760.75, 0, -28.5},
	Width:        349,
	Height:       352,
}

// lundFootprint is a 0.1 x 0.05 degree scene in WGS 84 around Lund,
// Sweden.
var lundFootprint = SceneFootprint{
	CRS:          "EPSG:4326",
	GeoTransform: GeoTransform{13.15, 0.0001, 0, 55.73, 0, -0.0001},
	Width:        1000,
	Height:       500,
}

func newTestGrid(t *testing.T, scene SceneFootprint, cellSizeM float64) *Grid {
	t.Helper()
	g, err := NewGrid(scene, cellSizeM)
	if err != nil {
		t.Fatalf("NewGrid(%s, %g): %v", scene.CRS, cellSizeM, err)
	}
	t.Cleanup(g.Close)
	return g
}

func TestGridProjectedLayout(t *testing.T) {
	tests := []struct {
		name         string
		cellSizeM    float64
		wantOriginX  float64
		wantOriginY  float64
		wantRows     int
		wantCols     int
		wantFirstID  string
		wantLastID   string
		wantCRSName  string
		wantEPSG     int
		wantSameCRS  bool
		wantNoteHint string
	}{
		{
			name: "olinda 1 km", cellSizeM: 1000,
			wantOriginX: 288000, wantOriginY: 9121000, wantRows: 11, wantCols: 11,
			wantFirstID: "E0288N9120-1000", wantLastID: "E0298N9110-1000",
			wantCRSName: "SIRGAS 2000 / UTM zone 25S (EPSG:31985)", wantEPSG: 31985, wantSameCRS: true,
		},
		{
			name: "olinda 500 m", cellSizeM: 500,
			wantOriginX: 288500, wantOriginY: 9121000, wantRows: 21, wantCols: 21,
			wantFirstID: "E0288500N9120500-500", wantLastID: "E0298500N9110500-500",
			wantCRSName: "SIRGAS 2000 / UTM zone 25S (EPSG:31985)", wantEPSG: 31985, wantSameCRS: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGrid(t, olindaFootprint, tt.cellSizeM)
			x, y := g.Origin()
			if x != tt.wantOriginX || y != tt.wantOriginY {
				t.Errorf("origin = %v,%v, want %v,%v", x, y, tt.wantOriginX, tt.wantOriginY)
			}
			if g.Rows() != tt.wantRows || g.Cols() != tt.wantCols {
				t.Errorf("size = %d rows x %d cols, want %d x %d", g.Rows(), g.Cols(), tt.wantRows, tt.wantCols)
			}
			if id := g.ID(Cell{0, 0}); id != tt.wantFirstID {
				t.Errorf("ID(0,0) = %q, want %q", id, tt.wantFirstID)
			}
			if id := g.ID(Cell{g.Rows() - 1, g.Cols() - 1}); id != tt.wantLastID {
				t.Errorf("ID(last) = %q, want %q", id, tt.wantLastID)
			}
			if g.CRSName() != tt.wantCRSName {
				t.Errorf("CRSName = %q, want %q", g.CRSName(), tt.wantCRSName)
			}
			if g.EPSG() != tt.wantEPSG {
				t.Errorf("EPSG = %d, want %d", g.EPSG(), tt.wantEPSG)
			}
			if g.SameCRSAsScene() != tt.wantSameCRS {
				t.Errorf("SameCRSAsScene = %v, want %v", g.SameCRSAsScene(), tt.wantSameCRS)
			}
			if g.Note() != "" {
				t.Errorf("Note = %q, want none for a UTM scene", g.Note())
			}
		})
	}
}

func TestGridPointToCell(t *testing.T) {
	olinda := newTestGrid(t, olindaFootprint, 1000)
	lund := newTestGrid(t, lundFootprint, 1000)

	tests := []struct {
		name   string
		grid   *Grid
		x, y   float64 // scene CRS
		wantID string
		wantOK bool
	}{
		{name: "olinda centre", grid: olinda, x: 293749.5, y: 9115744.75, wantID: "E0293N9115-1000", wantOK: true},
		{name: "olinda shared corner goes south-east", grid: olinda, x: 289000, y: 9120000, wantID: "E0289N9119-1000", wantOK: true},
		{name: "olinda west edge of grid", grid: olinda, x: 288000, y: 9115500, wantID: "E0288N9115-1000", wantOK: true},
		{name: "olinda north edge is inside", grid: olinda, x: 290500, y: 9121000, wantID: "E0290N9120-1000", wantOK: true},
		{name: "olinda outside", grid: olinda, x: 310000, y: 9115000, wantOK: false},
		{name: "olinda NaN", grid: olinda, x: math.NaN(), y: 9115000, wantOK: false},
		// gdaltransform (GDAL 3.6.2): 13.1935E 55.7047N -> 386481.83, 6174692.94 in UTM 33N.
		{name: "lund cathedral in degrees", grid: lund, x: 13.1935, y: 55.7047, wantID: "E0386N6174-1000", wantOK: true},
		{name: "lund outside", grid: lund, x: 14.5, y: 55.7, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := tt.grid.CellAt(tt.x, tt.y)
			if ok != tt.wantOK {
				t.Fatalf("CellAt(%v, %v) ok = %v, want %v (cell %+v)", tt.x, tt.y, ok, tt.wantOK, c)
			}
			if !ok {
				return
			}
			if id := tt.grid.ID(c); id != tt.wantID {
				t.Errorf("CellAt(%v, %v) = %+v id %q, want %q", tt.x, tt.y, c, id, tt.wantID)
			}
		})
	}
}

func TestGridGeographicScene(t *testing.T) {
	g := newTestGrid(t, lundFootprint, 1000)

	if g.EPSG() != 32633 {
		t.Errorf("EPSG = %d, want 32633 (UTM 33N)", g.EPSG())
	}
	if g.SameCRSAsScene() {
		t.Error("SameCRSAsScene = true, want false for a scene in degrees")
	}
	if !strings.Contains(g.Note(), "UTM zone 33N") || !strings.Contains(g.Note(), "degrees") {
		t.Errorf("Note = %q, want it to name UTM zone 33N and degrees", g.Note())
	}
	if g.CellSize() != 1000 {
		t.Errorf("CellSize = %v, want 1000 m, never degrees", g.CellSize())
	}

	// 0.1 degree of longitude at 55.7N is about 6.3 km; 0.05 degree of
	// latitude about 5.6 km.
	if g.Cols() < 7 || g.Cols() > 9 || g.Rows() < 6 || g.Rows() > 8 {
		t.Errorf("grid is %d rows x %d cols, want about 7 x 8 one-km cells", g.Rows(), g.Cols())
	}

	c, ok := g.CellAtLonLat(13.1935, 55.7047)
	if !ok {
		t.Fatal("CellAtLonLat(Lund cathedral) found no cell")
	}
	poly, err := g.CellPolygonScene(c)
	if err != nil {
		t.Fatalf("CellPolygonScene: %v", err)
	}
	if !ringContains(poly[0], 13.1935, 55.7047) {
		t.Errorf("cell %s outline in degrees %v does not contain the point", g.ID(c), poly[0])
	}
	if len(poly[0]) != 4*edgeDensify+1 {
		t.Errorf("warped outline has %d points, want %d (densified)", len(poly[0]), 4*edgeDensify+1)
	}
}

func TestGridNotes(t *testing.T) {
	tests := []struct {
		name     string
		scene    SceneFootprint
		wantHint string
		wantSize float64
	}{
		{
			name: "web mercator at 52N",
			scene: SceneFootprint{CRS: "EPSG:3857", Width: 100, Height: 100,
				GeoTransform: GeoTransform{1491000, 100, 0, 6894000, 0, -100}},
			wantHint: "does not preserve distances", wantSize: 1000,
		},
		{
			name: "US survey feet",
			scene: SceneFootprint{CRS: "EPSG:2263", Width: 100, Height: 100,
				GeoTransform: GeoTransform{980000, 30, 0, 200000, 0, -30}},
			wantHint: "units of 0.3048", wantSize: 1000 / 0.3048006096012192,
		},
		{
			name: "no CRS",
			scene: SceneFootprint{Width: 100, Height: 100,
				GeoTransform: GeoTransform{0, 30, 0, 0, 0, -30}},
			wantHint: "no CRS", wantSize: 1000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGrid(t, tt.scene, 1000)
			if !strings.Contains(g.Note(), tt.wantHint) {
				t.Errorf("Note = %q, want it to contain %q", g.Note(), tt.wantHint)
			}
			if math.Abs(g.CellSize()-tt.wantSize) > 1e-6 {
				t.Errorf("CellSize = %v, want %v", g.CellSize(), tt.wantSize)
			}
		})
	}
}

func TestGridNoCRSHasNoLonLat(t *testing.T) {
	g := newTestGrid(t, SceneFootprint{Width: 10, Height: 10, GeoTransform: PixelGridTransform}, 4)
	if g.HasLonLat() {
		t.Error("HasLonLat = true for a scene with no CRS")
	}
	if _, err := g.CellPolygonWGS84(Cell{}); !errors.Is(err, ErrNoGeographicCRS) {
		t.Errorf("CellPolygonWGS84 error = %v, want ErrNoGeographicCRS", err)
	}
	if c, ok := g.CellAt(5, -5); !ok || c != (Cell{1, 1}) {
		t.Errorf("CellAt(5,-5) = %+v, %v, want {1 1}, true", c, ok)
	}
	// South of y = 0 the id uses S; the south-west corner of cell (0,0)
	// is 0, -4.
	if id := g.ID(Cell{0, 0}); id != "E0000000S0000004-4" {
		t.Errorf("ID(0,0) = %q, want E0000000S0000004-4", id)
	}
	if c, err := g.ParseID("E0000004S0000008-4"); err != nil || c != (Cell{1, 1}) {
		t.Errorf("ParseID(E0000004S0000008-4) = %+v, %v, want {1 1}", c, err)
	}
}

func TestGridIDStableAcrossExtents(t *testing.T) {
	small := olindaFootprint
	small.GeoTransform[0] += 5000
	small.GeoTransform[3] -= 3000
	small.Width, small.Height = 100, 80

	full := newTestGrid(t, olindaFootprint, 1000)
	part := newTestGrid(t, small, 1000)

	x, y := 295123.0, 9116321.0
	a, okA := full.CellAt(x, y)
	b, okB := part.CellAt(x, y)
	if !okA || !okB {
		t.Fatalf("point not in both grids: %v %v", okA, okB)
	}
	if a == b {
		t.Errorf("row/col %+v equal in both grids; the test needs different origins", a)
	}
	if full.ID(a) != part.ID(b) {
		t.Errorf("ids differ: %q in the full scene, %q in the subset", full.ID(a), part.ID(b))
	}
}

func TestGridParseID(t *testing.T) {
	g := newTestGrid(t, olindaFootprint, 1000)
	for _, c := range g.Cells() {
		got, err := g.ParseID(g.ID(c))
		if err != nil || got != c {
			t.Fatalf("ParseID(ID(%+v)) = %+v, %v", c, got, err)
		}
	}

	bad := []struct {
		name string
		id   string
	}{
		{name: "empty", id: ""},
		{name: "other size", id: "E0288N9120-500"},
		{name: "outside grid", id: "E0100N9120-1000"},
		{name: "garbage", id: "E02x8N9120-1000"},
		{name: "metres form for km grid", id: "E0288000N9120000-1000"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := g.ParseID(tt.id); !errors.Is(err, ErrCellID) {
				t.Errorf("ParseID(%q) error = %v, want ErrCellID", tt.id, err)
			}
		})
	}
}

func TestGridCellsIn(t *testing.T) {
	g := newTestGrid(t, olindaFootprint, 1000)
	tests := []struct {
		name string
		b    Bounds
		want int
	}{
		{name: "one cell inside", b: Bounds{290100, 9115100, 290900, 9115900}, want: 1},
		{name: "two by three", b: Bounds{290500, 9114500, 292500, 9115500}, want: 6},
		{name: "edges only touch", b: Bounds{290000, 9115000, 291000, 9116000}, want: 1},
		{name: "whole scene", b: Bounds{0, 0, 1e7, 1e7}, want: 121},
		{name: "outside", b: Bounds{0, 0, 1000, 1000}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(g.CellsIn(tt.b)); got != tt.want {
				t.Errorf("CellsIn(%+v) returned %d cells, want %d", tt.b, got, tt.want)
			}
		})
	}
}

func TestGridWGS84Polygon(t *testing.T) {
	g := newTestGrid(t, olindaFootprint, 1000)
	// gdaltransform (GDAL 3.6.2): 34.8713W 7.9954S -> 293746.46, 9115742.07.
	c, ok := g.CellAtLonLat(-34.8713, -7.9954)
	if !ok || g.ID(c) != "E0293N9115-1000" {
		t.Fatalf("CellAtLonLat = %+v %v (%s), want E0293N9115-1000", c, ok, g.ID(c))
	}
	poly, err := g.CellPolygonWGS84(c)
	if err != nil {
		t.Fatal(err)
	}
	if !ringContains(poly[0], -34.8713, -7.9954) {
		t.Errorf("WGS 84 outline %v does not contain the point", poly[0])
	}
}

func TestGridAntimeridianScene(t *testing.T) {
	scene := SceneFootprint{CRS: "EPSG:4326", Width: 200, Height: 100,
		GeoTransform: GeoTransform{179.9, 0.001, 0, -16.9, 0, -0.001}}
	g := newTestGrid(t, scene, 1000)

	if g.EPSG() != 32760 && g.EPSG() != 32701 {
		t.Errorf("EPSG = %d, want UTM 60S or 1S", g.EPSG())
	}
	crossing := 0
	for _, c := range g.Cells() {
		poly, err := g.CellPolygonWGS84(c)
		if err != nil {
			t.Fatal(err)
		}
		b := poly.Bound()
		if b.Max[0]-b.Min[0] > 1 {
			t.Fatalf("cell %s spans %v degrees of longitude: not unwrapped", g.ID(c), b.Max[0]-b.Min[0])
		}
		if b.Min[0] < 180 && b.Max[0] > 180 || b.Min[0] < -180 && b.Max[0] > -180 {
			crossing++
		}
	}
	if crossing == 0 {
		t.Error("no cell crosses the antimeridian; the scene straddles it")
	}
}

func TestGridRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		scene SceneFootprint
		size  float64
	}{
		{name: "zero cell size", scene: olindaFootprint, size: 0},
		{name: "NaN cell size", scene: olindaFootprint, size: math.NaN()},
		{name: "too many cells", scene: olindaFootprint, size: 0.5},
		{name: "no pixels", scene: SceneFootprint{CRS: "EPSG:31985", GeoTransform: olindaFootprint.GeoTransform}, size: 1000},
		{name: "degenerate geotransform", scene: SceneFootprint{CRS: "EPSG:31985", Width: 5, Height: 5}, size: 1000},
		{name: "unknown CRS", scene: SceneFootprint{CRS: "EPSG:999999", Width: 5, Height: 5, GeoTransform: olindaFootprint.GeoTransform}, size: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewGrid(tt.scene, tt.size)
			if err == nil {
				g.Close()
				t.Fatalf("NewGrid succeeded, want an error")
			}
		})
	}
}

func TestUTMZoneEPSG(t *testing.T) {
	tests := []struct {
		name     string
		lon, lat float64
		want     int
	}{
		{name: "olinda", lon: -34.87, lat: -8.0, want: 32725},
		{name: "lund", lon: 13.19, lat: 55.7, want: 32633},
		{name: "bergen uses 32V", lon: 5.3, lat: 60.4, want: 32632},
		{name: "svalbard 33X", lon: 15.6, lat: 78.2, want: 32633},
		{name: "lon 180", lon: 180, lat: 10, want: 32601},
		{name: "lon -180", lon: -180, lat: -10, want: 32701},
		{name: "north pole", lon: 0, lat: 89, want: 32661},
		{name: "antarctica", lon: 0, lat: -85, want: 32761},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := utmZoneEPSG(tt.lon, tt.lat); got != tt.want {
				t.Errorf("utmZoneEPSG(%v, %v) = %d, want %d", tt.lon, tt.lat, got, tt.want)
			}
		})
	}
}

// ringContains reports whether x, y lies inside ring.
func ringContains(ring orb.Ring, x, y float64) bool {
	return planar.RingContains(ring, orb.Point{x, y})
}
