package evaluation

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/downthere/downthere/training"
)

// qualityResult holds the view-quality numbers of one evaluation seed.
// Per-class slices are indexed like training.GroundClasses and hold NaN
// for classes without held-out patches or photos.
type qualityResult struct {
	// GroundAccuracy, GroundBalanced and GroundRecall describe the ground
	// classifier on the held-out real photos.
	GroundAccuracy, GroundBalanced float64
	GroundRecall                   []float64

	// Ceiling is the class consistency that real held-out photos reach: the
	// classifier's recall per ground class, weighted by the held-out
	// patches' ground classes. Generated views cannot be expected above it.
	Ceiling float64

	// Consistency is the share of generated views of held-out patches that
	// the classifier assigns to the patch's ground class; Control is the
	// same for views generated from the mean training condition.
	Consistency, Control               float64
	ConsistencyByClass, ControlByClass []float64

	// CoarseConsistency, CoarseControl and CoarseCeiling are the same
	// shares when only built-up (buildings, street, road) against natural
	// (field, forest, water, mountain) counts.
	CoarseConsistency, CoarseControl, CoarseCeiling float64

	// TrainConsistency is the class consistency of the views of the
	// training patches in the urban/rural comparison: the encoder was
	// trained on them and the GAN on their conditions. Its gap to
	// Consistency is how much worse encoder and generator do on unseen
	// patches. Its gap to Ceiling is what the generator lacks on
	// conditions it learned from. TrainPatches counts them.
	TrainConsistency float64
	TrainPatches     int

	// FID, FIDControl and FIDReal are Frechet distances in the
	// classifier's feature space to the held-out real photos of each class.
	// They measure the generated views, the constant-condition views of the
	// same patches, and as many real training photos of the class.
	FID, FIDControl, FIDReal []float64
	ViewCounts, PhotoCounts  []int

	ViewsPerPatch int
}

// qualityInputs are the held-out data and the classifier's features and
// probabilities of the generated views that the view quality is measured
// on, for one seed.
type qualityInputs struct {
	photosTrain, photosTest *imageSet
	patchGround             []int // ground class of each held-out patch
	viewsPerPatch           int
	// viewFeat, viewProbs, controlFeat and controlProbs hold one row per
	// view, viewsPerPatch per held-out patch, patch-major.
	viewFeat, viewProbs, controlFeat, controlProbs [][]float32
	// testFeat and testProbs are the classifier's outputs for photosTest.
	testFeat, testProbs [][]float32
}

// measureQuality scores the views and the real photos with the ground
// classifier.
func measureQuality(ctx context.Context, net groundEmbedder, in qualityInputs, rng *rand.Rand) (*qualityResult, error) {
	k := len(training.GroundClasses)
	r := &qualityResult{ViewsPerPatch: in.viewsPerPatch}

	testFeat, testProbs := in.testFeat, in.testProbs
	truth, pred := in.photosTest.Labels, argmaxRows(testProbs)
	s := scoreOf(truth, pred, k)
	r.GroundAccuracy, r.GroundBalanced = s.Accuracy, s.BalancedAccuracy
	r.GroundRecall = recallPerClass(truth, pred, k)
	for _, g := range in.patchGround {
		if !math.IsNaN(r.GroundRecall[g]) {
			r.Ceiling += r.GroundRecall[g] / float64(len(in.patchGround))
		}
	}

	viewTruth := make([]int, len(in.viewProbs))
	for i := range viewTruth {
		viewTruth[i] = in.patchGround[i/in.viewsPerPatch]
	}
	viewPred, controlPred := argmaxRows(in.viewProbs), argmaxRows(in.controlProbs)
	r.Consistency, r.ConsistencyByClass = agreement(viewTruth, viewPred, k)
	r.Control, r.ControlByClass = agreement(viewTruth, controlPred, k)
	r.CoarseConsistency, _ = agreement(coarse(viewTruth), coarse(viewPred), 2)
	r.CoarseControl, _ = agreement(coarse(viewTruth), coarse(controlPred), 2)
	_, coarseRecall := agreement(truth, coarseHits(truth, pred), k)
	for _, g := range in.patchGround {
		if !math.IsNaN(coarseRecall[g]) {
			r.CoarseCeiling += coarseRecall[g] / float64(len(in.patchGround))
		}
	}

	trainFeat, _, err := embedSet(ctx, net, in.photosTrain)
	if err != nil {
		return nil, err
	}
	r.frechetPerClass(in.viewFeat, in.controlFeat, viewTruth, testFeat, in.photosTest.Labels, trainFeat, in.photosTrain.Labels, rng)
	return r, nil
}

