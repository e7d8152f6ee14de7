package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airbusgeo/godal"
)

// Huge raster of the memory tests: 200000 x 200000 pixels of 10 m, three
// Byte bands, 120 GB if it were held in memory.
const hugeSide = 200000

// memoryBoundMiB is the largest peak resident memory allowed to a viewer
// run on the huge raster, with GDAL's block cache set to
// hugeGDALCacheMiB. GDAL's default cache is 5 % of RAM, which on a large
// machine alone passes this bound, so the tests set it.
const (
	memoryBoundMiB   = 500
	hugeGDALCacheMiB = 128
)

// writeSparseRaster writes a hugeSide x hugeSide sparse, tiled BigTIFF in
// UTM 33N: only one 256 x 256 tile at the centre contains data, so the file
// is about 7 MB (its tile index) and every other tile reads as zeros.
func writeSparseRaster(t *testing.T, path string) {
	t.Helper()
	godal.RegisterAll()
	ds, err := godal.Create(godal.GTiff, path, 3, godal.Byte, hugeSide, hugeSide,
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
		if err := b.Write(hugeSide/2, hugeSide/2, tile, 256, 256); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestHugeRasterMemory runs viewer info and viewer export on a raster far
// larger than memory and bounds the peak resident memory (VmHWM) of each
// run. The export classifies 100 km cells, so each patch is resampled from
// 10000 x 10000 pixels, and would read all 4e10 pixels of the raster (about
// 20 minutes here), so it is stopped with SIGINT after
// hugeExportInterrupt: the test also checks that Ctrl-C on a large export
// exits with 130 within cancelGrace and leaves no file.
func TestHugeRasterMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: runs the viewer for several seconds")
	}
	if suite.ortErr != "" {
		t.Skipf("ONNX Runtime does not start with the test model set (run `make deps`): %s", suite.ortErr)
	}
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.tif")
	out := filepath.Join(dir, "zoning.tif")
	writeSparseRaster(t, huge)

	env := []string{"GDAL_CACHEMAX=" + strconv.Itoa(hugeGDALCacheMiB)}
	runs := []struct {
		name      string
		args      []string
		interrupt time.Duration
		status    int
		stderr    string
		knownBug  string
	}{
		{name: "info", args: []string{"info", huge}},
		{name: "export", args: []string{"export", "--scene", huge, "--out", out, "--models", suite.testset, "--provider", "cpu", "--grid", "100000"},
			interrupt: hugeExportInterrupt, status: 130, stderr: "nothing was written"},
	}
	for _, rc := range runs {
		t.Run(rc.name, func(t *testing.T) {
			opts := runOptions{env: env, sampleMemory: true, interruptAfter: rc.interrupt}
			if rc.interrupt > 0 {
				opts.timeout = rc.interrupt + cancelGrace
			}
			r := run(opts, rc.args...)
			logResult(t, rc.args, r)
			checkPeakMemory(t, rc.name, r.peakRSSKB)

			failures := crashProblems(r)
			if r.status != rc.status || !strings.Contains(r.stderr, rc.stderr) {
				failures = append(failures, fmt.Sprintf("exit %d, want %d with %q on stderr", r.status, rc.status, rc.stderr))
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				failures = append(failures, fmt.Sprintf("%s exists after the interrupted export (stat: %v)", out, err))
			}
			report(t, rc.knownBug, failures)
		})
	}
}

// cancelGrace is how long a run may take to stop after SIGINT: one patch
// read of a 100 km cell (about 2 s on an idle 2-core machine, several
// times that when the machine is loaded) and the model batch in flight.
const cancelGrace = 12 * time.Second

// hugeExportInterrupt is how long the export on the huge raster runs
// before SIGINT stops it.
const hugeExportInterrupt = 15 * time.Second

func checkPeakMemory(t *testing.T, name string, peakKB int64) {
	t.Helper()
	if peakKB == 0 {
		t.Log("no VmHWM could be read from /proc/PID/status, so the memory bound is not checked")
		return
	}
	t.Logf("%s of %d x %d pixels: peak resident memory %d MiB", name, hugeSide, hugeSide, peakKB/1024)
	if peakKB/1024 > memoryBoundMiB {
		t.Errorf("peak resident memory %d MiB, more than %d MiB", peakKB/1024, memoryBoundMiB)
	}
}
