package evaluation

import (
	"context"

	"github.com/downthere/downthere/inference"
)

// variantResult is the class consistency of another generator on the
// held-out UC Merced patches under one seed, scored by that seed's ground
// classifier with the same noise as the shipped set's views.
type variantResult struct {
	Consistency, CoarseConsistency float64
}

// variantSets returns the sets compared with the shipped generator, in
// report order: the paper-faithful variant and the unconditional GAN,
// each when it was found.
func (e *evaluator) variantSets() []namedSet {
	var out []namedSet
	if e.paper != nil {
		out = append(out, namedSet{key: variantPaper, set: e.paper})
	}
	if e.unconditional != nil {
		out = append(out, namedSet{key: variantUnconditional, set: e.unconditional})
	}
	return out
}

// namedSet is a model set with its key in Results.Variants.
type namedSet struct {
	key string
	set *inference.ModelSet
}

// Keys of Results.Variants.
const (
	variantPaper         = "paper"
	variantUnconditional = "unconditional"
)

// measureVariants generates views of the held-out patches with every
// compared set and records their class consistency.
func (e *evaluator) measureVariants(ctx context.Context, seed int64, ground groundEmbedder) error {
	d := e.ucmerced
	inputs := make([][]float32, len(d.Test))
	names := make([]string, len(d.Test))
	truth := make([]int, 0, len(d.Test)*e.budget.views)
	for k, i := range d.Test {
		inputs[k], names[k] = d.Inputs[i], d.ItemNames[i]
		for range e.budget.views {
			truth = append(truth, d.ItemGround[i])
		}
	}
	for _, v := range e.variantSets() {
		e.progress("seed %d: views of the held-out patches from %s", seed, v.set.Name())
		conds, err := v.set.Encode(ctx, inputs)
		if err != nil {
			return err
		}
		vo, err := runViews(ctx, v.set, ground, conds, itemSeeds(seed, names), e.budget.views, false, nil)
		if err != nil {
			return err
		}
		var r variantResult
		r.Consistency, r.CoarseConsistency = consistencies(truth, vo.GroundProbs)
		if e.res.Variants == nil {
			e.res.Variants = map[string][]variantResult{}
		}
		e.res.Variants[v.key] = append(e.res.Variants[v.key], r)
	}
	return nil
}
