package inference

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/downthere/downthere/models"
)

func TestLoadTestSet(t *testing.T) {
	ms := loadTestSet(t, Options{ProviderOptions: ProviderOptions{Provider: ProviderCPU}, MaxBatch: 8})

	if ms.Name() != "testset" {
		t.Errorf("name %q, want testset", ms.Name())
	}
	checks := []struct {
		name      string
		got, want int
	}{
		{"patch size", ms.PatchSize(), 32},
		{"condition size", ms.ConditionSize(), 100},
		{"noise size", ms.NoiseSize(), 100},
		{"feature size", ms.FeatureSize(), 64},
		{"classes", len(ms.Classes()), 2},
		{"encoder batch", ms.BatchSize(models.RoleEncoder), 4},
		{"generator batch", ms.BatchSize(models.RoleGenerator), 4},
		{"classifier batch (dynamic, MaxBatch)", ms.BatchSize(models.RoleClassifier), 8},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if c, h, w := ms.ImageShape(); c != 3 || h != 64 || w != 64 {
		t.Errorf("image shape %dx%dx%d, want 3x64x64", c, h, w)
	}
	if got := ms.Provider(); got.Active != ProviderCPU || got.Reason != "" {
		t.Errorf("provider status %+v, want cpu without a reason", got)
	}
}

func TestFolderSet(t *testing.T) {
	needRuntime(t)
	dir := copyTestSet(t)

	info, err := FolderSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Source != dir || info.Spec.Name != "testset" {
		t.Errorf("info %+v, want source %s and name testset", info, dir)
	}
	reg := NewRegistry(testRuntime, Options{})
	ms, err := reg.Load(context.Background(), info)
	if err != nil {
		t.Fatal(err)
	}
	ms.Close()
}

func TestLoadBrokenSet(t *testing.T) {
	needRuntime(t)
	tests := []struct {
		name    string
		break_  func(t *testing.T, dir string)
		want    []string // every string must be in the error
		invalid bool     // the error wraps models.ErrInvalid
	}{
		{
			name: "manifest shape differs from model",
			break_: func(t *testing.T, dir string) {
				editManifest(t, dir, "generator.onnx.json", func(m map[string]any) {
					m["inputs"].([]any)[1].(map[string]any)["shape"] = []int{4, 128}
				})
			},
			want: []string{"model file testset/generator.onnx does not match its manifest testset/generator.onnx.json",
				`input "noise" has shape [4 100] in the model but [4 128] in the manifest`},
			invalid: true,
		},
		{
			name: "dynamic batch in manifest only",
			break_: func(t *testing.T, dir string) {
				editManifest(t, dir, "encoder.onnx.json", func(m map[string]any) {
					m["inputs"].([]any)[0].(map[string]any)["shape"] = []int{-1, 3, 32, 32}
					m["outputs"].([]any)[0].(map[string]any)["shape"] = []int{-1, 100}
				})
			},
			want:    []string{"model file testset/encoder.onnx does not match", `input "patch" has shape [4 3 32 32] in the model but [-1 3 32 32] in the manifest`},
			invalid: true,
		},
		{
			name:   "model file missing",
			break_: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "encoder.onnx")) },
			want:   []string{"model file testset/encoder.onnx (named by testset/encoder.onnx.json)", "no such file"},
		},
		{
			name: "checksum mismatch",
			break_: func(t *testing.T, dir string) {
				file := filepath.Join(dir, "classifier.onnx")
				data, _ := os.ReadFile(file)
				data[len(data)-1] ^= 0xff
				os.WriteFile(file, data, 0o644)
			},
			want: []string{"model file testset/classifier.onnx: sha256 is", "but its manifest testset/classifier.onnx.json expects 179709721fd3a9a9"},
		},
		{
			name: "truncated model with a matching checksum",
			break_: func(t *testing.T, dir string) {
				file := filepath.Join(dir, "generator.onnx")
				data, _ := os.ReadFile(file)
				os.WriteFile(file, data[:len(data)/2], 0o644)
				rehash(t, dir, "generator.onnx")
			},
			want: []string{"model file testset/generator.onnx cannot be opened by ONNX Runtime (damaged, truncated or not an ONNX model; re-export it)"},
		},
		{
			name: "wrong input name",
			break_: func(t *testing.T, dir string) {
				editManifest(t, dir, "encoder.onnx.json", func(m map[string]any) {
					m["inputs"].([]any)[0].(map[string]any)["name"] = "overhead"
				})
			},
			want:    []string{"model manifest testset/encoder.onnx.json (encoder)", `no input "patch"`},
			invalid: true,
		},
		{
			name: "class count differs from probabilities",
			break_: func(t *testing.T, dir string) {
				editManifest(t, dir, "classifier.onnx.json", func(m map[string]any) {
					m["classes"] = append(m["classes"].([]any), map[string]any{"name": "water", "color": "#2b83ba"})
				})
			},
			want:    []string{`classifier output "probs" has 2 values per item but the manifest lists 3 classes`},
			invalid: true,
		},
		{
			name: "patch size differs from encoder input",
			break_: func(t *testing.T, dir string) {
				editManifest(t, dir, "encoder.onnx.json", func(m map[string]any) { m["patch_size"] = 64 })
			},
			want:    []string{`encoder input "patch" is [3 32 32] per item, want [3 64 64] from its patch_size`},
			invalid: true,
		},
		{
			name: "encoder normalization with two entries",
			break_: func(t *testing.T, dir string) {
				editManifest(t, dir, "encoder.onnx.json", func(m map[string]any) {
					m["normalization"] = map[string]any{"mean": []float64{0.5, 0.5}, "std": []float64{0.2, 0.2}}
				})
			},
			want:    []string{"encoder normalization has 2 entries, want 3 (one per channel) or 1"},
			invalid: true,
		},
		{
			name:   "set.json missing",
			break_: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "set.json")) },
			want:   []string{"read model set testset/set.json", "no such file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "testset")
			os.Rename(copyTestSet(t), dir)
			tt.break_(t, dir)

			reg := NewRegistry(testRuntime, Options{})
			ms, err := reg.Load(context.Background(), SetInfo{FS: os.DirFS(root), Dir: "testset", Source: dir})
			if err == nil {
				ms.Close()
				t.Fatal("broken set loaded without error")
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), "load model set from "+dir) {
				t.Errorf("error does not name the set folder %s", dir)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q", want)
				}
			}
			if tt.invalid && !errors.Is(err, models.ErrInvalid) {
				t.Errorf("error does not wrap models.ErrInvalid")
			}
		})
	}
}

