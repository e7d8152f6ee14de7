package geodata

import (
	"bufio"
	"context"
	"fmt"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airbusgeo/godal"
)

// The huge raster of TestHugeRasterMemoryBound: 200000 x 200000 pixels of
// 10 m in three Byte bands, 120 GB if it were held in memory.
const memTestSide = 200000

// memTestBoundMiB is the largest peak resident memory (VmHWM) that the
// render and export workload may reach with GDAL's block cache set to
// memTestCacheMiB. GDAL's default cache is 5 % of RAM, which alone passes
// the bound on a machine with more than 10 GB, so the child sets it.
const (
	memTestBoundMiB = 500
	memTestCacheMiB = 128
)

// memTestChildEnv names the raster when the test binary runs as the
// child process of TestHugeRasterMemoryBound.
const memTestChildEnv = "GEODATA_MEMORY_CHILD_RASTER"

// TestHugeRasterMemoryBound renders views of and exports a grid from a
// sparse 200000 x 200000 GeoTIFF without overviews in a child process,
// then checks the child's peak resident memory (VmHWM from
// /proc/self/status).
func TestHugeRasterMemoryBound(t *testing.T) {
	if path := os.Getenv(memTestChildEnv); path != "" {
		memoryChild(path)
		return
	}
	if testing.Short() {
		t.Skip("skipped with -short: renders and exports a 200000 x 200000 raster (about 15 s)")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("no /proc/self/status to read VmHWM from: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "huge.tif")
	writeSparseHugeRaster(t, path)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHugeRasterMemoryBound$", "-test.count=1", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), memTestChildEnv+"="+path, "GDAL_CACHEMAX="+strconv.Itoa(memTestCacheMiB))
	out, err := cmd.CombinedOutput()
	t.Logf("child output:\n%s", out)
	if err != nil {
		t.Fatalf("child process: %v", err)
	}

	peak := -1
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "MEMORY-VMHWM-KB "); ok {
			peak, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if peak < 0 {
		t.Fatal("the child printed no MEMORY-VMHWM-KB line")
	}
	t.Logf("peak resident memory %d MiB for views and a grid export of %d x %d pixels", peak/1024, memTestSide, memTestSide)
	if peak/1024 > memTestBoundMiB {
		t.Errorf("peak resident memory %d MiB, more than %d MiB", peak/1024, memTestBoundMiB)
	}
}

// writeSparseHugeRaster writes a memTestSide-square sparse, tiled BigTIFF
// in UTM 33N with data in one 256 x 256 tile at the centre only: about
// 7 MB on disk, every other tile reads as zeros.
func writeSparseHugeRaster(t *testing.T, path string) {
	t.Helper()
	godalInit()
	ds, err := godal.Create(godal.GTiff, path, 3, godal.Byte, memTestSide, memTestSide,
		godal.CreationOption("TILED=YES", "SPARSE_OK=YES", "BIGTIFF=YES", "COMPRESS=DEFLATE"))
	if err != nil {
		t.Fatal(err)
	}

	sr, err := godal.NewSpatialRefFromEPSG(32633)
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	if err := ds.SetSpatialRef(sr); err != nil {
		t.Fatal(err)
	}
	if err := ds.SetGeoTransform([6]float64{500000, 10, 0, 7000000, 0, -10}); err != nil {
		t.Fatal(err)
	}

	tile := make([]byte, 256*256)
	for i := range tile {
		tile[i] = byte(i % 251)
	}
	for _, b := range ds.Bands() {
		if err := b.Write(memTestSide/2, memTestSide/2, tile, 256, 256); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
}

// memoryChild runs the workload on path, prints its VmHWM and exits: exit
// status 1 and a MEMORY-FAILED line when a step fails.
func memoryChild(path string) {
	fail := func(step string, err error) {
		fmt.Printf("MEMORY-FAILED %s: %v\n", step, err)
		os.Exit(1)
	}
	start := time.Now()
	ds, err := Open(path)
	if err != nil {
		fail("open", err)
	}
	defer ds.Close()

	if err := renderHugeViews(ds); err != nil {
		fail("render", err)
	}
	fmt.Printf("render done after %v\n", time.Since(start).Round(time.Millisecond))
	if err := exportHugeGrid(ds, filepath.Dir(path)); err != nil {
		fail("export", err)
	}
	fmt.Printf("export done after %v\n", time.Since(start).Round(time.Millisecond))

	hwm, err := readVmHWM()
	if err != nil {
		fail("read /proc/self/status", err)
	}
	fmt.Printf("MEMORY-VMHWM-KB %d\n", hwm)
	os.Exit(0)
}

// renderHugeViews renders 1024 x 768 views of the whole raster, of its
// centre at one screen pixel per raster pixel, and of a window between
// the two.
func renderHugeViews(ds *Dataset) error {
	layer, err := NewLayer(ds, LayerOptions{})
	if err != nil {
		return err
	}
	defer layer.Close()

	full, err := FitView(layer.Extent(), 1024, 768)
	if err != nil {
		return err
	}
	native := full.ZoomToResolutionAt(10, 512, 384)
	middle := full.ZoomToResolutionAt(300, 512, 384)
	for _, v := range []View{native, middle, full} {
		start := time.Now()
		if _, err := layer.RenderImage(context.Background(), v); err != nil {
			return fmt.Errorf("view %+v: %w", v, err)
		}
		fmt.Printf("rendered the view at %g m per screen pixel in %v\n", v.Resolution, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// exportHugeGrid classifies a grid of 100 km cells (20 x 20) with a fixed
// classifier, reading each cell's patch, and exports the result as a
// GeoTIFF and a GeoPackage.
func exportHugeGrid(ds *Dataset, dir string) error {
	g, err := NewGridForDataset(ds, 100000)
	if err != nil {
		return err
	}
	defer g.Close()
	res, err := ClassifyGrid(context.Background(), ds, g, fixedClassifier{}, ClassifyOptions{})
	if err != nil {
		return err
	}
	for _, name := range []string{"zoning.tif", "zoning.gpkg"} {
		if err := Export(context.Background(), filepath.Join(dir, name), res, ExportOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// fixedClassifier gives every patch the same two-class probabilities,
// because the memory bound concerns reading and writing rather than the
// models. The end-to-end suite (package e2e) bounds the viewer binary with
// real models.
type fixedClassifier struct{}

// PatchSpec requests 64 x 64 patches of 30 m, the footprint of a model
// for Landsat-like imagery (1920 m, 192 x 192 pixels of the raster).
// NOTE: with GroundResolutionM 0 each patch covers its whole 100 km cell
// and PatchReader warps all 10000 x 10000 pixels under it at full
// resolution (the raster has no overviews), about 5 s per cell here.
func (fixedClassifier) PatchSpec() PatchSpec { return PatchSpec{Size: 64, GroundResolutionM: 30} }

func (fixedClassifier) Classes() []Class {
	return []Class{{Name: "urban", Color: color.NRGBA{215, 48, 31, 255}}, {Name: "rural", Color: color.NRGBA{26, 152, 80, 255}}}
}

func (fixedClassifier) ClassifyPatches(ctx context.Context, patches []*Patch) ([][]float32, error) {
	out := make([][]float32, len(patches))
	for i := range out {
		out[i] = []float32{0.7, 0.3}
	}
	return out, nil
}

// readVmHWM returns the process's peak resident set size in KiB.
func readVmHWM() (int, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, fmt.Errorf("no VmHWM line")
}
