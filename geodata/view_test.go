package geodata

import (
	"bytes"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/airbusgeo/godal"
)

// gdalTransform runs GDAL's gdaltransform on file with args, feeding it
// points, and returns the transformed x,y pairs.
func gdalTransform(t *testing.T, file string, args []string, points [][2]float64) [][2]float64 {
	t.Helper()
	bin, err := exec.LookPath("gdaltransform")
	if err != nil {
		t.Skip("gdaltransform (Debian package gdal-bin) is not installed")
	}
	var in bytes.Buffer
	for _, p := range points {
		fmt.Fprintf(&in, "%.17g %.17g\n", p[0], p[1])
	}
	cmd := exec.Command(bin, append(append([]string{"-output_xy"}, args...), file)...)
	cmd.Stdin = &in
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gdaltransform %v %s: %v\n%s", args, file, err, out)
	}
	var got [][2]float64
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			t.Fatalf("gdaltransform output line %q", line)
		}
		x, errX := strconv.ParseFloat(fields[0], 64)
		y, errY := strconv.ParseFloat(fields[1], 64)
		if errX != nil || errY != nil {
			t.Fatalf("gdaltransform output line %q", line)
		}
		got = append(got, [2]float64{x, y})
	}
	if len(got) != len(points) {
		t.Fatalf("gdaltransform returned %d points for %d", len(got), len(points))
	}
	return got
}

func TestViewAgainstGDALTransformer(t *testing.T) {
	dir := t.TempDir()
	type crossCheck struct {
		name   string
		raster testRaster
	}
	checks := []crossCheck{
		{"utm 33N", testRaster{geoTransform: &GeoTransform{500000, 10, 0, 5000000, 0, -10}, crs: "EPSG:32633"}},
		{"epsg 4326", testRaster{geoTransform: &GeoTransform{-9.5, 0.001, 0, 38.8, 0, -0.001}, crs: "EPSG:4326"}},
		{"rotated utm", testRaster{geoTransform: &GeoTransform{288776, 24.68, 14.25, 9120760, 14.25, -24.68}, crs: "EPSG:31985"}},
		{"south-up 4326", testRaster{geoTransform: &GeoTransform{14.5, 0.0005, 0, 46.0, 0, 0.0005}, crs: "EPSG:4326"}},
		{"gcps utm", testRaster{gcpCRS: "EPSG:32633", gcps: []godal.GCP{
			{DfGCPPixel: 0, DfGCPLine: 0, DfGCPX: 500000, DfGCPY: 5000000},
			{DfGCPPixel: 300, DfGCPLine: 0, DfGCPX: 503000, DfGCPY: 5000100},
			{DfGCPPixel: 0, DfGCPLine: 200, DfGCPX: 500050, DfGCPY: 4998000},
		}}},
	}
	for i, cc := range checks {
		t.Run(cc.name, func(t *testing.T) {
			r := cc.raster
			r.width, r.height, r.bands = 300, 200, 1
			path := r.write(t, dir, fmt.Sprintf("view%d.tif", i))
			crossCheckView(t, path)
		})
	}
	t.Run("olinda", func(t *testing.T) {
		crossCheckView(t, sharedDataFile(t, "olinda/L7_ETMs.tif"))
	})
}

