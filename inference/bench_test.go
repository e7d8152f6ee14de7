package inference

import (
	"context"
	"io/fs"
	"os"
	"slices"
	"testing"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/downthere/downthere/models"
)

// benchSetInfo returns the model set the benchmarks run: the folder in
// $DOWNTHERE_BENCH_MODELS when set (for example a trained set), otherwise
// the committed test set.
func benchSetInfo(b *testing.B) SetInfo {
	dir := os.Getenv("DOWNTHERE_BENCH_MODELS")
	if dir == "" {
		return testSetInfo()
	}
	info, err := FolderSet(dir)
	if err != nil {
		b.Fatal(err)
	}
	return info
}

// BenchmarkModel times one full batch of each model on CPU, through the
// engine's typed call and through two bare onnxruntime_go
// AdvancedSessions whose tensors were filled once. Each iteration runs all
// three, in a rotating order, so that they see the same load on the
// machine. The metrics are the median time per batch, the engine's
// overhead in percent of the first bare session's median, and the second
// bare session's difference from the first: the spread between two
// identical sessions, below which an overhead means nothing. Medians keep
// other processes' bursts out. The engine's extra work is copying inputs
// in and outputs out, drawing the generator's noise, and taking a tensor
// set from its pool. All run with one intra-op thread: the overhead is Go
// code outside ONNX Runtime that does not depend on the thread count, and
// one thread keeps the timings steady on a shared machine.
func BenchmarkModel(b *testing.B) {
	opts := Options{ProviderOptions: ProviderOptions{Provider: ProviderCPU, IntraOpThreads: 1}}
	ms := loadBenchSet(b, benchSetInfo(b), opts)
	ctx := context.Background()

	for _, role := range models.Roles {
		batch := ms.BatchSize(role)
		inputs := benchInputs(b, ms, role, batch)

		b.Run(string(role), func(b *testing.B) {
			call := engineCall(ms, role, inputs)
			bare := bareSession(b, ms, role, batch, inputs, opts.ProviderOptions)
			control := bareSession(b, ms, role, batch, inputs, opts.ProviderOptions)
			runs := []func() error{func() error { return call(ctx) }, bare, control}
			times := make([][]time.Duration, len(runs))
			for i := 0; b.Loop(); i++ {
				// Rotate the order so that each run follows each other one.
				for k := range runs {
					r := (i + k) % len(runs)
					times[r] = append(times[r], timed(b, runs[r]))
				}
			}
			engine, bareMedian, controlMedian := median(times[0]), median(times[1]), median(times[2])
			b.ReportMetric(float64(engine.Nanoseconds()), "engine-ns/batch")
			b.ReportMetric(float64(bareMedian.Nanoseconds()), "bare-ns/batch")
			b.ReportMetric(100*(float64(engine)/float64(bareMedian)-1), "overhead-%")
			b.ReportMetric(100*(float64(controlMedian)/float64(bareMedian)-1), "bare2-vs-bare-%")
			b.ReportMetric(float64(batch), "items/batch")
		})
	}
}

// timed runs f and returns how long it took.
func timed(b *testing.B, f func() error) time.Duration {
	start := time.Now()
	if err := f(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func median(d []time.Duration) time.Duration {
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

// BenchmarkClickToViews16 times the work behind a click on a grid cell on
// CPU with ONNX Runtime's default threads (one per core): encode one patch,
// then generate 16 views from it. median-ms is the median call.
func BenchmarkClickToViews16(b *testing.B) {
	rt := needRuntime(b)
	reg := NewRegistry(rt, Options{ProviderOptions: ProviderOptions{Provider: ProviderCPU}})
	defer reg.Close()
	ms, err := reg.Load(context.Background(), benchSetInfo(b))
	if err != nil {
		b.Fatal(err)
	}
	if err := reg.Swap(ms); err != nil {
		b.Fatal(err)
	}
	engine := NewEngine(reg)
	patch := testPatches(ms, 1)[0]
	ctx := context.Background()

	seed := int64(0)
	var times []time.Duration
	for b.Loop() {
		seed++
		start := time.Now()
		views, err := engine.ViewsForPatch(ctx, patch, 16, seed)
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
		if len(views) != 16 {
			b.Fatalf("%d views, want 16", len(views))
		}
	}
	b.ReportMetric(float64(median(times).Microseconds())/1000, "median-ms")
}

func loadBenchSet(b *testing.B, info SetInfo, opts Options) *ModelSet {
	reg := NewRegistry(needRuntime(b), opts)
	ms, err := reg.Load(context.Background(), info)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ms.Close() })
	return ms
}

// benchInputs returns batch items for every input of role's model, by
// name: patches for the encoder, generated values for the others.
func benchInputs(b *testing.B, ms *ModelSet, role models.Role, batch int) map[string][][]float32 {
	inputs := map[string][][]float32{}
	for _, spec := range ms.sessions[role].inputs {
		items := make([][]float32, batch)
		for i := range items {
			items[i] = make([]float32, spec.itemSize)
			FillNoise(items[i], int64(len(spec.name)), i)
			if spec.name == tensorImage {
				for j, v := range items[i] {
					items[i][j] = max(-1, min(1, v/3))
				}
			}
		}
		inputs[spec.name] = items
	}
	if role == models.RoleEncoder {
		inputs[tensorPatch] = testPatches(ms, batch)
	}
	return inputs
}

// engineCall returns the typed call that runs role's model on inputs.
func engineCall(ms *ModelSet, role models.Role, inputs map[string][][]float32) func(context.Context) error {
	switch role {
	case models.RoleEncoder:
		return func(ctx context.Context) error { _, err := ms.Encode(ctx, inputs[tensorPatch]); return err }
	case models.RoleGenerator:
		conditions := inputs[tensorCondition]
		return func(ctx context.Context) error {
			_, err := ms.Generate(ctx, conditions[0], len(conditions), 1)
			return err
		}
	case models.RoleDiscriminator:
		return func(ctx context.Context) error {
			_, err := ms.Features(ctx, inputs[tensorImage], inputs[tensorCondition])
			return err
		}
	default:
		return func(ctx context.Context) error { _, err := ms.Classify(ctx, inputs[tensorFeatures]); return err }
	}
}

// bareSession builds an onnxruntime_go AdvancedSession for role's model
// with the engine's CPU options, its tensors filled once with the same inputs, and
// returns its Run.
func bareSession(b *testing.B, ms *ModelSet, role models.Role, batch int, inputs map[string][][]float32, opts ProviderOptions) func() error {
	sess := ms.sessions[role]
	data, err := fs.ReadFile(ms.info.FS, ms.set.ModelPath(role))
	if err != nil {
		b.Fatal(err)
	}

	var ins, outs []ort.Value
	for _, spec := range sess.inputs {
		flat := make([]float32, 0, batch*spec.itemSize)
		for _, item := range inputs[spec.name] {
			flat = append(flat, item...)
		}
		t, err := ort.NewTensor(batchShape(batch, spec), flat)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { t.Destroy() })
		ins = append(ins, t)
	}
	for _, spec := range sess.outputs {
		t, err := ort.NewEmptyTensor[float32](batchShape(batch, spec))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { t.Destroy() })
		outs = append(outs, t)
	}

	so, err := newSessionOptions(ProviderCPU, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer so.Destroy()
	bare, err := ort.NewAdvancedSessionWithONNXData(data, namesOf(sess.inputs), namesOf(sess.outputs), ins, outs, so)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bare.Destroy() })
	return bare.Run
}