// frechetPerClass fills the per-class Frechet distances; classes with
// fewer than 2 views or photos get NaN.
func (r *qualityResult) frechetPerClass(viewFeat, controlFeat [][]float32, viewTruth []int, testFeat [][]float32, testLabels []int, trainFeat [][]float32, trainLabels []int, rng *rand.Rand) {
	k := len(training.GroundClasses)
	r.FID, r.FIDControl, r.FIDReal = nanSlice(k), nanSlice(k), nanSlice(k)
	r.ViewCounts, r.PhotoCounts = make([]int, k), make([]int, k)
	for g := range k {
		views, control := rowsWithLabel(viewFeat, viewTruth, g), rowsWithLabel(controlFeat, viewTruth, g)
		real := rowsWithLabel(testFeat, testLabels, g)
		r.ViewCounts[g], r.PhotoCounts[g] = len(views), len(real)
		if d, err := frechetDistance(views, real); err == nil {
			r.FID[g] = d
		}
		if d, err := frechetDistance(control, real); err == nil {
			r.FIDControl[g] = d
		}
		train := rowsWithLabel(trainFeat, trainLabels, g)
		rng.Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
		if d, err := frechetDistance(train[:min(len(train), len(views))], real); err == nil {
			r.FIDReal[g] = d
		}
	}
}

// builtUp lists the ground classes that count as built-up in the coarse
// consistency; the others count as natural.
var builtUp = map[string]bool{"buildings": true, "street": true, "road": true}

// coarse maps ground classes to 0 (built-up) or 1 (natural).
func coarse(classes []int) []int {
	out := make([]int, len(classes))
	for i, c := range classes {
		if !builtUp[training.GroundClasses[c].Name] {
			out[i] = 1
		}
	}
	return out
}

// coarseHits returns pred with every prediction in the same coarse group
// as its truth replaced by the truth, so that agreement counts it.
func coarseHits(truth, pred []int) []int {
	ct, cp := coarse(truth), coarse(pred)
	out := make([]int, len(pred))
	for i := range pred {
		out[i] = pred[i]
		if ct[i] == cp[i] {
			out[i] = truth[i]
		}
	}
	return out
}

// groundEmbedder is the ground classifier as the measurements use it.
type groundEmbedder interface {
	embed(ctx context.Context, images [][]float32) (features, probs [][]float32, err error)
}

// embedSet runs the classifier on every image of a set.
func embedSet(ctx context.Context, net groundEmbedder, set *imageSet) (features, probs [][]float32, err error) {
	images := make([][]float32, set.Len())
	for i := range images {
		images[i] = set.normalized(i, false)
	}
	return net.embed(ctx, images)
}

// consistencies returns the share of views whose most probable ground
// class is the truth, and the same share counting built-up against
// natural only.
func consistencies(truth []int, probs [][]float32) (fine, coarseShare float64) {
	pred := argmaxRows(probs)
	fine, _ = agreement(truth, pred, len(training.GroundClasses))
	coarseShare, _ = agreement(coarse(truth), coarse(pred), 2)
	return fine, coarseShare
}

// agreement returns the share of predictions equal to the truth, overall
// and per true class (NaN for classes absent from the truth).
func agreement(truth, pred []int, k int) (float64, []float64) {
	hits, counts := make([]float64, k), make([]float64, k)
	total := 0.0
	for i, t := range truth {
		counts[t]++
		if pred[i] == t {
			hits[t]++
			total++
		}
	}
	per := nanSlice(k)
	for c := range k {
		if counts[c] > 0 {
			per[c] = hits[c] / counts[c]
		}
	}
	return total / math.Max(float64(len(truth)), 1), per
}

func recallPerClass(truth, pred []int, k int) []float64 {
	_, per := agreement(truth, pred, k)
	return per
}

func argmaxRows(rows [][]float32) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		for j := range r {
			if r[j] > r[out[i]] {
				out[i] = j
			}
		}
	}
	return out
}

func rowsWithLabel(rows [][]float32, labels []int, label int) [][]float32 {
	var out [][]float32
	for i, l := range labels {
		if l == label {
			out = append(out, rows[i])
		}
	}
	return out
}

func nanSlice(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}
