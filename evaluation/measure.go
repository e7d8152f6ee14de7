package evaluation

import (
	"context"
	"fmt"
	"slices"

	"github.com/downthere/downthere/training"
)

// measureViews measures the view quality of one seed from the views of
// the held-out UC Merced patches (vo covers all items, training patches
// first) and the constant-condition control, and fills the seed's
// noise-scale table. On seed 1 it also builds the sample sheet rows and
// the copy check.
func (e *evaluator) measureViews(ctx context.Context, seed int64, ground *groundNet, conds [][]float32, vo *viewOutputs) error {
	d, v := e.ucmerced, e.budget.views
	first := d.Test[0] * v // views are item-major and the held-out items come last
	control, err := e.controlViews(ctx, seed, ground)
	if err != nil {
		return err
	}
	in := qualityInputs{
		photosTrain: e.photosTrain, photosTest: e.photosTest, viewsPerPatch: v,
		viewFeat: vo.GroundFeat[first:], viewProbs: vo.GroundProbs[first:],
		controlFeat: control.GroundFeat, controlProbs: control.GroundProbs,
	}
	if in.testFeat, in.testProbs, err = embedSet(ctx, ground, e.photosTest); err != nil {
		return err
	}
	h := scaledHeldOut{views: v, testFeat: in.testFeat, testLabels: e.photosTest.Labels, shipped: e.res.Set.NoiseScale()}
	names := make([]string, 0, len(d.Test))
	for _, i := range d.Test {
		in.patchGround = append(in.patchGround, d.ItemGround[i])
		h.conds, names = append(h.conds, conds[i]), append(names, d.ItemNames[i])
	}
	h.ground, h.seeds = in.patchGround, itemSeeds(seed, names)
	q, err := measureQuality(ctx, ground, in, rng(seed, "frechet"))
	if err != nil {
		return err
	}
	q.TrainPatches = len(d.Train)
	q.TrainConsistency = trainConsistency(d, vo.GroundProbs, v)
	e.res.Quality = append(e.res.Quality, q)

	if err := e.measureNoiseScales(ctx, seed, ground, h); err != nil {
		return err
	}
	if seed != 1 {
		return nil
	}

	for _, item := range e.sampleItems(d) {
		c := e.patchesTest.Labels[slices.Index(d.Test, item)]
		rgb := chwToHWC(e.patchesTest.rgb(slices.Index(d.Test, item)), e.patchesTest.Size)
		label := fmt.Sprintf("%s (%s)", training.UCMercedClasses[c].Name, training.GroundClasses[d.ItemGround[item]].Name)
		e.res.Samples = append(e.res.Samples, sampleRow{Label: label, Overhead: rgb, Size: e.patchesTest.Size, Views: vo.Kept[item]})
	}
	return e.checkCopies(ctx, ground, vo)
}

// trainConsistency returns the share of the training items' views that
// the ground classifier assigns to the item's ground class. probs has
// views rows per item, item-major, for all items.
func trainConsistency(d *landUseData, probs [][]float32, views int) float64 {
	var truth []int
	var rows [][]float32
	for _, i := range d.Train {
		for j := range views {
			truth = append(truth, d.ItemGround[i])
			rows = append(rows, probs[i*views+j])
		}
	}
	acc, _ := agreement(truth, argmaxRows(rows), len(training.GroundClasses))
	return acc
}

// controlViews generates and scores the views of every held-out patch
// from the mean condition of all training patches, with the patch's own
// noise.
func (e *evaluator) controlViews(ctx context.Context, seed int64, ground *groundNet) (*viewOutputs, error) {
	d := e.ucmerced
	conds, err := e.set.Encode(ctx, e.trainInputs)
	if err != nil {
		return nil, err
	}
	mean := make([]float32, len(conds[0]))
	for _, c := range conds {
		for j, x := range c {
			mean[j] += x / float32(len(conds))
		}
	}
	constant := make([][]float32, len(d.Test))
	names := make([]string, len(d.Test))
	for k, i := range d.Test {
		constant[k], names[k] = mean, d.ItemNames[i]
	}
	return runViews(ctx, e.set, ground, constant, itemSeeds(seed, names), e.budget.views, false, nil)
}

// checkCopies matches copyQueries generated views and as many held-out
// real photos against the training photos, and keeps the first eight
// matches for the sheet.
func (e *evaluator) checkCopies(ctx context.Context, ground *groundNet, vo *viewOutputs) error {
	d, v := e.ucmerced, e.budget.views
	var views, viewFeat, real [][]float32
	for _, item := range e.copyItems(d) {
		views = append(views, vo.Kept[item][0])
		viewFeat = append(viewFeat, vo.GroundFeat[item*v])
	}
	n := min(len(views), e.photosTest.Len())
	for k := range n {
		real = append(real, e.photosTest.normalized(k*e.photosTest.Len()/n, false))
	}
	realFeat, _, err := ground.embed(ctx, real)
	if err != nil {
		return err
	}
	trainFeat, _, err := embedSet(ctx, ground, e.photosTrain)
	if err != nil {
		return err
	}
	e.progress("seed 1: matching %d views and %d real photos against %d training photos", len(views), len(real), e.photosTrain.Len())
	c, err := newCopyCheck(ctx, views, viewFeat, real, realFeat, e.photosTrain, trainFeat)
	if err != nil {
		return err
	}
	e.res.Copy = c
	for k := range min(8, len(views)) {
		m := c.Views[k]
		e.res.CopySamples = append(e.res.CopySamples, copySample{View: views[k], Match: m, PixelPhoto: e.photosTrain.rgb(m.Pixel), FeaturePhoto: e.photosTrain.rgb(m.Feature)})
	}
	return nil
}
