package inference

import (
	"context"
	"fmt"
	"math"

	"github.com/downthere/downthere/models"
)

// Engine runs the typed model calls on the registry's active set. Each
// call runs entirely on the set that was active when it started, even if
// the set is swapped meanwhile. Calls may come from many goroutines.
type Engine struct {
	reg *Registry
}

// NewEngine returns an engine that runs on reg's active set.
func NewEngine(reg *Registry) *Engine { return &Engine{reg: reg} }

// Registry returns the registry the engine runs on.
func (e *Engine) Registry() *Registry { return e.reg }

// with runs f on the active set, holding a reference for its duration.
func with[T any](e *Engine, f func(*ModelSet) (T, error)) (T, error) {
	s, release, err := e.reg.Acquire()
	if err != nil {
		var zero T
		return zero, err
	}
	defer release()
	return f(s)
}

// Encode runs ModelSet.Encode on the active set.
func (e *Engine) Encode(ctx context.Context, patches [][]float32) ([][]float32, error) {
	return with(e, func(s *ModelSet) ([][]float32, error) { return s.Encode(ctx, patches) })
}

// Generate runs ModelSet.Generate on the active set.
func (e *Engine) Generate(ctx context.Context, condition []float32, n int, seed int64) ([][]float32, error) {
	return with(e, func(s *ModelSet) ([][]float32, error) { return s.Generate(ctx, condition, n, seed) })
}

// Features runs ModelSet.Features on the active set.
func (e *Engine) Features(ctx context.Context, images, conditions [][]float32) ([][]float32, error) {
	return with(e, func(s *ModelSet) ([][]float32, error) { return s.Features(ctx, images, conditions) })
}

// Classify runs ModelSet.Classify on the active set.
func (e *Engine) Classify(ctx context.Context, features [][]float32) ([][]float32, error) {
	return with(e, func(s *ModelSet) ([][]float32, error) { return s.Classify(ctx, features) })
}

// ClassifyPatches runs ModelSet.ClassifyPatches on the active set.
func (e *Engine) ClassifyPatches(ctx context.Context, patches [][]float32, seeds []int64, views int) ([][]float32, error) {
	return with(e, func(s *ModelSet) ([][]float32, error) { return s.ClassifyPatches(ctx, patches, seeds, views) })
}

// ViewsForPatch encodes one patch and generates n views from it with seed:
// the work behind a click on a grid cell.
func (e *Engine) ViewsForPatch(ctx context.Context, patch []float32, n int, seed int64) ([][]float32, error) {
	return with(e, func(s *ModelSet) ([][]float32, error) {
		conditions, err := s.Encode(ctx, [][]float32{patch})
		if err != nil {
			return nil, err
		}
		return s.Generate(ctx, conditions[0], n, seed)
	})
}

// Encode turns overhead patches into condition vectors. Each patch is
// float32 in channel, row, column order (3 x P x P, P = PatchSize),
// normalised as the encoder's manifest specifies (see PatchFromRGB). Any count
// of patches may be passed; they run in batches of the encoder's size.
func (s *ModelSet) Encode(ctx context.Context, patches [][]float32) ([][]float32, error) {
	out, err := s.runRole(ctx, models.RoleEncoder, len(patches), map[string][][]float32{tensorPatch: patches})
	if err != nil {
		return nil, fmt.Errorf("encode %d patches: %w", len(patches), err)
	}
	return out, nil
}

// Generate returns n ground-level views for one condition vector. View i
// is float32 in channel, row, column order (see ImageShape) with values in
// [-1, 1], made from the noise FillNoise(seed, i), so the same condition
// and seed give the same views.
func (s *ModelSet) Generate(ctx context.Context, condition []float32, n int, seed int64) ([][]float32, error) {
	if n < 0 {
		return nil, fmt.Errorf("generate: view count %d is negative", n)
	}
	return s.generate(ctx, [][]float32{condition}, []int64{seed}, 0, n, 1)
}

