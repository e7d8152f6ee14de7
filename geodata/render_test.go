package geodata

import (
	"context"
	"errors"
	"image"
	"image/color"
	"strconv"
	"sync"
	"testing"

	"github.com/airbusgeo/godal"
)

func openFixture(t *testing.T, name string) *Dataset {
	t.Helper()
	ds, err := Open(fixturePath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	return ds
}

func newTestLayer(t *testing.T, ds *Dataset, opts LayerOptions) *Layer {
	t.Helper()
	l, err := NewLayer(ds, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestRenderWarpedLayer draws the UTM Landsat fixture into a WGS 84 map and
// compares it with GDAL's warper run directly on the view's extent and
// size (gdalwarp -r near), styled with the same stretch.
func TestRenderWarpedLayer(t *testing.T) {
	ds := openFixture(t, "olinda_landsat6.tif")
	wgs, err := WGS84()
	if err != nil {
		t.Fatal(err)
	}
	warped := newTestLayer(t, ds, LayerOptions{MapCRS: &wgs})
	if !warped.Warped() {
		t.Fatal("layer in EPSG:4326 was not warped")
	}
	outside, err := warped.RenderImage(context.Background(), View{CenterX: 0, CenterY: 0, Resolution: 0.001, Width: 10, Height: 10})
	if err != nil {
		t.Fatal(err)
	}
	if outside.RGBAAt(5, 5).A != 0 {
		t.Error("a view far from the raster is not transparent")
	}
	full, err := FitView(warped.Extent(), 300, 200)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		view     View
		minMatch float64
	}{
		// Zoomed in, tile pixels are a quarter of a source pixel, so the
		// second resampling (tile to screen) rarely picks a neighbour.
		{"zoomed in", full.ZoomAt(4, 150, 100), 0.85},
		// Zoomed out, a tile pixel is about half a source pixel.
		{"whole raster", full.ZoomAt(0.8, 150, 100), 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { compareWithGDALWarp(t, ds, warped, tt.view, wgs, tt.minMatch) })
	}
}

// compareWithGDALWarp renders view with the warped layer and compares it
// pixel by pixel with GDAL's warp of the same view.
func compareWithGDALWarp(t *testing.T, ds *Dataset, warped *Layer, view View, wgs CRS, minMatch float64) {
	t.Helper()
	img, err := warped.RenderImage(context.Background(), view)
	if err != nil {
		t.Fatal(err)
	}
	want := gdalWarpView(t, ds, view, wgs, warped.Style())

	same, opaqueBoth, alphaDiffer := 0, 0, 0
	for i := 0; i < len(img.Pix); i += 4 {
		got := color.RGBA{img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3]}
		exp := color.RGBA{want.Pix[i], want.Pix[i+1], want.Pix[i+2], want.Pix[i+3]}
		if (got.A == 0) != (exp.A == 0) {
			alphaDiffer++
		}
		if got.A != 0 && exp.A != 0 {
			opaqueBoth++
			if colorsClose(got, exp, 1) {
				same++
			}
		}
	}
	t.Logf("%d of %d pixels opaque in both match GDAL's warp; %d differ in transparency", same, opaqueBoth, alphaDiffer)
	if opaqueBoth < 10000 || float64(same) < minMatch*float64(opaqueBoth) {
		t.Errorf("only %d of %d warped pixels match GDAL's warp", same, opaqueBoth)
	}
	if float64(alphaDiffer) > 0.02*float64(view.Width*view.Height) {
		t.Errorf("%d pixels differ from GDAL's warp in transparency", alphaDiffer)
	}
}

// gdalWarpView warps ds with GDAL straight into the view's grid and styles
// the result like the layer.
func gdalWarpView(t *testing.T, ds *Dataset, view View, crs CRS, style Style) *image.RGBA {
	t.Helper()
	e := view.Extent()
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 17, 64) }
	out := image.NewRGBA(image.Rect(0, 0, view.Width, view.Height))
	err := ds.WithHandle(func(h *godal.Dataset) error {
		mem, err := godal.Warp("", []*godal.Dataset{h}, []string{"-of", "MEM", "-t_srs", crs.WKT, "-r", "near", "-dstalpha",
			"-te", f(e.MinX), f(e.MinY), f(e.MaxX), f(e.MaxY), "-ts", strconv.Itoa(view.Width), strconv.Itoa(view.Height)})
		if err != nil {
			return err
		}
		defer mem.Close()
		n := view.Width * view.Height
		buf := make([]uint8, n)
		bands := mem.Bands()
		if err := bands[len(bands)-1].Read(0, 0, buf, view.Width, view.Height); err != nil {
			return err
		}
		for p := 0; p < n; p++ {
			out.Pix[4*p+3] = buf[p]
		}
		for i, b := range style.Bands {
			if err := bands[b-1].Read(0, 0, buf, view.Width, view.Height); err != nil {
				return err
			}
			for p := 0; p < n; p++ {
				if out.Pix[4*p+3] != 0 {
					out.Pix[4*p+i] = stretchValue(float32(buf[p]), style.Ranges[i])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRenderConcurrentMatchesSequential(t *testing.T) {
	ds := openFixture(t, "ycbcr_jpeg_mask.tif")
	layer := newTestLayer(t, ds, LayerOptions{Cache: NewTileCache(1 << 20)})
	base, err := FitView(ds.Info().Extent, 200, 150)
	if err != nil {
		t.Fatal(err)
	}
	views := []View{base}
	for i := 1; i < 12; i++ {
		views = append(views, base.ZoomAt(1+0.4*float64(i), float64(10*i), float64(7*i)).Pan(float64(3*i), float64(-5*i)))
	}
	want := make([]*image.RGBA, len(views))
	for i, v := range views {
		if want[i], err = layer.RenderImage(context.Background(), v); err != nil {
			t.Fatal(err)
		}
	}

	fresh := newTestLayer(t, ds, LayerOptions{Cache: NewTileCache(1 << 20)})
	var wg sync.WaitGroup
	got := make([]*image.RGBA, len(views))
	errs := make([]error, len(views))
	for i, v := range views {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = fresh.RenderImage(context.Background(), v)
		}()
	}
	wg.Wait()
	for i := range views {
		if errs[i] != nil {
			t.Fatalf("view %d: %v", i, errs[i])
		}
		if string(got[i].Pix) != string(want[i].Pix) {
			t.Errorf("view %d rendered concurrently differs from the sequential render", i)
		}
	}
}

func TestTileCacheBoundedAndReusedOnPan(t *testing.T) {
	ds := openFixture(t, "ycbcr_jpeg_mask.tif")
	const budget = 600 << 10 // two 256x256 tiles; the image has four at full resolution
	cache := NewTileCache(budget)
	layer := newTestLayer(t, ds, LayerOptions{Cache: cache})
	gt := ds.Info().GeoTransform
	cx, cy := gt.PixelToMap(128, 128)
	view := View{CenterX: cx, CenterY: cy, Resolution: gt[1], Width: 100, Height: 100} // inside tile (0,0) at 1:1
	sweep := []View{view.Pan(-256, 0), view.Pan(0, -256), view.Pan(-256, -256), view}

	if _, err := layer.RenderImage(context.Background(), view); err != nil {
		t.Fatal(err)
	}
	first := cache.Stats()
	if _, err := layer.RenderImage(context.Background(), view.Pan(5, 3)); err != nil {
		t.Fatal(err)
	}
	second := cache.Stats()
	t.Logf("after first render %+v, after pan %+v", first, second)
	if second.Misses != first.Misses {
		t.Errorf("a 5-pixel pan decoded %d new tiles, want 0", second.Misses-first.Misses)
	}
	if second.Hits <= first.Hits {
		t.Error("the pan did not reuse cached tiles")
	}

	for _, v := range sweep {
		if _, err := layer.RenderImage(context.Background(), v); err != nil {
			t.Fatal(err)
		}
		if s := cache.Stats(); s.Bytes > budget {
			t.Fatalf("cache holds %d bytes, budget %d", s.Bytes, budget)
		}
	}
	if cache.Stats().Evictions == 0 {
		t.Error("no evictions with a budget smaller than the rendered area")
	}
	layer.Close()
	if s := cache.Stats(); s.Tiles != 0 || s.Bytes != 0 {
		t.Errorf("closed layer left %d tiles (%d bytes) in the cache", s.Tiles, s.Bytes)
	}
}

func TestRenderErrors(t *testing.T) {
	ds := openFixture(t, "palette.tif")
	layer := newTestLayer(t, ds, LayerOptions{})
	view, err := FitView(ds.Info().Extent, 50, 40)
	if err != nil {
		t.Fatal(err)
	}

	if err := layer.Render(context.Background(), view, image.NewRGBA(image.Rect(0, 0, 10, 10))); err == nil {
		t.Error("Render into an image of the wrong size succeeded")
	}
	if _, err := layer.RenderImage(context.Background(), View{Width: 10, Height: 10}); err == nil {
		t.Error("Render of a view with resolution 0 succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := layer.RenderImage(ctx, view); !errors.Is(err, context.Canceled) {
		t.Errorf("Render with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := NewLayer(ds, LayerOptions{Style: StyleOptions{Bands: []int{1, 2}}}); err == nil {
		t.Error("NewLayer with two bands succeeded")
	}
	if _, err := NewLayer(ds, LayerOptions{Style: StyleOptions{Bands: []int{7}}}); err == nil {
		t.Error("NewLayer with band 7 of 1 succeeded")
	}
	layer.Close()
	if _, err := layer.RenderImage(context.Background(), view); !errors.Is(err, ErrClosed) {
		t.Errorf("Render after Close = %v, want ErrClosed", err)
	}

	offscreen := view.Pan(1e6, 0)
	other := newTestLayer(t, ds, LayerOptions{})
	img, err := other.RenderImage(context.Background(), offscreen)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range img.Pix {
		if v != 0 {
			t.Fatal("a view beside the raster is not fully transparent")
		}
	}
}

func TestDefaultBandsOlinda(t *testing.T) {
	ds, err := Open(sharedDataFile(t, "olinda/L7_ETMs.tif"))
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	mode, bands := DefaultBands(ds.Info())
	if mode != ModeRGB || len(bands) != 3 || bands[0] != 3 || bands[1] != 2 || bands[2] != 1 {
		t.Errorf("DefaultBands = %s %v, want rgb [3 2 1]", mode, bands)
	}
}

func TestReadWindowAndPixelValues(t *testing.T) {
	ds := openFixture(t, "rgb_partial_nodata.tif")
	s, err := ds.ReadWindow(Window{0, 0, 8, 8}, 8, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Valid[0] {
		t.Error("pixel (0,0) with every band at nodata is valid")
	}
	if !s.Valid[1] || s.Values[0][1] != 0 || s.Values[1][1] != 120 {
		t.Errorf("pixel (1,0) = valid %v values %v %v, want valid (0, 120, 50)", s.Valid[1], s.Values[0][1], s.Values[1][1])
	}
	values, hasData, err := ds.PixelValues(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !hasData || values[0].Value != 0 || !values[0].NoData || values[1].NoData {
		t.Errorf("PixelValues(1,0) = %+v (has data %v), want band 1 = 0 flagged nodata, band 2 valid", values, hasData)
	}
	if _, err := ds.ReadWindow(Window{4, 4, 8, 8}, 8, 8, nil); err == nil {
		t.Error("ReadWindow outside the raster succeeded")
	}
}
