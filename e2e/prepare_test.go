package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/downthere/downthere/training"
)

// copyTestSet copies the valid test model set into dir/set and returns
// that folder.
func copyTestSet(t *testing.T, dir string) string {
	t.Helper()
	set := filepath.Join(dir, "set")
	if err := os.MkdirAll(set, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(suite.testset)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := copyFile(filepath.Join(set, e.Name()), filepath.Join(suite.testset, e.Name()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return set
}

// editJSON decodes the JSON file at path, lets edit change it and writes
// it back.
func editJSON(t *testing.T, path string, edit func(m map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if data, err = json.MarshalIndent(m, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rehash stores the sha256 of set/model in its manifest, so that a model
// broken on purpose passes the checksum and fails later.
func rehash(t *testing.T, set, model string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(set, model))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	editJSON(t, filepath.Join(set, model+".json"), func(m map[string]any) { m["sha256"] = hex.EncodeToString(sum[:]) })
}

// brokenSet returns a prepare function that copies the test set into
// {dir}/set and lets breakSet damage it.
func brokenSet(breakSet func(t *testing.T, set string)) func(*testing.T, *caseRun) {
	return func(t *testing.T, c *caseRun) {
		breakSet(t, copyTestSet(t, c.dir))
	}
}

func appendByte(t *testing.T, path string) { appendText(t, path, "\x00") }

func appendText(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func truncateFile(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

// oldRuntime compiles inference/testdata/oldort/oldort.c, a library that
// reports ONNX Runtime 1.16.3 and offers no C API the binding needs, into
// {dir}/libonnxruntime.so.1.
func oldRuntime(t *testing.T, c *caseRun) {
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("no C compiler (%s) to build the old ONNX Runtime stand-in: %v", cc, err)
	}
	out := filepath.Join(c.dir, "libonnxruntime.so.1")
	src := filepath.Join(suite.root, "inference", "testdata", "oldort", "oldort.c")
	if msg, err := exec.Command(cc, "-shared", "-fPIC", "-o", out, src).CombinedOutput(); err != nil {
		t.Fatalf("compile %s: %v\n%s", src, err, msg)
	}
}

// binaryAlone copies the viewer into {dir}, runs it from there and drops
// every variable that points at ONNX Runtime, so the library search
// finds nothing: not beside the binary, not in a project folder above
// {dir}, not through $DOWNTHERE_ORT_LIB.
func binaryAlone(t *testing.T, c *caseRun) {
	bin := filepath.Join(c.dir, "viewer")
	if err := copyFile(bin, suite.viewer, 0o755); err != nil {
		t.Fatal(err)
	}
	for dir := c.dir; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		for _, marker := range []string{"go.mod", ".deps"} {
			if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
				t.Skipf("%s contains %s, so the library search would find a project folder", dir, marker)
			}
		}
	}
	if out, err := exec.Command("/sbin/ldconfig", "-p").Output(); err == nil && strings.Contains(string(out), "libonnxruntime.so") {
		t.Skip("the system library path has libonnxruntime.so, so the library search would find it")
	}
	c.opts.viewer = bin
	c.opts.dir = c.dir
	c.opts.unset = append(c.opts.unset, "DOWNTHERE_ORT_LIB", "ONNXRUNTIME_SHARED_LIBRARY_PATH", "LD_LIBRARY_PATH")
}

// readOnlyDir makes {dir}/ro a folder that the viewer cannot write:
// a read-only tmpfs mount when running as root (root ignores permission
// bits), else a folder with mode 0555. It skips when neither works.
func readOnlyDir(t *testing.T, c *caseRun) {
	ro := filepath.Join(c.dir, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		if err := os.Chmod(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(ro, 0o755) })
		return
	}
	mountTmpfs(t, ro, "ro,size=64k")
}

// fullDir returns a prepare function that makes {dir}/full a 48 KiB tmpfs
// with freePages 4 KiB pages left, so that writing there fails with
// ENOSPC. With 2 pages left a small GeoTIFF and its .aux.xml still fit and
// the provenance record does not. It skips where tmpfs cannot be mounted
// (mounting needs root or CAP_SYS_ADMIN).
func fullDir(freePages int) func(*testing.T, *caseRun) {
	return func(t *testing.T, c *caseRun) {
		full := filepath.Join(c.dir, "full")
		if err := os.Mkdir(full, 0o755); err != nil {
			t.Fatal(err)
		}
		mountTmpfs(t, full, "size=48k")
		filler := (12 - freePages) * 4096
		if err := os.WriteFile(filepath.Join(full, "filler"), make([]byte, filler), 0o644); err != nil {
			t.Fatalf("fill %s: %v", full, err)
		}
	}
}

// mountTmpfs mounts a tmpfs with options on dir and unmounts it when the
// test ends.
func mountTmpfs(t *testing.T, dir, options string) {
	t.Helper()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, options); err != nil {
		t.Skipf("cannot mount a tmpfs on %s (needs root or CAP_SYS_ADMIN): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// copyTrainConfig copies {bad}/train/name into {dir}, so that any run
// folder a config names is created under {dir}.
func copyTrainConfig(name string) func(*testing.T, *caseRun) {
	return func(t *testing.T, c *caseRun) {
		if err := copyFile(filepath.Join(c.dir, name), filepath.Join(suite.bad, "train", name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// trainingData returns a prepare function that writes a small synthetic
// data folder and a tiny training config to {dir}/data and
// {dir}/config.json, then lets damage break something in it.
func trainingData(damage func(t *testing.T, dir string)) func(*testing.T, *caseRun) {
	return func(t *testing.T, c *caseRun) {
		writeTrainingData(t, filepath.Join(c.dir, "data"), 2)
		writeTinyConfig(t, c.dir, nil)
		if damage != nil {
			damage(t, c.dir)
		}
	}
}

// writeTrainingData writes perClass synthetic 48 x 48 JPEGs into every
// folder that the UC Merced setting reads: ucmerced/<class>,
// intel_scenes/{train,test}/<class> and flickr_landscapes/<class>.
func writeTrainingData(t testing.TB, dataDir string, perClass int) {
	t.Helper()
	var folders []string
	for _, c := range training.UCMercedClasses {
		folders = append(folders, filepath.Join("ucmerced", c.Name))
	}
	for _, g := range training.GroundClasses {
		for _, name := range g.Intel {
			folders = append(folders, filepath.Join("intel_scenes", "train", name), filepath.Join("intel_scenes", "test", name))
		}
		for _, name := range g.Flickr {
			folders = append(folders, filepath.Join("flickr_landscapes", name))
		}
	}
	for i, folder := range folders {
		dir := filepath.Join(dataDir, folder)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for k := range perClass {
			writeJPEG(t, filepath.Join(dir, fmt.Sprintf("%02d.jpg", k)), i*7+k)
		}
	}
}

// writeJPEG writes a 48 x 48 JPEG with a pattern chosen by seed.
func writeJPEG(t testing.TB, path string, seed int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 48))
	for y := range 48 {
		for x := range 48 {
			img.Set(x, y, color.RGBA{uint8(x*5 + seed*17), uint8(y*5 + seed*29), uint8((x+y)*3 + seed*41), 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
}

// writeTinyConfig writes dir/config.json: a run of a few small steps on
// dir/data with its run, cache and export folders under dir. edit may
// change the fields before they are written.
func writeTinyConfig(t testing.TB, dir string, edit func(m map[string]any)) string {
	t.Helper()
	cfg := map[string]any{
		"name": "tiny", "setting": "ucmerced",
		"data_dir": "data", "run_dir": "run", "cache_dir": "cache", "export_dir": "export",
		"max_per_class": 2, "patch_size": 32,
		"arch":       map[string]any{"base_width": 8, "encoder_width": 8, "condition_projection": 8},
		"batch_size": 8, "encoder_epochs": 1, "gan_epochs": 2, "classifier_steps": 5,
		"checkpoint_every_steps": 1, "export_batch": 4,
	}
	if edit != nil {
		edit(cfg)
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