// GenerateRange returns views first to first+n-1 of Generate(ctx,
// condition, first+n, seed) without making the views before first. View i
// uses the noise FillNoise(seed, i) multiplied by factor. The generator
// applies its own noise scale on top (see NoiseScale), so factor 1 gives
// Generate's views. Below 1 the views of one condition vary less and stay
// nearer the condition's typical view (the truncation trick), and above 1
// they vary more. Factor must be finite and at least 0. Callers that show
// views as they come ask for one generator batch
// (BatchSize(models.RoleGenerator)) at a time.
func (s *ModelSet) GenerateRange(ctx context.Context, condition []float32, first, n int, seed int64, factor float64) ([][]float32, error) {
	if first < 0 || n < 0 {
		return nil, fmt.Errorf("generate: view range %d+%d is negative", first, n)
	}
	if !(factor >= 0) || math.IsInf(factor, 1) {
		return nil, fmt.Errorf("generate: noise factor %g must be a finite number of at least 0", factor)
	}
	return s.generate(ctx, [][]float32{condition}, []int64{seed}, first, n, factor)
}

// NoiseScale returns the noise standard deviation of Generate's views:
// the noise_scale recorded in the generator's manifest (see
// models.Training.NoiseScale), 1 without one.
func (s *ModelSet) NoiseScale() float64 {
	m := s.Manifest(models.RoleGenerator)
	if m == nil {
		return 1
	}
	return m.Training.NoiseScale()
}

// generate makes views images for each condition: item k*views+i is view
// first+i of condition k, with noise FillNoise(seeds[k], first+i) times
// factor.
func (s *ModelSet) generate(ctx context.Context, conditions [][]float32, seeds []int64, first, views int, factor float64) ([][]float32, error) {
	count := len(conditions) * views
	if err := checkLengths(tensorCondition, conditions, s.ConditionSize()); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}

	fill := func(name string, item int, dst []float32) {
		k, i := item/views, item%views
		switch name {
		case tensorCondition:
			copy(dst, conditions[k])
		case tensorNoise:
			FillNoise(dst, seeds[k], first+i)
			if factor != 1 {
				for j := range dst {
					dst[j] *= float32(factor)
				}
			}
		}
	}
	out, err := s.runRoleWith(ctx, models.RoleGenerator, count, fill)
	if err != nil {
		return nil, fmt.Errorf("generate %d views: %w", count, err)
	}
	return out, nil
}

// Features returns the discriminator's feature vector for each image and
// its condition. images[i] is float32 in channel, row, column order with
// values in [-1, 1], as Generate returns.
func (s *ModelSet) Features(ctx context.Context, images, conditions [][]float32) ([][]float32, error) {
	if len(images) != len(conditions) {
		return nil, fmt.Errorf("features: %d images but %d conditions; pass one condition per image", len(images), len(conditions))
	}
	inputs := map[string][][]float32{tensorImage: images, tensorCondition: conditions}
	out, err := s.runRole(ctx, models.RoleDiscriminator, len(images), inputs)
	if err != nil {
		return nil, fmt.Errorf("features of %d images: %w", len(images), err)
	}
	return out, nil
}

// Classify returns the class probabilities for each feature vector, in the
// order of Classes.
func (s *ModelSet) Classify(ctx context.Context, features [][]float32) ([][]float32, error) {
	out, err := s.runRole(ctx, models.RoleClassifier, len(features), map[string][][]float32{tensorFeatures: features})
	if err != nil {
		return nil, fmt.Errorf("classify %d feature vectors: %w", len(features), err)
	}
	return out, nil
}

