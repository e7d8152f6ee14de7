package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/airbusgeo/godal"

	"github.com/downthere/downthere/geodata"
)

// killWhen starts cmd, calls ready every millisecond until it returns
// true, then kills cmd's process group with SIGKILL. It reports whether
// the kill happened before cmd ended on its own.
func killWhen(t *testing.T, cmd *exec.Cmd, timeout time.Duration, ready func() bool) bool {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	deadline := time.After(timeout)
	for {
		select {
		case <-done:
			return false
		case <-deadline:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Fatalf("%s did not reach the kill point in %v", cmd.Path, timeout)
		default:
		}
		if ready() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			return true
		}
		time.Sleep(time.Millisecond)
	}
}

// hasFileMatching reports whether dir contains a file whose name contains
// sub.
func hasFileMatching(dir, sub string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), sub) {
			return true
		}
	}
	return false
}

// leftovers lists the names in dir other than keep.
func leftovers(dir string, keep ...string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		found := false
		for _, k := range keep {
			found = found || e.Name() == k
		}
		if !found {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestExportKilledMidWrite kills `viewer export` with SIGKILL while its
// temporary output file exists, for each format, and checks that nothing
// sits under the final name and that the same export then succeeds.
func TestExportKilledMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: runs the viewer for several seconds")
	}
	if suite.ortErr != "" {
		t.Skipf("ONNX Runtime does not start with the test model set (run `make deps`): %s", suite.ortErr)
	}
	for _, ext := range []string{".tif", ".gpkg", ".geojson", ".kml"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "zoning"+ext)
			// 150 m cells over the 2560 m scene: 18 x 18 cells, so the
			// write lasts long enough to be caught.
			args := []string{"export", "--scene", filepath.Join(suite.bad, "raster", "scene.tif"), "--out", out,
				"--models", suite.testset, "--provider", "cpu", "--grid", "150"}

			killed := 0
			for attempt := 0; attempt < 5 && killed == 0; attempt++ {
				cmd, _, stderr, err := command(runOptions{}, args...)
				if err != nil {
					t.Fatal(err)
				}
				if killWhen(t, cmd, caseTimeout, func() bool { return hasFileMatching(dir, ".partial") }) {
					killed++
				}
				checkNoHalfFile(t, out, stderr.String())
			}
			if killed == 0 {
				t.Skipf("the export finished 5 times before its temporary file was seen; nothing to check")
			}
			t.Logf("after the kill %s contains %v", dir, leftovers(dir))

			r := run(runOptions{}, args...)
			if r.status != 0 || len(crashProblems(r)) > 0 {
				logResult(t, args, r)
				t.Fatalf("export after the kill: exit %d, %v", r.status, crashProblems(r))
			}
			checkExportOpens(t, out)
		})
	}
}

// checkNoHalfFile fails when out exists but cannot be read back: a kill
// may land after the rename (then the file must be whole), never before.
func checkNoHalfFile(t *testing.T, out, stderr string) {
	t.Helper()
	if _, err := os.Stat(out); errors.Is(err, fs.ErrNotExist) {
		return
	}
	checkExportOpens(t, out)
	if t.Failed() {
		t.Logf("stderr of the killed export:\n%s", trim(stderr, 2000))
	}
}

// checkExportOpens opens an export with GDAL (raster or vector, by
// extension) and fails when it cannot be read whole.
func checkExportOpens(t *testing.T, path string) {
	t.Helper()
	godal.RegisterAll()
	switch filepath.Ext(path) {
	case ".tif":
		ds, err := geodata.Open(path)
		if err != nil {
			t.Errorf("%s exists but does not open: %v", path, err)
			return
		}
		defer ds.Close()
		info := ds.Info()
		if _, err := ds.ReadWindow(geodata.Window{Width: info.Width, Height: info.Height}, info.Width, info.Height, []int{1}); err != nil {
			t.Errorf("%s exists but its pixels cannot be read: %v", path, err)
		}
	case ".gpkg", ".geojson", ".kml":
		ds, err := godal.Open(path, godal.VectorOnly())
		if err != nil {
			t.Errorf("%s exists but does not open: %v", path, err)
			return
		}
		defer ds.Close()
		layers := ds.Layers()
		if len(layers) == 0 {
			t.Errorf("%s has no layer", path)
			return
		}
		if n, err := layers[0].FeatureCount(); err != nil || n == 0 {
			t.Errorf("%s: layer %s has %d features (%v)", path, layers[0].Name(), n, err)
		}
	}
}

