package inference

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// testRuntime is the environment all tests share, and runtimeErr is the
// error that left it nil.
var (
	testRuntime *Runtime
	runtimeErr  error
)

func TestMain(m *testing.M) {
	// Init sets the variable only when it is empty; clear it so that the
	// test can see Init set it. Nothing in these tests uses GoMLX.
	os.Unsetenv(EnvGoMLXLibrary)

	testRuntime, runtimeErr = Init(LibraryOptions{})
	if runtimeErr != nil && os.Getenv(EnvLibrary) != "" {
		fmt.Fprintf(os.Stderr, "inference tests: $%s is set but ONNX Runtime did not start: %v\n", EnvLibrary, runtimeErr)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 && testRuntime != nil {
		code = checkShutdown()
	}
	os.Exit(code)
}

// checkShutdown shuts the environment down twice and checks that Init then
// refuses to start again.
func checkShutdown() int {
	for i := range 2 {
		if err := Shutdown(); err != nil {
			fmt.Fprintf(os.Stderr, "Shutdown call %d: %v\n", i+1, err)
			return 1
		}
	}
	if _, err := Init(LibraryOptions{}); !errors.Is(err, ErrShutDown) {
		fmt.Fprintf(os.Stderr, "Init after Shutdown returned %v, want ErrShutDown\n", err)
		return 1
	}
	return 0
}

// needRuntime skips a test when no ONNX Runtime library was found and none
// was asked for with $DOWNTHERE_ORT_LIB (with it set, TestMain fails).
func needRuntime(t testing.TB) *Runtime {
	t.Helper()
	if testRuntime == nil {
		t.Skipf("ONNX Runtime %s not found (run `make deps`): %v", RequiredVersion, runtimeErr)
	}
	return testRuntime
}

// testSetInfo describes the committed test model set.
func testSetInfo() SetInfo {
	return SetInfo{FS: os.DirFS("testdata"), Dir: "testset", Source: "testdata/testset"}
}

// loadTestSet loads the committed test set with opts and closes it when the
// test ends.
func loadTestSet(t testing.TB, opts Options) *ModelSet {
	t.Helper()
	reg := NewRegistry(needRuntime(t), opts)
	ms, err := reg.Load(context.Background(), testSetInfo())
	if err != nil {
		t.Fatalf("load test set: %v", err)
	}
	t.Cleanup(func() { ms.Close() })
	return ms
}

// copyTestSet copies the committed test set into a new temporary folder
// and returns its path.
func copyTestSet(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("testdata", "testset")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testPatches returns count deterministic encoder inputs.
func testPatches(ms *ModelSet, count int) [][]float32 {
	p := ms.PatchSize()
	patches := make([][]float32, count)
	for i := range patches {
		rgb := make([]uint8, 3*p*p)
		for j := range rgb {
			rgb[j] = uint8((j*7 + i*31) % 256)
		}
		patch, err := ms.PatchFromRGB(rgb)
		if err != nil {
			panic(err)
		}
		patches[i] = patch
	}
	return patches
}

// editManifest decodes the JSON manifest or set.json file name in dir,
// lets edit change it and writes it back.
func editManifest(t testing.TB, dir, name string, edit func(m map[string]any)) {
	t.Helper()
	file := filepath.Join(dir, name)
	data, err := os.ReadFile(file)
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
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rehash writes the sha256 of model file model in dir into its manifest.
func rehash(t testing.TB, dir, model string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, model))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	editManifest(t, dir, model+".json", func(m map[string]any) { m["sha256"] = hex.EncodeToString(sum[:]) })
}
