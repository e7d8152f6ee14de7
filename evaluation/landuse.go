package evaluation

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/downthere/downthere/inference"
)

// Feature sets of the urban/rural comparison, in table order.
const (
	featOverhead      = "overhead"
	featInterpolated  = "interpolated"
	featUnconditional = "unconditional"
	featGround        = "ground"
	featDiscriminator = "discriminator"
	featCombined      = "overhead+discriminator"
)

var featureOrder = []string{featOverhead, featInterpolated, featUnconditional, featGround, featDiscriminator, featCombined}

// holderFraction is the share of training items that hold a real ground
// photo's features in the interpolation baseline.
const holderFraction = 0.25

// landUseData is one setting of the urban/rural comparison: items (UC
// Merced patches or Olinda cells) with labels (0 urban, 1 rural), splits
// and cross-validation folds of the training items.
type landUseData struct {
	Name        string
	Inputs      [][]float32 // encoder inputs
	ItemNames   []string    // file or cell ids; they seed each item's views
	Labels      []int
	ItemGround  []int // ground class whose photos stand for the item in the interpolation baseline
	Train, Test []int
	Fold        []int // fold of every item (used for training items only)
	Folds       int
	// Coords gives each item's position for the interpolation, or nil to
	// interpolate in the space of the encoder's conditions (UC Merced
	// patches have no map position).
	Coords [][]float64
}

// pipeline is one set of networks: a model set, its ground classifier and
// optionally an unconditional model set.
type pipeline struct {
	set           *inference.ModelSet
	ground        groundEmbedder
	unconditional *inference.ModelSet
}

// landUseFeatures assembles every feature set of a pipeline for all
// items from their conditions and the scores of their views (vo, with the
// discriminator features). photosTrain supplies the real photos of the
// interpolation baseline.
func landUseFeatures(ctx context.Context, p pipeline, d *landUseData, conds [][]float32, vo *viewOutputs, views int, photosTrain *imageSet, evalSeed int64, rng *rand.Rand) (map[string][][]float32, error) {
	f := map[string][][]float32{
		featOverhead:      conds,
		featGround:        meanPerItem(vo.GroundProbs, views),
		featDiscriminator: vo.Disc,
	}
	f[featCombined] = concatRows(f[featOverhead], f[featDiscriminator])
	var err error
	if f[featInterpolated], err = interpolatedFeatures(ctx, p.ground, d, conds, photosTrain, rng); err != nil {
		return nil, err
	}
	if p.unconditional != nil {
		if f[featUnconditional], err = unconditionalFeatures(ctx, p.unconditional, d, itemSeeds(evalSeed, d.ItemNames), views); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// itemSeeds returns the view noise seed of every item.
func itemSeeds(evalSeed int64, names []string) []int64 {
	out := make([]int64, len(names))
	for i, n := range names {
		out[i] = viewSeed(evalSeed, "views", n)
	}
	return out
}

// interpolatedFeatures is the baseline of sparse real ground photos. A
// random holderFraction of the training items each take the classifier
// features of one random training photo of their item's ground class.
// Every item gets the inverse-distance-weighted mean of its nearest
// holders, so a holder keeps its own features.
func interpolatedFeatures(ctx context.Context, net groundEmbedder, d *landUseData, conds [][]float32, photos *imageSet, rng *rand.Rand) ([][]float32, error) {
	byGround := map[int][]int{}
	for i, l := range photos.Labels {
		byGround[l] = append(byGround[l], i)
	}
	perm := rng.Perm(len(d.Train))
	nHolders := max(2, int(holderFraction*float64(len(d.Train))+0.5))
	var holders [][]float64
	var images [][]float32
	for _, k := range perm[:min(nHolders, len(perm))] {
		item := d.Train[k]
		candidates := byGround[d.ItemGround[item]]
		if len(candidates) == 0 {
			return nil, fmt.Errorf("%s: no training photo of ground class %d for the interpolation baseline", d.Name, d.ItemGround[item])
		}
		images = append(images, photos.normalized(candidates[rng.IntN(len(candidates))], false))
		holders = append(holders, d.position(item, conds))
	}
	values, _, err := net.embed(ctx, images)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	queries := make([][]float64, len(d.Labels))
	for i := range queries {
		queries[i] = d.position(i, conds)
	}
	return interpolateIDW(queries, holders, values), nil
}

// position returns item i's coordinates for the interpolation.
func (d *landUseData) position(i int, conds [][]float32) []float64 {
	if d.Coords != nil {
		return d.Coords[i]
	}
	out := make([]float64, len(conds[i]))
	for j, v := range conds[i] {
		out[j] = float64(v)
	}
	return out
}

// unconditionalFeatures returns the mean discriminator features of views
// that an unconditional GAN generates with the items' noise.
func unconditionalFeatures(ctx context.Context, set *inference.ModelSet, d *landUseData, seeds []int64, views int) ([][]float32, error) {
	zero := make([][]float32, len(seeds))
	for i := range zero {
		zero[i] = make([]float32, set.ConditionSize())
	}
	vo, err := runViews(ctx, set, nil, zero, seeds, views, true, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	return vo.Disc, nil
}

// landUseScores are the held-out scores of one feature set under one seed.
type landUseScores struct {
	scores
	Lambda float64 // L2 strength chosen by cross-validation
}

// classifyFeatures fits a logistic regression on the training items of
// each feature set (L2 strength by cross-validation over the folds) and
// scores it on the test items.
func classifyFeatures(d *landUseData, features map[string][][]float32) (map[string]landUseScores, error) {
	out := map[string]landUseScores{}
	yTrain, yTest := pick(d.Labels, d.Train), pick(d.Labels, d.Test)
	folds := pick(d.Fold, d.Train)
	for key, f := range features {
		x := toFloat64(f)
		m, lambda, err := fitLogRegCV(pickRows(x, d.Train), yTrain, folds, d.Folds)
		if err != nil {
			return nil, fmt.Errorf("%s, %s features: %w", d.Name, key, err)
		}
		out[key] = landUseScores{scores: scoreOf(yTest, m.predict(pickRows(x, d.Test)), 2), Lambda: lambda}
	}
	return out, nil
}

// majorityScores scores predicting the training split's majority class
// for every test item.
func majorityScores(d *landUseData) scores {
	major := majorityClass(pick(d.Labels, d.Train), 2)
	truth := pick(d.Labels, d.Test)
	pred := make([]int, len(truth))
	for i := range pred {
		pred[i] = major
	}
	return scoreOf(truth, pred, 2)
}

func pick(v []int, idx []int) []int {
	out := make([]int, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}

func pickRows(rows [][]float64, idx []int) [][]float64 {
	out := make([][]float64, len(idx))
	for k, i := range idx {
		out[k] = rows[i]
	}
	return out
}
