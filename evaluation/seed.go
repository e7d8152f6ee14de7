package evaluation

import (
	"context"
	"fmt"
	"slices"

	"github.com/downthere/downthere/inference"
	"github.com/downthere/downthere/models"
	"github.com/downthere/downthere/training"
)

// newUCMercedData builds the UC Merced setting: up to perClass training
// patches of each class (the first in file order; 0 for all), then every
// held-out patch, labelled urban (0) or rural (1) by the class mapping.
func newUCMercedData(set *inference.ModelSet, train, test *imageSet, perClass int) (*landUseData, error) {
	ground, urban, err := groundOfOverhead()
	if err != nil {
		return nil, err
	}
	d := &landUseData{Name: "UC Merced", Folds: 3}
	perClassTaken := map[int]int{}
	for k, part := range []*imageSet{train, test} {
		inputs, err := encoderInputs(set, part)
		if err != nil {
			return nil, err
		}
		for i := range part.Len() {
			c := part.Labels[i]
			if k == 0 && perClass > 0 && perClassTaken[c] >= perClass {
				continue
			}
			perClassTaken[c]++
			label := 1
			if urban[c] {
				label = 0
			}
			if k == 0 {
				d.Train = append(d.Train, len(d.Labels))
			} else {
				d.Test = append(d.Test, len(d.Labels))
			}
			d.Inputs = append(d.Inputs, inputs[i])
			d.ItemNames = append(d.ItemNames, part.Names[i])
			d.Labels = append(d.Labels, label)
			d.ItemGround = append(d.ItemGround, ground[c])
		}
	}
	return d, nil
}

// newOlindaData builds the Olinda setting for one seed: the cells with
// their spatial block split and block-wise folds.
func newOlindaData(set *inference.ModelSet, o *olindaCells, seed int64) (*landUseData, error) {
	train, test, block, err := o.blockSplit(seed)
	if err != nil {
		return nil, err
	}
	d := &landUseData{Name: "Olinda", Train: train, Test: test, Labels: o.Labels, ItemNames: o.IDs, Folds: 3}
	buildings, forest := groundIndex("buildings"), groundIndex("forest")
	blockOrder := rng(seed, "olinda-folds").Perm(len(o.Cells))
	for i := range o.Labels {
		p, err := set.PatchFromRGB(o.RGB[i])
		if err != nil {
			return nil, fmt.Errorf("olinda cell %s: %w", o.IDs[i], err)
		}
		d.Inputs = append(d.Inputs, p)
		d.Coords = append(d.Coords, []float64{o.X[i], o.Y[i]})
		d.Fold = append(d.Fold, blockOrder[block[i]]%d.Folds)
		if o.Labels[i] == 0 {
			d.ItemGround = append(d.ItemGround, buildings)
		} else {
			d.ItemGround = append(d.ItemGround, forest)
		}
	}
	return d, nil
}

// runSeed runs every measurement under one evaluation seed.
func (e *evaluator) runSeed(ctx context.Context, seed int64) error {
	ground, err := e.groundClassifier(ctx, seed)
	if err != nil {
		return err
	}
	defer ground.Close()
	fresh, err := newGroundNet(seed, len(training.GroundClasses)) // the same classifier before training
	if err != nil {
		return err
	}
	defer fresh.Close()

	d := e.ucmerced
	d.Fold = randomFolds(len(d.Labels), d.Folds, rng(seed, "ucmerced-folds"))
	conds, err := e.set.Encode(ctx, d.Inputs)
	if err != nil {
		return err
	}
	e.progress("seed %d: generating %d views of %d UC Merced patches", seed, e.budget.views*len(conds), len(conds))
	keep := e.keptItems(d)
	vo, err := runViews(ctx, e.set, ground, conds, itemSeeds(seed, d.ItemNames), e.budget.views, true, keep)
	if err != nil {
		return err
	}
	if err := e.measureViews(ctx, seed, ground, conds, vo); err != nil {
		return err
	}
	if err := e.measureVariants(ctx, seed, ground); err != nil {
		return err
	}

	trained := pipeline{set: e.set, ground: ground, unconditional: e.unconditional}
	twin, err := e.untrainedTwin(ctx, e.set, seed)
	if err != nil {
		return err
	}
	var unconditionalTwin *inference.ModelSet
	if e.unconditional != nil {
		if unconditionalTwin, err = e.untrainedTwin(ctx, e.unconditional, seed); err != nil {
			return err
		}
	}
	untrained := pipeline{set: twin, ground: fresh, unconditional: unconditionalTwin}
	lu, err := e.compare(ctx, seed, d, trained, untrained, conds, vo)
	if err != nil {
		return err
	}
	e.res.addLandUse(lu, d, seed)

	if e.olinda == nil {
		return nil
	}
	od, err := newOlindaData(e.olindaSet, e.olinda, seed)
	if err != nil {
		return err
	}
	otwin := twin
	if !e.olindaSameSet {
		if otwin, err = e.untrainedTwin(ctx, e.olindaSet, seed); err != nil {
			return err
		}
	}
	oconds, err := e.olindaSet.Encode(ctx, od.Inputs)
	if err != nil {
		return err
	}
	keepOlinda := map[int]bool{}
	if seed == 1 {
		keepOlinda = olindaSampleCells(od)
	}
	ovo, err := runViews(ctx, e.olindaSet, ground, oconds, itemSeeds(seed, od.ItemNames), e.budget.views, true, keepOlinda)
	if err != nil {
		return err
	}
	if seed == 1 {
		e.res.OlindaSamples = olindaSamples(od, e.olinda, ovo)
	}
	otrained := pipeline{set: e.olindaSet, ground: ground, unconditional: e.olindaUnconditional()}
	ountrained := pipeline{set: otwin, ground: fresh}
	if otrained.unconditional != nil {
		ountrained.unconditional = unconditionalTwin
	}
	olu, err := e.compare(ctx, seed, od, otrained, ountrained, oconds, ovo)
	if err != nil {
		return err
	}
	e.res.addLandUse(olu, od, seed)
	return nil
}

