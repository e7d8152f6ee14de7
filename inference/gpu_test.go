package inference

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"
)

// TestGPUProvider runs the test set on a GPU provider with fallback
// disabled, compares its views with CPU's and times a click (encode + 16
// views) on both. It runs only when $DOWNTHERE_GPU_TEST names the provider
// (cuda or tensorrt), as scripts/gpu-check does on a machine with an
// NVIDIA GPU; "cpu" runs the same steps without one. The RESULT line is
// what the script records.
func TestGPUProvider(t *testing.T) {
	name := os.Getenv("DOWNTHERE_GPU_TEST")
	if name == "" {
		t.Skip("set DOWNTHERE_GPU_TEST=cuda or tensorrt on a machine with an NVIDIA GPU (scripts/gpu-check does)")
	}
	p, err := ParseProvider(name)
	if err != nil {
		t.Fatal(err)
	}
	rt := needRuntime(t)

	status, err := ProbeProvider(rt, ProviderOptions{Provider: p, NoFallback: true})
	if err != nil {
		t.Fatalf("RESULT provider=%s active=none error=%q", p, err)
	}
	t.Logf("probe: %s", status)
	gpu := loadTestSet(t, Options{ProviderOptions: ProviderOptions{Provider: p, NoFallback: true}})
	cpu := loadTestSet(t, Options{ProviderOptions: ProviderOptions{Provider: ProviderCPU}})
	patch := testPatches(cpu, 1)[0]

	gpuViews, gpuTime := clickTimes(t, gpu, patch)
	cpuViews, cpuTime := clickTimes(t, cpu, patch)
	diff := 0.0
	for i := range gpuViews {
		diff = max(diff, maxDiff(gpuViews[i], cpuViews[i]))
	}
	t.Logf("RESULT provider=%s active=%s click16_gpu_ms=%.2f click16_cpu_ms=%.2f max_abs_diff_vs_cpu=%.2g",
		p, gpu.Provider().Active, ms(gpuTime), ms(cpuTime), diff)
	if gpu.Provider().Active != p {
		t.Errorf("models run on %s, want %s", gpu.Provider(), p)
	}
	if diff > 1e-3 {
		t.Errorf("views on %s differ from CPU by up to %g, want at most 1e-3", p, diff)
	}
}

// clickTimes encodes patch and generates 16 views eleven times, and returns
// the views and the median time of the last ten calls.
func clickTimes(t *testing.T, s *ModelSet, patch []float32) ([][]float32, time.Duration) {
	t.Helper()
	var views [][]float32
	var times []time.Duration
	for range 11 {
		start := time.Now()
		conditions, err := s.Encode(context.Background(), [][]float32{patch})
		if err != nil {
			t.Fatal(err)
		}
		if views, err = s.Generate(context.Background(), conditions[0], 16, 1); err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	rest := slices.Clone(times[1:])
	slices.Sort(rest)
	return views, rest[len(rest)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
