package inference

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/downthere/downthere/models"
)

// cpuOptions runs the test set on CPU with a small dynamic batch, so that
// the classifier runs several batches with few items.
var cpuOptions = Options{ProviderOptions: ProviderOptions{Provider: ProviderCPU}, MaxBatch: 8}

// testCondition returns the condition of the first test patch.
func testCondition(t *testing.T, ms *ModelSet) []float32 {
	t.Helper()
	conditions, err := ms.Encode(context.Background(), testPatches(ms, 1))
	if err != nil {
		t.Fatal(err)
	}
	return conditions[0]
}

func TestGenerateSameSeedSameViews(t *testing.T) {
	ms := loadTestSet(t, cpuOptions)
	ctx := context.Background()
	condition := testCondition(t, ms)

	first, err := ms.Generate(ctx, condition, 6, 42)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ms.Generate(ctx, condition, 6, 42)
	if err != nil {
		t.Fatal(err)
	}
	if !equalViews(first, second) {
		t.Error("two calls with seed 42 gave different views")
	}

	other, err := ms.Generate(ctx, condition, 6, 43)
	if err != nil {
		t.Fatal(err)
	}
	for i := range other {
		if equalViews(other[i:i+1], first[i:i+1]) {
			t.Errorf("view %d is the same for seeds 42 and 43", i)
		}
	}

	fewer, err := ms.Generate(ctx, condition, 4, 42)
	if err != nil {
		t.Fatal(err)
	}
	if !equalViews(fewer, first[:4]) {
		t.Error("the first 4 of 6 views differ from a call for 4 views with the same seed")
	}
	for i := 1; i < len(first); i++ {
		if equalViews(first[i:i+1], first[:1]) {
			t.Errorf("view %d equals view 0", i)
		}
	}

	for _, r := range [][2]int{{0, 6}, {2, 4}, {5, 1}, {3, 0}} {
		part, err := ms.GenerateRange(ctx, condition, r[0], r[1], 42, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !equalViews(part, first[r[0]:r[0]+r[1]]) {
			t.Errorf("GenerateRange(%d, %d) differs from views %d to %d of Generate", r[0], r[1], r[0], r[0]+r[1]-1)
		}
	}
	if _, err := ms.GenerateRange(ctx, condition, -1, 2, 42, 1); err == nil {
		t.Error("GenerateRange accepted a negative first view")
	}
}

func TestGenerateRangeNoiseFactor(t *testing.T) {
	ms := loadTestSet(t, cpuOptions)
	ctx := context.Background()
	condition := testCondition(t, ms)

	plain, err := ms.Generate(ctx, condition, 4, 42)
	if err != nil {
		t.Fatal(err)
	}

	same, err := ms.GenerateRange(ctx, condition, 0, 4, 42, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !equalViews(same, plain) {
		t.Error("factor 1 gave other views than Generate")
	}

	half, err := ms.GenerateRange(ctx, condition, 0, 4, 42, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if equalViews(half, plain) {
		t.Error("factor 0.5 gave the views of factor 1")
	}

	// Without noise every view is the condition's one noiseless view.
	zero, err := ms.GenerateRange(ctx, condition, 0, 4, 42, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(zero); i++ {
		if !equalViews(zero[i:i+1], zero[:1]) {
			t.Errorf("factor 0: view %d differs from view 0", i)
		}
	}

	for _, f := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := ms.GenerateRange(ctx, condition, 0, 1, 42, f); err == nil || !strings.Contains(err.Error(), "noise factor") {
			t.Errorf("factor %g: error %v, want one naming the noise factor", f, err)
		}
	}
}

func TestGenerateViewsInRange(t *testing.T) {
	ms := loadTestSet(t, cpuOptions)
	views, err := ms.Generate(context.Background(), make([]float32, ms.ConditionSize()), 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	c, h, w := ms.ImageShape()
	for i, v := range views {
		if len(v) != c*h*w {
			t.Fatalf("view %d has %d values, want %d", i, len(v), c*h*w)
		}
		lo, hi := minMax(v)
		t.Logf("view %d: values in [%.3f, %.3f]", i, lo, hi)
		if lo < -1 || hi > 1 || lo == hi {
			t.Errorf("view %d: values in [%g, %g], want a spread inside [-1, 1]", i, lo, hi)
		}
	}
}

func minMax(v []float32) (float32, float32) {
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// TestBatchingCounts checks that every item gets the result it gets when
// run alone, for counts around the batch size: fixed batch 4 (encoder,
// generator, discriminator) and dynamic batch 8 (classifier).
func TestBatchingCounts(t *testing.T) {
	ms := loadTestSet(t, cpuOptions)
	ctx := context.Background()

	for _, count := range []int{1, 3, 4, 5, 8, 9, 17} {
		t.Run(fmt.Sprintf("count %d", count), func(t *testing.T) {
			patches := testPatches(ms, count)
			conditions, err := ms.Encode(ctx, patches)
			if err != nil {
				t.Fatal(err)
			}
			images, err := ms.generate(ctx, conditions, seedsFrom(100, count), 0, 1, 1)
			if err != nil {
				t.Fatal(err)
			}
			features, err := ms.Features(ctx, images, conditions)
			if err != nil {
				t.Fatal(err)
			}
			probs, err := ms.Classify(ctx, features)
			if err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string][][]float32{"conditions": conditions, "images": images, "features": features, "probs": probs} {
				if len(got) != count {
					t.Errorf("%d %s for %d items", len(got), name, count)
				}
			}

			for i := range count {
				alone, err := ms.ClassifyPatches(ctx, patches[i:i+1], []int64{100 + int64(i)}, 1)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxDiff(alone[0], probs[i]); d > 1e-6 {
					t.Errorf("item %d: probabilities %v in a batch, %v alone (difference %g)", i, probs[i], alone[0], d)
				}
				if s := probs[i][0] + probs[i][1]; math.Abs(float64(s)-1) > 1e-5 {
					t.Errorf("item %d: probabilities sum to %g", i, s)
				}
			}
		})
	}
}

func seedsFrom(first int64, n int) []int64 {
	seeds := make([]int64, n)
	for i := range seeds {
		seeds[i] = first + int64(i)
	}
	return seeds
}

func maxDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func TestClassifyPatchesAveragesViews(t *testing.T) {
	ms := loadTestSet(t, cpuOptions)
	ctx := context.Background()
	patches := testPatches(ms, 3)
	seeds := []int64{11, 12, 13}

	got, err := ms.ClassifyPatches(ctx, patches, seeds, 3)
	if err != nil {
		t.Fatal(err)
	}

	conditions, err := ms.Encode(ctx, patches)
	if err != nil {
		t.Fatal(err)
	}
	for k := range patches {
		views, err := ms.Generate(ctx, conditions[k], 3, seeds[k])
		if err != nil {
			t.Fatal(err)
		}
		repeated := [][]float32{conditions[k], conditions[k], conditions[k]}
		features, err := ms.Features(ctx, views, repeated)
		if err != nil {
			t.Fatal(err)
		}
		probs, err := ms.Classify(ctx, features)
		if err != nil {
			t.Fatal(err)
		}
		want := averageViews(probs, 3)[0]
		if d := maxDiff(got[k], want); d > 1e-6 {
			t.Errorf("patch %d: %v, want %v (difference %g)", k, got[k], want, d)
		}
	}
}

func TestConcurrentCalls(t *testing.T) {
	rt := needRuntime(t)
	reg := NewRegistry(rt, Options{ProviderOptions: ProviderOptions{Provider: ProviderCPU}, Concurrency: 3})
	defer reg.Close()
	ms, err := reg.Load(context.Background(), testSetInfo())
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Swap(ms); err != nil {
		t.Fatal(err)
	}
	engine := NewEngine(reg)
	ctx := context.Background()
	patches := testPatches(ms, 5)

	const workers = 16
	want := make([][][]float32, workers)
	for w := range workers {
		if want[w], err = engine.ViewsForPatch(ctx, patches[w%len(patches)], 5, int64(w)); err != nil {
			t.Fatal(err)
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for range 4 {
				got, err := engine.ViewsForPatch(ctx, patches[w%len(patches)], 5, int64(w))
				if err != nil {
					errs <- fmt.Errorf("worker %d: %w", w, err)
					return
				}
				if !equalViews(got, want[w]) {
					errs <- fmt.Errorf("worker %d: views differ from a call made alone", w)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCallInputErrors(t *testing.T) {
	ms := loadTestSet(t, cpuOptions)
	ctx := context.Background()
	condition := make([]float32, ms.ConditionSize())

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{
			name: "patch too short",
			call: func() error { _, err := ms.Encode(ctx, [][]float32{make([]float32, 10)}); return err },
			want: "encode 1 patches: model file testset/encoder.onnx: patch 0 has 10 values, want 3072",
		},
		{
			name: "condition too long",
			call: func() error { _, err := ms.Generate(ctx, make([]float32, 101), 1, 0); return err },
			want: "generate: condition 0 has 101 values, want 100",
		},
		{
			name: "negative view count",
			call: func() error { _, err := ms.Generate(ctx, condition, -1, 0); return err },
			want: "generate: view count -1 is negative",
		},
		{
			name: "fewer conditions than images",
			call: func() error { _, err := ms.Features(ctx, make([][]float32, 2), nil); return err },
			want: "features: 2 images but 0 conditions",
		},
		{
			name: "fewer seeds than patches",
			call: func() error { _, err := ms.ClassifyPatches(ctx, testPatches(ms, 2), []int64{1}, 1); return err },
			want: "classify patches: 2 patches but 1 seeds",
		},
		{
			name: "zero views",
			call: func() error { _, err := ms.ClassifyPatches(ctx, testPatches(ms, 1), []int64{1}, 0); return err },
			want: "classify patches: views per patch is 0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestZeroItems(t *testing.T) {
	ms := loadTestSet(t, cpuOptions)
	views, err := ms.Generate(context.Background(), make([]float32, ms.ConditionSize()), 0, 1)
	if err != nil || len(views) != 0 {
		t.Errorf("Generate of 0 views = %d views, %v; want none and no error", len(views), err)
	}
	probs, err := ms.Classify(context.Background(), nil)
	if err != nil || len(probs) != 0 {
		t.Errorf("Classify of nothing = %d results, %v; want none and no error", len(probs), err)
	}
}

func TestCancelledContext(t *testing.T) {
	ms := loadTestSet(t, cpuOptions)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := ms.Generate(ctx, make([]float32, ms.ConditionSize()), 16, 1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	// The tensor sets are reusable after a cancelled call.
	if _, err := ms.Generate(context.Background(), make([]float32, ms.ConditionSize()), 16, 1); err != nil {
		t.Errorf("call after a cancelled one: %v", err)
	}
}

func TestFillNoise(t *testing.T) {
	// The first values for seed 1, view 0 are pinned so that a change of
	// the generator, which would change every saved result, fails here.
	head := make([]float32, 4)
	FillNoise(head, 1, 0)
	t.Logf("seed 1 view 0: %v", head)
	for i, want := range pinnedNoise {
		if head[i] != want {
			t.Errorf("value %d = %v, want %v", i, head[i], want)
		}
	}

	odd := make([]float32, 5)
	FillNoise(odd, 1, 0)
	if !equalViews([][]float32{odd[:4]}, [][]float32{head}) {
		t.Error("an odd length changes the first values")
	}

	const n = 200_000
	values := make([]float32, n)
	FillNoise(values, 2, 3)
	var sum, sumSq float64
	for _, v := range values {
		sum += float64(v)
		sumSq += float64(v) * float64(v)
	}
	mean := sum / n
	std := math.Sqrt(sumSq/n - mean*mean)
	if math.Abs(mean) > 0.01 || math.Abs(std-1) > 0.01 {
		t.Errorf("mean %.4f, standard deviation %.4f; want 0 and 1 within 0.01", mean, std)
	}
}

func TestPatchFromRGB(t *testing.T) {
	ms := loadTestSet(t, cpuOptions)
	p := ms.PatchSize()
	rgb := make([]uint8, 3*p*p)
	rgb[0], rgb[1], rgb[2] = 255, 0, 128 // first pixel

	patch, err := ms.PatchFromRGB(rgb)
	if err != nil {
		t.Fatal(err)
	}
	norm := ms.Manifest(models.RoleEncoder).Normalization
	plane := p * p
	for c, v := range []float32{1, 0, 128.0 / 255} {
		want := (v - norm.Mean[c]) / norm.Std[c]
		if d := math.Abs(float64(patch[c*plane] - want)); d > 1e-5 {
			t.Errorf("channel %d of the first pixel = %v, want %v", c, patch[c*plane], want)
		}
	}
	if _, err := ms.PatchFromRGB(rgb[:10]); err == nil {
		t.Error("a short patch gave no error")
	}
}

func TestImageToRGBA(t *testing.T) {
	view := make([]float32, 3*2*2)
	view[0] = -1 // red of (0,0)
	view[4] = 1  // green of (0,0)
	view[8] = 0  // blue of (0,0)
	view[1] = 3  // red of (1,0), clamped
	view[5] = -7 // green of (1,0), clamped
	img, err := ImageToRGBA(view, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		x, y       int
		r, g, b, a uint8
	}{
		{"in range", 0, 0, 0, 255, 128, 255},
		{"clamped", 1, 0, 255, 0, 128, 255},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := img.RGBAAt(tt.x, tt.y)
			if got.R != tt.r || got.G != tt.g || got.B != tt.b || got.A != tt.a {
				t.Errorf("pixel (%d,%d) = %v, want {%d %d %d %d}", tt.x, tt.y, got, tt.r, tt.g, tt.b, tt.a)
			}
		})
	}
	if _, err := ImageToRGBA(view, 3, 3); err == nil {
		t.Error("a view of the wrong size gave no error")
	}
}

// pinnedNoise is FillNoise(seed 1, view 0), first four values, as computed
// on linux/amd64 with Go 1.26.
var pinnedNoise = []float32{1.1443027, 0.71726996, 1.5677465, 0.23495978}

func TestCancelDuringRun(t *testing.T) {
	ms := loadTestSet(t, cpuOptions)
	condition := make([]float32, ms.ConditionSize())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)

	// 4000 views take well over a second on one core, so the cancel lands
	// during the call, in a batch or between two.
	_, err := ms.Generate(ctx, condition, 4000, 1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	views, err := ms.Generate(context.Background(), condition, 8, 1)
	if err != nil {
		t.Fatalf("call after a cancelled one: %v", err)
	}
	want, err := ms.Generate(context.Background(), condition, 8, 1)
	if err != nil || !equalViews(views, want) {
		t.Errorf("views after a cancelled call differ or failed: %v", err)
	}
}

func TestNoiseScale(t *testing.T) {
	needRuntime(t)
	tests := []struct {
		name   string
		config map[string]any // nil: no training config
		want   float64
	}{
		{name: "no config", want: 1},
		{name: "no noise_scale", config: map[string]any{"seed": 1}, want: 1},
		{name: "truncated", config: map[string]any{"noise_scale": 0.5}, want: 0.5},
		{name: "zero", config: map[string]any{"noise_scale": 0}, want: 1},
		{name: "above one, as written by hand", config: map[string]any{"noise_scale": 1.5}, want: 1.5},
		{name: "negative", config: map[string]any{"noise_scale": -0.5}, want: 1},
		{name: "not a number", config: map[string]any{"noise_scale": "half"}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyTestSet(t)
			if tt.config != nil {
				editManifest(t, dir, "generator.onnx.json", func(m map[string]any) {
					m["training"].(map[string]any)["config"] = tt.config
				})
			}
			info, err := FolderSet(dir)
			if err != nil {
				t.Fatal(err)
			}
			ms, err := NewRegistry(testRuntime, cpuOptions).Load(context.Background(), info)
			if err != nil {
				t.Fatal(err)
			}
			defer ms.Close()
			if got := ms.NoiseScale(); got != tt.want {
				t.Errorf("NoiseScale() = %g, want %g", got, tt.want)
			}
		})
	}
}