// olindaUnconditional returns the unconditional set when it fits the
// Olinda set's patches (it ignores its condition, so only the condition
// length must match).
func (e *evaluator) olindaUnconditional() *inference.ModelSet {
	if e.unconditional != nil && e.unconditional.ConditionSize() == e.olindaSet.ConditionSize() {
		return e.unconditional
	}
	return nil
}

// untrainedTwin loads the untrained twin of set for seed.
func (e *evaluator) untrainedTwin(ctx context.Context, set *inference.ModelSet, seed int64) (*inference.ModelSet, error) {
	e.progress("seed %d: untrained twin of %s (made once, then read from %s)", seed, set.Name(), e.opts.WorkDir)
	dir, err := untrainedSet(ctx, set.Manifest(models.RoleEncoder), e.opts.WorkDir, absPath(e.opts.DataDir), absPath(e.opts.CacheDir), seed, untrainedMaxPerClass)
	if err != nil {
		return nil, err
	}
	return e.loadSet(ctx, dir)
}

// compare runs the urban/rural comparison of one setting and seed with
// the trained and the untrained pipeline. conds and vo are the trained
// pipeline's conditions and view scores.
func (e *evaluator) compare(ctx context.Context, seed int64, d *landUseData, trained, untrained pipeline, conds [][]float32, vo *viewOutputs) (*seedLandUse, error) {
	out := &seedLandUse{Majority: majorityScores(d)}
	f, err := landUseFeatures(ctx, trained, d, conds, vo, e.budget.views, e.photosTrain, seed, rng(seed, d.Name+"-holders"))
	if err != nil {
		return nil, err
	}
	if out.Trained, err = classifyFeatures(d, f); err != nil {
		return nil, err
	}

	e.progress("seed %d: %s with untrained networks", seed, d.Name)
	uconds, err := untrained.set.Encode(ctx, d.Inputs)
	if err != nil {
		return nil, err
	}
	uvo, err := runViews(ctx, untrained.set, untrained.ground, uconds, itemSeeds(seed, d.ItemNames), e.budget.views, true, nil)
	if err != nil {
		return nil, err
	}
	uf, err := landUseFeatures(ctx, untrained, d, uconds, uvo, e.budget.views, e.photosTrain, seed, rng(seed, d.Name+"-holders"))
	if err != nil {
		return nil, err
	}
	out.Untrained, err = classifyFeatures(d, uf)
	return out, err
}

// keptItems returns the UC Merced items whose views are kept for the
// sheets and the copy check: the first held-out patch of each sample
// class, and copyQueries held-out patches spread over the split.
func (e *evaluator) keptItems(d *landUseData) map[int]bool {
	keep := map[int]bool{}
	for _, item := range e.sampleItems(d) {
		keep[item] = true
	}
	for _, item := range e.copyItems(d) {
		keep[item] = true
	}
	return keep
}

// sampleItems returns, per sample class, its first held-out patch.
func (e *evaluator) sampleItems(d *landUseData) []int {
	var out []int
	for _, name := range sampleClasses {
		c := slices.IndexFunc(training.UCMercedClasses, func(o training.OverheadClass) bool { return o.Name == name })
		for k, item := range d.Test {
			if e.patchesTest.Labels[k] == c {
				out = append(out, item)
				break
			}
		}
	}
	return out
}

// copyItems returns copyQueries held-out patches evenly spread.
func (e *evaluator) copyItems(d *landUseData) []int {
	n := min(e.budget.copyQueries, len(d.Test))
	out := make([]int, n)
	for k := range n {
		out[k] = d.Test[k*len(d.Test)/n]
	}
	return out
}