// crossCheckView compares screen -> pixel -> map -> lon/lat conversions of
// a zoomed and panned view of path against gdaltransform.
func crossCheckView(t *testing.T, path string) {
	t.Helper()
	ds, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	info := ds.Info()
	view, err := FitView(info.Extent, 800, 600)
	if err != nil {
		t.Fatal(err)
	}
	view = view.ZoomAt(1.7, 250, 410).Pan(-33.5, 12.25)

	screen := [][2]float64{{0, 0}, {400, 300}, {799.5, 599.5}, {123.25, 456.75}, {250, 410}}
	var pixels, maps, lonlats [][2]float64
	for _, s := range screen {
		col, row, err := view.ScreenToPixel(info.GeoTransform, s[0], s[1])
		if err != nil {
			t.Fatal(err)
		}
		x, y := view.ScreenToMap(s[0], s[1])
		lon, lat, err := ds.MapToLonLat(x, y)
		if err != nil {
			t.Fatal(err)
		}
		pixels = append(pixels, [2]float64{col, row})
		maps = append(maps, [2]float64{x, y})
		lonlats = append(lonlats, [2]float64{lon, lat})
	}

	gdalMaps := gdalTransform(t, path, nil, pixels)
	gdalLonLats := gdalTransform(t, path, []string{"-t_srs", "EPSG:4326"}, pixels)
	gdalPixels := gdalTransform(t, path, []string{"-i", "-t_srs", "EPSG:4326"}, lonlats)
	mapTol := 1e-9 * math.Max(math.Abs(info.Extent.MaxX), math.Abs(info.Extent.MaxY))
	for i, s := range screen {
		t.Logf("screen %v -> pixel %v map %v lon/lat %v", s, pixels[i], maps[i], lonlats[i])
		assertClose(t, fmt.Sprintf("map of screen %v", s), maps[i], gdalMaps[i], mapTol)
		assertClose(t, fmt.Sprintf("lon/lat of screen %v", s), lonlats[i], gdalLonLats[i], 1e-9)
		assertClose(t, fmt.Sprintf("pixel of lon/lat %v", lonlats[i]), pixels[i], gdalPixels[i], 1e-6)

		bx, by := view.PixelToScreen(info.GeoTransform, pixels[i][0], pixels[i][1])
		assertClose(t, fmt.Sprintf("screen round trip %v", s), [2]float64{bx, by}, s, 1e-6)
		sx, sy, err := view.LonLatToScreen(ds, lonlats[i][0], lonlats[i][1])
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, fmt.Sprintf("lon/lat round trip %v", s), [2]float64{sx, sy}, s, 1e-5)
	}
}

func assertClose(t *testing.T, what string, got, want [2]float64, tol float64) {
	t.Helper()
	if math.Abs(got[0]-want[0]) > tol || math.Abs(got[1]-want[1]) > tol {
		t.Errorf("%s = (%.12g, %.12g), GDAL gives (%.12g, %.12g), tolerance %g", what, got[0], got[1], want[0], want[1], tol)
	}
}

func TestViewZoomPanFit(t *testing.T) {
	extent := Bounds{MinX: 1000, MinY: 2000, MaxX: 5000, MaxY: 4000}
	v, err := FitView(extent, 400, 400)
	if err != nil {
		t.Fatal(err)
	}
	if v.Resolution != 10 || v.CenterX != 3000 || v.CenterY != 3000 {
		t.Errorf("FitView = %+v, want resolution 10 centred on (3000, 3000)", v)
	}
	if e := v.Extent(); e.MinX != 1000 || e.MaxX != 5000 {
		t.Errorf("fitted extent x = [%g, %g], want [1000, 5000]", e.MinX, e.MaxX)
	}

	ax, ay := v.ScreenToMap(100, 50)
	z := v.ZoomAt(2.5, 100, 50)
	bx, by := z.ScreenToMap(100, 50)
	if math.Abs(ax-bx) > 1e-9 || math.Abs(ay-by) > 1e-9 {
		t.Errorf("zoom anchor moved from (%g, %g) to (%g, %g)", ax, ay, bx, by)
	}
	if z.Resolution != 4 {
		t.Errorf("zoomed resolution = %g, want 4", z.Resolution)
	}

	p := v.Pan(20, -10)
	px, py := p.ScreenToMap(120, 40)
	if px != ax || py != ay {
		t.Errorf("pan by (20,-10): content under (100,50) went to (%g,%g), want it under (120,40)", px, py)
	}
	if got := v.ZoomAt(0, 1, 1); got != v {
		t.Errorf("ZoomAt(0) changed the view to %+v", got)
	}
	if _, err := FitView(Bounds{}, 10, 10); err == nil {
		t.Error("FitView of an empty extent succeeded")
	}
	if err := (View{Width: 10, Height: 10}).Validate(); err == nil {
		t.Error("Validate accepted resolution 0")
	}
}

func TestScreenToRasterTransform(t *testing.T) {
	gt := GeoTransform{288776, 24.68, 14.25, 9120760, 14.25, -24.68}
	v := View{CenterX: 290000, CenterY: 9118000, Resolution: 3.5, Width: 640, Height: 480}
	st, err := v.ScreenToRasterTransform(gt)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range [][2]float64{{0, 0}, {639.5, 10}, {320, 479}} {
		wantCol, wantRow, err := v.ScreenToPixel(gt, s[0], s[1])
		if err != nil {
			t.Fatal(err)
		}
		col, row := st.PixelToMap(s[0], s[1])
		assertClose(t, fmt.Sprintf("composed transform at %v", s), [2]float64{col, row}, [2]float64{wantCol, wantRow}, 1e-7)
	}
}
