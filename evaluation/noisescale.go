package evaluation

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/downthere/downthere/training"
)

// noiseScales are the noise scales of the noise-scale table: the factor on
// the standard-normal noise as it enters the generator's first layer. The
// shipped set's own scale is added when it is not among them.
var noiseScales = []float64{0.3, 0.4, 0.5, 0.7, 1}

// spreadPhotos caps the held-out photos per class whose pairwise feature
// distances make the real photos' spread.
const spreadPhotos = 300

// scaleResult is the view quality of the shipped weights at one noise
// scale under one seed, on the held-out UC Merced patches.
type scaleResult struct {
	Scale                          float64
	Consistency, CoarseConsistency float64

	// MeanFID is the mean over the ground classes of the Frechet distance
	// between the views of the class's held-out patches and its held-out
	// photos, in the ground classifier's feature space.
	MeanFID float64

	// Spread is the mean feature distance between two views of one patch,
	// as a share of the mean distance between two held-out real photos of
	// the patch's ground class: 0 when every view of a patch is the same.
	Spread float64
}

// scaledHeldOut are the held-out patches whose views the noise scales
// are measured on.
type scaledHeldOut struct {
	conds      [][]float32 // one condition per patch
	seeds      []int64     // the noise seed of each patch's views
	ground     []int       // the ground class of each patch
	views      int         // views per patch
	testFeat   [][]float32 // the held-out photos' features
	testLabels []int
	shipped    float64 // the set's own noise scale
}

// scalesFor returns noiseScales with own added, sorted.
func scalesFor(own float64) []float64 {
	out := slices.Clone(noiseScales)
	if !slices.Contains(out, own) {
		out = append(out, own)
		slices.Sort(out)
	}
	return out
}

// measureNoiseScales scores the views of the held-out patches at each
// noise scale, made by the shipped weights with the same noise seeds as
// the main views, so that only the noise's scale differs between rows.
// The row of the shipped scale is generated again too, so it checks that
// this path makes the main table's views.
func (e *evaluator) measureNoiseScales(ctx context.Context, seed int64, ground groundEmbedder, h scaledHeldOut) error {
	k := len(training.GroundClasses)
	realSpread := classSpreads(h.testFeat, h.testLabels, k, rng(seed, "noise-scale-spread"))
	var rows []scaleResult
	for _, s := range scalesFor(h.shipped) {
		e.progress("seed %d: views of the held-out patches at noise scale %g", seed, s)
		vo, err := runScaledViews(ctx, e.set, ground, h.conds, h.seeds, h.views, s/h.shipped, false, nil)
		if err != nil {
			return err
		}
		rows = append(rows, scoreScale(s, vo.GroundFeat, vo.GroundProbs, h, realSpread))
	}
	e.res.NoiseScales = append(e.res.NoiseScales, rows)
	return nil
}

// scoreScale measures one noise scale's views.
func scoreScale(scale float64, feat, probs [][]float32, h scaledHeldOut, realSpread []float64) scaleResult {
	k := len(training.GroundClasses)
	truth := make([]int, len(probs))
	for i := range truth {
		truth[i] = h.ground[i/h.views]
	}
	r := scaleResult{Scale: scale}
	r.Consistency, r.CoarseConsistency = consistencies(truth, probs)

	var fids []float64
	for g := range k {
		if d, err := frechetDistance(rowsWithLabel(feat, truth, g), rowsWithLabel(h.testFeat, h.testLabels, g)); err == nil {
			fids = append(fids, d)
		}
	}
	r.MeanFID = spreadOf(fids).Mean

	var shares []float64
	for p, g := range h.ground {
		if realSpread[g] > 0 {
			shares = append(shares, meanPairDistance(feat[p*h.views:(p+1)*h.views])/realSpread[g])
		}
	}
	r.Spread = spreadOf(shares).Mean
	return r
}

// classSpreads returns, per class, the mean feature distance between two
// of its rows, from at most spreadPhotos rows drawn by rng; 0 for classes
// with fewer than 2 rows.
func classSpreads(rows [][]float32, labels []int, k int, rng *rand.Rand) []float64 {
	out := make([]float64, k)
	for g := range k {
		r := rowsWithLabel(rows, labels, g)
		rng.Shuffle(len(r), func(i, j int) { r[i], r[j] = r[j], r[i] })
		out[g] = meanPairDistance(r[:min(len(r), spreadPhotos)])
	}
	return out
}

// meanPairDistance returns the mean Euclidean distance between two
// different rows, 0 with fewer than 2 rows.
func meanPairDistance(rows [][]float32) float64 {
	sum, n := 0.0, 0
	for i := range rows {
		for j := i + 1; j < len(rows); j++ {
			d := 0.0
			for c := range rows[i] {
				x := float64(rows[i][c] - rows[j][c])
				d += x * x
			}
			sum += math.Sqrt(d)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}
