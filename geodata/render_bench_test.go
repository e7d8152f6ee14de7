package geodata

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// benchRaster returns the large raster made by scripts/bench-render, named
// by $DOWNTHERE_BENCH_RASTER, or skips.
func benchRaster(tb testing.TB) string {
	path := os.Getenv("DOWNTHERE_BENCH_RASTER")
	if path == "" {
		tb.Skip("DOWNTHERE_BENCH_RASTER is not set; scripts/bench-render sets it")
	}
	return path
}

type benchView struct {
	name string
	view View
}

// benchViews returns the 1920 x 1080 views of the benchmark: the whole
// raster, a zoom halfway (geometrically) to 1:1, and 1:1 at the centre.
func benchViews(tb testing.TB, info Info) []benchView {
	full, err := FitView(info.Extent, 1920, 1080)
	if err != nil {
		tb.Fatal(err)
	}
	pixel, _ := info.GeoTransform.PixelSize()
	mid := full
	mid.Resolution = math.Sqrt(full.Resolution * pixel)
	one := full
	one.Resolution = pixel
	return []benchView{{"full", full}, {"mid", mid}, {"one-to-one", one}}
}

// TestPrintBenchViews prints each benchmark view's pixel window for the
// gdal_translate peer in scripts/bench-render.
func TestPrintBenchViews(t *testing.T) {
	ds, err := Open(benchRaster(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	info := ds.Info()
	for _, bv := range benchViews(t, info) {
		e := bv.view.Extent()
		c0, r0, _ := info.GeoTransform.MapToPixel(e.MinX, e.MaxY)
		c1, r1, _ := info.GeoTransform.MapToPixel(e.MaxX, e.MinY)
		col, row := int(math.Round(c0)), int(math.Round(r0))
		fmt.Printf("view %s %d %d %d %d\n", bv.name, col, row, int(math.Round(c1))-col, int(math.Round(r1))-row)
	}
}

// BenchmarkRenderLarge renders each view cold (open, style, render and
// close in every iteration) and warm (one layer, the view panned by 64
// pixels per iteration). It reports the process's peak RSS.
func BenchmarkRenderLarge(b *testing.B) {
	path := benchRaster(b)
	ds, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	views := benchViews(b, ds.Info())
	ds.Close()
	for _, bv := range views {
		b.Run(bv.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				renderCold(b, path, bv.view)
			}
			reportPeakRSS(b)
		})
		b.Run(bv.name+"-warm", func(b *testing.B) { benchmarkWarm(b, path, bv.view) })
	}
}

func renderCold(b *testing.B, path string, view View) {
	ds, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	layer, err := NewLayer(ds, LayerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := layer.RenderImage(context.Background(), view); err != nil {
		b.Fatal(err)
	}
	if err := layer.Close(); err != nil {
		b.Fatal(err)
	}
	if err := ds.Close(); err != nil {
		b.Fatal(err)
	}
}

func benchmarkWarm(b *testing.B, path string, view View) {
	ds, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Close()
	layer, err := NewLayer(ds, LayerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer layer.Close()
	if _, err := layer.RenderImage(context.Background(), view); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := layer.RenderImage(context.Background(), view.Pan(float64(64*(i%8)), 0)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportPeakRSS(b)
}

// reportPeakRSS reports VmHWM from /proc/self/status in MB (Linux only).
func reportPeakRSS(b *testing.B) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "VmHWM:" {
			if kb, err := strconv.Atoi(fields[1]); err == nil {
				b.ReportMetric(float64(kb)/1024, "peak-RSS-MB")
			}
		}
	}
}

// BenchmarkRenderFixture renders a 512 x 512 JPEG fixture at full extent
// into a 1920 x 1080 view with a warm cache; it needs no shared data.
func BenchmarkRenderFixture(b *testing.B) {
	ds, err := Open(fixturePath(b, "ycbcr_jpeg_mask.tif"))
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Close()
	layer, err := NewLayer(ds, LayerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer layer.Close()
	view, err := FitView(ds.Info().Extent, 1920, 1080)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := layer.RenderImage(context.Background(), view); err != nil {
			b.Fatal(err)
		}
	}
}
