package geodata

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden PNGs in testdata/golden")

func fixturePath(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(repoRoot(t), "testdata", "fixtures", name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("fixture %s is missing (run scripts/make-fixtures): %v", name, err)
	}
	return path
}

// pixelCheck expects the colour drawn at the centre of raster pixel
// (col, row). A nil want means transparent.
type pixelCheck struct {
	col, row int
	want     *color.RGBA
}

func rgba(r, g, b, a uint8) *color.RGBA { return &color.RGBA{r, g, b, a} }

// opaque matches any colour with alpha 255.
var opaque = rgba(0, 0, 0, 255)

type fixtureCase struct {
	name      string
	file      string
	openErr   error // expected from Open
	renderErr error // expected from NewLayer or Render
	style     StyleOptions
	checkInfo func(t *testing.T, info Info)
	wantMode  RenderMode
	wantBands []int
	wantAlpha int
	pixels    []pixelCheck
	golden    string
}

func fixtureCases() []fixtureCase {
	identity := StyleOptions{NoStretch: true}
	return []fixtureCase{
		{name: "landsat 6 bands", file: "olinda_landsat6.tif", wantMode: ModeRGB, wantBands: []int{3, 2, 1},
			pixels: []pixelCheck{{0, 0, opaque}, {95, 95, opaque}}, golden: "olinda_landsat6.png"},
		{name: "single band", file: "single_band.tif", wantMode: ModeGrey, wantBands: []int{1},
			pixels: []pixelCheck{{10, 10, opaque}}},
		{name: "rgb nodata 0 corners", file: "rgb_nodata0.tif", wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			pixels: []pixelCheck{{0, 0, nil}, {197, 0, nil}, {99, 90, opaque}}},
		{name: "rgb+nir band 4 not alpha", file: "rgbnir_naip.tif", wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			pixels: []pixelCheck{{0, 0, opaque}, {63, 63, opaque}}},
		{name: "alpha in band 5", file: "alpha_band5.tif", wantMode: ModeRGB, wantBands: []int{1, 2, 3}, wantAlpha: 5,
			pixels: []pixelCheck{{5, 5, nil}, {40, 5, opaque}}, golden: "alpha_band5.png"},
		{name: "float32 nodata -9999", file: "float32_hag.tif", wantMode: ModeGrey, wantBands: []int{1},
			pixels: []pixelCheck{{30, 30, opaque}}},
		{name: "uint16 pixel-is-point", file: "uint16_point.tif", wantMode: ModeGrey, wantBands: []int{1},
			checkInfo: func(t *testing.T, info Info) {
				if info.AreaOrPoint != "Point" {
					t.Errorf("AreaOrPoint = %q, want Point", info.AreaOrPoint)
				}
			},
			pixels: []pixelCheck{{40, 40, opaque}}},
		{name: "dark uint16 rgb", file: "uint16_dark_rgb.tif", wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			pixels: []pixelCheck{{32, 32, opaque}}},
		{name: "ycbcr jpeg internal mask", file: "ycbcr_jpeg_mask.tif", wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			checkInfo: func(t *testing.T, info Info) {
				if info.Bands[0].MaskFlags != MaskPerDataset {
					t.Errorf("mask flags = %s, want PER_DATASET", info.Bands[0].MaskFlags)
				}
				if len(info.Bands[0].Overviews) != 2 {
					t.Errorf("overviews = %v, want 2 levels", info.Bands[0].Overviews)
				}
			},
			pixels: []pixelCheck{{2, 2, nil}, {400, 400, opaque}}},
		{name: "rotated", file: "rotated.tif", style: identity, wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			checkInfo: wantInfoFlags(true, false, GeorefGeoTransform, CRSProjected),
			pixels:    []pixelCheck{{31, 0, rgba(248, 0, 128, 255)}, {0, 31, rgba(0, 248, 128, 255)}, {16, 16, rgba(128, 128, 128, 255)}},
			golden:    "rotated.png"},
		{name: "south-up", file: "south_up.tif", style: identity, wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			checkInfo: wantInfoFlags(false, true, GeorefGeoTransform, CRSProjected),
			pixels:    []pixelCheck{{0, 0, rgba(0, 0, 128, 255)}, {31, 31, rgba(248, 248, 128, 255)}},
			golden:    "south_up.png"},
		{name: "no CRS", file: "no_crs.tif", style: identity, wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			checkInfo: wantInfoFlags(false, false, GeorefGeoTransform, CRSNone),
			pixels:    []pixelCheck{{31, 0, rgba(248, 0, 128, 255)}}},
		{name: "no georeferencing", file: "no_georef.tif", style: identity, wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			checkInfo: wantInfoFlags(false, false, GeorefNone, CRSNone),
			pixels:    []pixelCheck{{31, 0, rgba(248, 0, 128, 255)}, {0, 31, rgba(0, 248, 128, 255)}}},
		{name: "local CRS", file: "local_crs.vrt", style: identity, wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			checkInfo: wantInfoFlags(false, false, GeorefGeoTransform, CRSLocal),
			pixels:    []pixelCheck{{31, 0, rgba(248, 0, 128, 255)}}},
		{name: "GCPs only", file: "gcp_only.tif", style: identity, wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			checkInfo: wantInfoFlags(false, false, GeorefGCPs, CRSProjected),
			pixels:    []pixelCheck{{31, 0, rgba(248, 0, 128, 255)}, {5, 30, rgba(40, 240, 128, 255)}}},
		{name: "antimeridian", file: "antimeridian.tif", style: identity, wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			checkInfo: func(t *testing.T, info Info) {
				if ll := info.LonLatExtent; ll == nil || ll.MinX != 179.5 || ll.MaxX != -179.5 {
					t.Errorf("lon/lat extent = %+v, want 179.5 to -179.5 across the antimeridian", ll)
				}
			},
			pixels: []pixelCheck{{31, 31, rgba(248, 248, 128, 255)}}},
		{name: "palette", file: "palette.tif", wantMode: ModePalette, wantBands: []int{1},
			pixels: []pixelCheck{{0, 0, rgba(255, 0, 0, 255)}, {20, 0, rgba(0, 255, 0, 255)}, {0, 20, rgba(0, 0, 255, 255)}, {20, 20, rgba(255, 255, 0, 255)}},
			golden: "palette.png"},
		{name: "one band's nodata keeps colour", file: "rgb_partial_nodata.tif", style: identity, wantMode: ModeRGB, wantBands: []int{1, 2, 3},
			pixels: []pixelCheck{{0, 0, nil}, {1, 0, rgba(0, 120, 50, 255)}, {5, 5, rgba(200, 120, 50, 255)}}},
		{name: "NaN nodata", file: "float_nan_nodata.tif", wantMode: ModeGrey, wantBands: []int{1},
			pixels: []pixelCheck{{13, 3, nil}, {2, 3, opaque}}},
		{name: "NaN undeclared", file: "float_nan_undeclared.tif", wantMode: ModeGrey, wantBands: []int{1},
			pixels: []pixelCheck{{13, 3, nil}, {2, 3, opaque}}},
		{name: "-3.4e38 nodata", file: "float_sentinel_nodata.tif", wantMode: ModeGrey, wantBands: []int{1},
			pixels: []pixelCheck{{1, 3, nil}, {10, 3, opaque}}},
		{name: "-3.4e38 undeclared", file: "float_sentinel_undeclared.tif", wantMode: ModeGrey, wantBands: []int{1},
			pixels: []pixelCheck{{1, 3, nil}, {10, 3, opaque}}},
		{name: "int16 nodata -9999", file: "int16_nodata.tif", wantMode: ModeGrey, wantBands: []int{1},
			pixels: []pixelCheck{{1, 3, nil}, {10, 3, opaque}}},
		{name: "empty file", file: "empty.tif", openErr: ErrEmptyFile},
		{name: "text file", file: "not_a_raster.tif", openErr: ErrUnsupportedFormat},
		{name: "corrupt header", file: "corrupt_header.tif", openErr: ErrCorrupt},
		{name: "truncated", file: "truncated.tif", renderErr: ErrCorrupt},
		{name: "corrupt tiles", file: "corrupt_tiles.tif", renderErr: ErrCorrupt},
	}
}