// ClassifyPatches returns class probabilities for each overhead patch:
// encode, generate views views from seeds[i], take the discriminator
// features of each view and classify them, and average the probabilities
// over the views. Give each patch a seed that depends on its cell, not on
// its place in the call, so that a preview and an export agree.
func (s *ModelSet) ClassifyPatches(ctx context.Context, patches [][]float32, seeds []int64, views int) ([][]float32, error) {
	if len(seeds) != len(patches) {
		return nil, fmt.Errorf("classify patches: %d patches but %d seeds; pass one seed per patch", len(patches), len(seeds))
	}
	if views < 1 {
		return nil, fmt.Errorf("classify patches: views per patch is %d, want at least 1", views)
	}

	conditions, err := s.Encode(ctx, patches)
	if err != nil {
		return nil, err
	}
	images, err := s.generate(ctx, conditions, seeds, 0, views, 1)
	if err != nil {
		return nil, err
	}
	repeated := make([][]float32, len(images))
	for i := range images {
		repeated[i] = conditions[i/views]
	}
	features, err := s.Features(ctx, images, repeated)
	if err != nil {
		return nil, err
	}
	probs, err := s.Classify(ctx, features)
	if err != nil {
		return nil, err
	}
	return averageViews(probs, views), nil
}

// averageViews averages each run of views consecutive vectors.
func averageViews(vectors [][]float32, views int) [][]float32 {
	out := make([][]float32, len(vectors)/views)
	for k := range out {
		mean := make([]float32, len(vectors[k*views]))
		for _, v := range vectors[k*views : (k+1)*views] {
			for j, x := range v {
				mean[j] += x
			}
		}
		for j := range mean {
			mean[j] /= float32(views)
		}
		out[k] = mean
	}
	return out
}

// runRole runs role's model on count items whose inputs are given by
// tensor name, one slice per item, after checking every item's length.
func (s *ModelSet) runRole(ctx context.Context, role models.Role, count int, inputs map[string][][]float32) ([][]float32, error) {
	sess := s.sessions[role]
	for _, spec := range sess.inputs {
		items := inputs[spec.name]
		if len(items) != count {
			return nil, fmt.Errorf("model file %s: %d items for input %q, want %d", sess.file, len(items), spec.name, count)
		}
		if err := checkLengths(spec.name, items, spec.itemSize); err != nil {
			return nil, fmt.Errorf("model file %s: %w", sess.file, err)
		}
	}
	byIndex := make([][][]float32, len(sess.inputs))
	for i, spec := range sess.inputs {
		byIndex[i] = inputs[spec.name]
	}
	fill := func(input, item int, dst []float32) { copy(dst, byIndex[input][item]) }
	return s.runSession(ctx, role, count, fill)
}

// runRoleWith runs role's model on count items, with fill writing the
// values of input name for one item. It returns one output slice per item.
func (s *ModelSet) runRoleWith(ctx context.Context, role models.Role, count int, fill func(name string, item int, dst []float32)) ([][]float32, error) {
	inputs := s.sessions[role].inputs
	byIndex := func(input, item int, dst []float32) { fill(inputs[input].name, item, dst) }
	return s.runSession(ctx, role, count, byIndex)
}

// runSession runs role's model on count items, with fill writing the
// values of one input for one item. It returns one output slice per item.
func (s *ModelSet) runSession(ctx context.Context, role models.Role, count int, fill feed) ([][]float32, error) {
	if count == 0 {
		return [][]float32{}, nil
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()

	sess := s.sessions[role]
	size := sess.outputs[0].itemSize
	flat := make([]float32, count*size)
	if err := sess.run(ctx, count, fill, [][]float32{flat}); err != nil {
		return nil, err
	}

	out := make([][]float32, count)
	for i := range out {
		out[i] = flat[i*size : (i+1)*size : (i+1)*size]
	}
	return out, nil
}

// checkLengths checks that every item holds want values.
func checkLengths(name string, items [][]float32, want int) error {
	for i, item := range items {
		if len(item) != want {
			return fmt.Errorf("%s %d has %d values, want %d", name, i, len(item), want)
		}
	}
	return nil
}