func TestShippedSets(t *testing.T) {
	rt := needRuntime(t)
	infos, err := ShippedSets()
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) == 0 {
		_, err := ClosestShippedSet(30)
		if err == nil || !strings.Contains(err.Error(), "make models") {
			t.Errorf("ClosestShippedSet with no sets: error %v, want one naming `make models`", err)
		}
		t.Skip("no shipped model set in models/sets yet")
	}
	reg := NewRegistry(rt, Options{})
	defer reg.Close()
	for _, info := range infos {
		ms, err := reg.Load(context.Background(), info)
		if err != nil {
			t.Errorf("shipped set %s: %v", info.Source, err)
			continue
		}
		ms.Close()
	}
}

func TestSwapWhileCalling(t *testing.T) {
	rt := needRuntime(t)
	reg := NewRegistry(rt, Options{ProviderOptions: ProviderOptions{Provider: ProviderCPU}})
	defer reg.Close()
	engine := NewEngine(reg)
	ctx := context.Background()

	first, err := reg.Load(ctx, testSetInfo())
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Swap(first); err != nil {
		t.Fatal(err)
	}
	condition := make([]float32, first.ConditionSize())
	want, err := engine.Generate(ctx, condition, 5, 7)
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := engine.Generate(ctx, condition, 5, 7)
				if err != nil {
					errs <- err
					return
				}
				if !equalViews(got, want) {
					errs <- errors.New("views differ after a swap")
					return
				}
			}
		})
	}

	var swappedOut []*ModelSet
	previous := first
	for range 5 {
		next, err := reg.Load(ctx, testSetInfo())
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.Swap(next); err != nil {
			t.Fatal(err)
		}
		swappedOut = append(swappedOut, previous)
		previous = next
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	for i, ms := range swappedOut {
		if err := ms.acquire(); err == nil {
			t.Errorf("set %d is still open after it was swapped out and its calls ended", i)
			ms.release()
		}
	}
	if reg.Active() != previous {
		t.Error("the last set swapped in is not active")
	}
}

func TestModelSetCloseWaitsForCalls(t *testing.T) {
	ms := loadTestSet(t, Options{})
	if err := ms.acquire(); err != nil {
		t.Fatal(err)
	}

	if err := ms.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ms.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// The reference taken above keeps the sessions open.
	if _, err := ms.Encode(context.Background(), testPatches(ms, 2)); err != nil {
		t.Errorf("encode while a reference is held: %v", err)
	}
	ms.release()
	if _, err := ms.Encode(context.Background(), testPatches(ms, 2)); !errors.Is(err, errClosed) {
		t.Errorf("encode after the last reference: error %v, want errClosed", err)
	}
}

func TestRegistryWithoutSet(t *testing.T) {
	rt := needRuntime(t)
	reg := NewRegistry(rt, Options{})
	engine := NewEngine(reg)

	if _, err := engine.Classify(context.Background(), nil); !errors.Is(err, ErrNoModelSet) {
		t.Errorf("call before a set was loaded: error %v, want ErrNoModelSet", err)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := reg.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := reg.Swap(nil); err == nil {
		t.Error("Swap after Close succeeded")
	}
}

func equalViews(a, b [][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func TestClosestShippedSetByRatio(t *testing.T) {
	infos, err := ShippedSets()
	if err != nil || len(infos) < 2 {
		t.Skipf("needs the two shipped sets: %d found, error %v", len(infos), err)
	}
	tests := []struct {
		resM float64
		want string
	}{
		{0.05, "ucmerced-1.2m"},
		{1.2, "ucmerced-1.2m"},
		{5, "ucmerced-1.2m"},
		{10, "olinda-landsat-30m"},
		{28.5, "olinda-landsat-30m"},
		{100, "olinda-landsat-30m"},
	}
	for _, tc := range tests {
		info, err := ClosestShippedSet(tc.resM)
		if err != nil {
			t.Fatal(err)
		}
		if info.Spec.Name != tc.want {
			t.Errorf("ClosestShippedSet(%g) = %s, want %s", tc.resM, info.Spec.Name, tc.want)
		}
	}
}