func wantInfoFlags(rotated, southUp bool, georef Georef, kind CRSKind) func(*testing.T, Info) {
	return func(t *testing.T, info Info) {
		t.Helper()
		if info.Rotated() != rotated || info.SouthUp() != southUp {
			t.Errorf("rotated, south-up = %v, %v; want %v, %v", info.Rotated(), info.SouthUp(), rotated, southUp)
		}
		if info.Georef != georef {
			t.Errorf("Georef = %s, want %s", info.Georef, georef)
		}
		if info.CRS.Kind != kind {
			t.Errorf("CRS kind = %s, want %s", info.CRS.Kind, kind)
		}
	}
}

func TestFixtures(t *testing.T) {
	for _, tc := range fixtureCases() {
		t.Run(tc.name, func(t *testing.T) { runFixture(t, tc) })
	}
}

func runFixture(t *testing.T, tc fixtureCase) {
	path := fixturePath(t, tc.file)
	ds, err := Open(path)
	if tc.openErr != nil {
		assertFileError(t, "Open", err, tc.openErr, path)
		if err == nil {
			ds.Close()
		}
		return
	}
	if err != nil {
		if tc.renderErr != nil {
			assertFileError(t, "Open", err, tc.renderErr, path)
			return
		}
		t.Fatal(err)
	}
	defer ds.Close()
	if tc.checkInfo != nil {
		tc.checkInfo(t, ds.Info())
	}

	img, layer, err := renderFixture(ds, tc.style)
	if tc.renderErr != nil {
		assertFileError(t, "render", err, tc.renderErr, path)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer layer.Close()
	checkStyle(t, layer.Style(), tc)
	checkPixels(t, ds.Info(), img, tc.pixels)
	if tc.golden != "" {
		compareGolden(t, img, tc.golden)
	}
}

// fixtureView is the full-extent view of a fixture on a 128 x 128 screen.
func fixtureView(info Info) (View, error) {
	return FitView(info.Extent, 128, 128)
}

func renderFixture(ds *Dataset, style StyleOptions) (*image.RGBA, *Layer, error) {
	layer, err := NewLayer(ds, LayerOptions{Style: style})
	if err != nil {
		return nil, nil, err
	}
	view, err := fixtureView(ds.Info())
	if err != nil {
		layer.Close()
		return nil, nil, err
	}
	img, err := layer.RenderImage(context.Background(), view)
	if err != nil {
		layer.Close()
		return nil, nil, err
	}
	return img, layer, nil
}

func assertFileError(t *testing.T, op string, err, want error, path string) {
	t.Helper()
	t.Logf("%s error: %v", op, err)
	if !errors.Is(err, want) {
		t.Errorf("%s error = %v, want %v", op, err, want)
	}
	if err != nil && !strings.Contains(err.Error(), path) {
		t.Errorf("%s error does not name the file %s", op, path)
	}
}

func checkStyle(t *testing.T, style Style, tc fixtureCase) {
	t.Helper()
	t.Logf("style: mode %s bands %v ranges %v alpha %d", style.Mode, style.Bands, style.Ranges, style.AlphaBand)
	if style.Mode != tc.wantMode || fmt.Sprint(style.Bands) != fmt.Sprint(tc.wantBands) {
		t.Errorf("style = %s %v, want %s %v", style.Mode, style.Bands, tc.wantMode, tc.wantBands)
	}
	if style.AlphaBand != tc.wantAlpha {
		t.Errorf("alpha band = %d, want %d", style.AlphaBand, tc.wantAlpha)
	}
	for i, r := range style.Ranges {
		if r[0] < -1e6 || r[1] > 1e6 || !(r[1] > r[0]) {
			t.Errorf("band %d stretch range %v: a nodata sentinel leaked into the statistics", style.Bands[i], r)
		}
	}
}

func checkPixels(t *testing.T, info Info, img *image.RGBA, checks []pixelCheck) {
	t.Helper()
	view, err := fixtureView(info)
	if err != nil {
		t.Fatal(err)
	}
	for _, pc := range checks {
		sx, sy := view.PixelToScreen(info.GeoTransform, float64(pc.col)+0.5, float64(pc.row)+0.5)
		got := img.RGBAAt(int(sx), int(sy))
		where := fmt.Sprintf("pixel (%d,%d) at screen (%d,%d)", pc.col, pc.row, int(sx), int(sy))
		switch {
		case pc.want == nil:
			if got.A != 0 {
				t.Errorf("%s = %v, want transparent", where, got)
			}
		case pc.want == opaque:
			if got.A != 255 {
				t.Errorf("%s = %v, want opaque", where, got)
			}
		case got != *pc.want:
			t.Errorf("%s = %v, want %v", where, got, *pc.want)
		}
	}
}

// compareGolden compares img with testdata/golden/name, allowing each
// channel to differ by 2, or rewrites the file with -update.
func compareGolden(t *testing.T, img *image.RGBA, name string) {
	t.Helper()
	path := filepath.Join(repoRoot(t), "testdata", "golden", name)
	if *updateGolden {
		writePNG(t, path, img)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden image %s: %v (run go test ./geodata/ -run TestFixtures -update)", path, err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatalf("golden image %s: %v", path, err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("golden image %s is %v, render is %v", path, want.Bounds(), img.Bounds())
	}
	bad := 0
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			if !colorsClose(color.RGBAModel.Convert(want.At(x, y)).(color.RGBA), img.RGBAAt(x, y), 2) {
				bad++
			}
		}
	}
	if bad > 0 {
		got := filepath.Join(t.TempDir(), name)
		writePNG(t, got, img)
		t.Errorf("%d pixels differ from %s; render saved as %s", bad, path, got)
	}
}

func colorsClose(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) <= tol && int(y)-int(x) <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