// overviewChildEnv names the raster when the test binary runs as the
// overview-building child of TestOverviewBuildKilled.
const overviewChildEnv = "DOWNTHERE_E2E_OVERVIEW_CHILD"

// TestOverviewBuildKilled kills a process building overviews with SIGKILL
// part-way and checks that no .ovr file sits under the final name, that
// the raster is unchanged and that a new build then succeeds.
func TestOverviewBuildKilled(t *testing.T) {
	if path := os.Getenv(overviewChildEnv); path != "" {
		buildOverviewsChild(path)
		return
	}
	if testing.Short() {
		t.Skip("skipped with -short: builds overviews of an 8192 x 8192 raster")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "big.tif")
	writeConstantRaster(t, path, 8192, 8192)
	before := fileSHA256(t, path)

	cmd := exec.Command(os.Args[0], "-test.run=^TestOverviewBuildKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), overviewChildEnv+"="+path)
	var stdout syncBuffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stdout
	progress := regexp.MustCompile(`OVERVIEW-PROGRESS (\S+)`)
	killed := killWhen(t, cmd, caseTimeout, func() bool {
		m := progress.FindAllStringSubmatch(stdout.String(), -1)
		if len(m) == 0 {
			return false
		}
		f, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
		return f >= 0.3
	})
	if !killed {
		t.Fatalf("the overview build ended before it was killed:\n%s", stdout.String())
	}

	if _, err := os.Stat(geodata.OverviewPath(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s exists after the build was killed (stat: %v)", geodata.OverviewPath(path), err)
	}
	if after := fileSHA256(t, path); after != before {
		t.Errorf("the raster changed while its overviews were built and killed")
	}
	t.Logf("after the kill %s contains %v", dir, leftovers(dir))

	if err := geodata.BuildOverviews(context.Background(), path, geodata.OverviewOptions{}); err != nil {
		t.Fatalf("build after the kill: %v", err)
	}
	ds, err := geodata.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if n := len(ds.Info().Bands[0].Overviews); n == 0 {
		t.Errorf("no overviews after the second build")
	}
}

// buildOverviewsChild builds the overviews of path, printing the progress
// for the parent, and exits.
func buildOverviewsChild(path string) {
	err := geodata.BuildOverviews(context.Background(), path, geodata.OverviewOptions{Progress: func(f float64) {
		fmt.Printf("OVERVIEW-PROGRESS %.3f\n", f)
	}})
	fmt.Println("OVERVIEW-FINISHED", err)
	os.Exit(0)
}

// writeConstantRaster writes a width x height three-band Byte GeoTIFF in
// UTM 33N, tiled and DEFLATE-compressed, filled with one value.
func writeConstantRaster(t *testing.T, path string, width, height int) {
	t.Helper()
	godal.RegisterAll()
	ds, err := godal.Create(godal.GTiff, path, 3, godal.Byte, width, height,
		godal.CreationOption("TILED=YES", "COMPRESS=DEFLATE"))
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
	if err := ds.SetGeoTransform([6]float64{500000, 1, 0, 5000000 + float64(height), 0, -1}); err != nil {
		t.Fatal(err)
	}

	for _, b := range ds.Bands() {
		if err := b.Fill(100, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(data))
}

// checkpointHead mirrors the run state that training stores first in its
// checkpoint.gob. Gob matches fields by name and skips the others.
type checkpointHead struct {
	State struct {
		Phase        string
		EncoderSteps int
		GANSteps     int
	}
}

func readCheckpointHead(path string) (checkpointHead, error) {
	var ck checkpointHead
	f, err := os.Open(path)
	if err != nil {
		return ck, err
	}
	defer f.Close()
	err = gob.NewDecoder(bufio.NewReader(f)).Decode(&ck)
	return ck, err
}

// TestTrainKilledDuringCheckpoint kills `viewer train` with SIGKILL while
// it writes a checkpoint in the GAN phase, then checks that the
// checkpoint under the final name is whole and that the same command
// resumes at the step after it, on small synthetic data.
func TestTrainKilledDuringCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: runs the viewer for several seconds")
	}
	if !suite.subcommands["train"] {
		t.Skip("viewer train is not in this build")
	}
	if suite.ortErr != "" {
		t.Skipf("ONNX Runtime does not start (run `make deps`): %s", suite.ortErr)
	}
	dir := t.TempDir()
	writeTrainingData(t, filepath.Join(dir, "data"), 2)
	config := writeTinyConfig(t, dir, func(m map[string]any) { m["gan_epochs"] = 400 })
	runDir := filepath.Join(dir, "run")
	ckPath := filepath.Join(runDir, "checkpoint.gob")

	args := []string{"train", "--config", config, "--log-every", "1"}
	cmd, _, stderr, err := command(runOptions{}, args...)
	if err != nil {
		t.Fatal(err)
	}
	killed := killWhen(t, cmd, 5*time.Minute, func() bool {
		if !hasFileMatching(runDir, "checkpoint.gob.") { // the temporary file of a checkpoint being written
			return false
		}
		ck, err := readCheckpointHead(ckPath)
		return err == nil && ck.State.GANSteps >= 2
	})
	if !killed {
		t.Fatalf("training ended before it was killed:\n%s", trim(stderr.String(), 3000))
	}

	ck, err := readCheckpointHead(ckPath)
	if err != nil {
		t.Fatalf("%s unreadable after the kill: %v\nstderr:\n%s", ckPath, err, trim(stderr.String(), 3000))
	}
	t.Logf("killed during a checkpoint write after GAN step %d; run folder contains %v", ck.State.GANSteps, leftovers(runDir))

	resume := []string{"train", "--config", config, "--log-every", "1", "--max-steps", "2"}
	r := run(runOptions{timeout: 5 * time.Minute}, resume...)
	if r.status != 0 || len(crashProblems(r)) > 0 {
		logResult(t, resume, r)
		t.Fatalf("resume: exit %d, %v", r.status, crashProblems(r))
	}
	first := firstGANStep(r.stderr)
	if first != ck.State.GANSteps+1 {
		logResult(t, resume, r)
		t.Errorf("resumed at GAN step %d, want %d (one after the checkpoint)", first, ck.State.GANSteps+1)
	}
	checkLossLog(t, filepath.Join(runDir, "gan-losses.csv"), ck.State.GANSteps+2)
}

// ganStepLine matches a GAN progress line of viewer train:
// "15:04:05 gan        epoch 1/400 step 3/2000 ...".
var ganStepLine = regexp.MustCompile(`(?m)^\S+ gan\s+epoch \d+/\d+ step (\d+)/`)

// firstGANStep returns the first GAN step that stderr reports, or -1.
func firstGANStep(stderr string) int {
	m := ganStepLine.FindStringSubmatch(stderr)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// checkLossLog checks that the GAN loss log has one row per step 1..steps,
// in order: a kill must not leave a torn or repeated row.
func checkLossLog(t *testing.T, path string, steps int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for i, line := range lines[1:] {
		fields := strings.Split(line, ",")
		if step, err := strconv.Atoi(fields[0]); err != nil || step != i+1 || len(fields) != len(strings.Split(lines[0], ",")) {
			t.Errorf("%s row %d is %q, want step %d with %d fields", path, i+1, line, i+1, len(strings.Split(lines[0], ",")))
		}
	}
	if len(lines)-1 != steps {
		t.Errorf("%s has %d rows, want %d", path, len(lines)-1, steps)
	}
}

// syncBuffer is a bytes.Buffer that a process can write while a test
// reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
