//go:build onnx

package training

import (
	"context"
	"fmt"
	"math"
)

// viewFeatures generates views per condition (conds is [N,CondDim]) with
// noise drawn from the purpose's generator and returns the discriminator
// features of each view [N*views,F] and its auxiliary logits (nil without
// the head), in fixed batches of evalBatch.
func (r *runner) viewFeatures(ctx context.Context, conds []float32, views int, purpose string) (features, aux []float32, err error) {
	const evalBatch = 64
	n := len(conds) / CondDim * views
	rng := r.rng(purpose, 0)
	batchCond := make([]float32, evalBatch*CondDim)
	for start := 0; start < n; start += evalBatch {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		m := min(evalBatch, n-start)
		for b := 0; b < evalBatch; b++ {
			j := (start + min(b, m-1)) / views
			copy(batchCond[b*CondDim:(b+1)*CondDim], conds[j*CondDim:(j+1)*CondDim])
		}
		noise := normalNoise(rng, evalBatch)
		imgs, err := r.eng.generate(batchCond, noise, evalBatch)
		if err != nil {
			return nil, nil, err
		}
		f, a, err := r.eng.discriminate(imgs, batchCond, evalBatch)
		if err != nil {
			return nil, nil, err
		}
		features = append(features, f[:m*r.eng.featureDim()]...)
		if a != nil {
			k := len(a) / evalBatch
			aux = append(aux, a[:m*k]...)
		}
	}
	return features, aux, nil
}

// ensureClassifier trains the land-use classifier on the discriminator
// features of generated views of the training patches, unless the stored
// one was trained after the current GAN step at the current noise scale.
// It records held-out metrics.
//
// With save false (an export from another process's checkpoint) the new
// classifier stays in memory: writing the checkpoint could replace a newer
// one from a run still in progress.
func (r *runner) ensureClassifier(ctx context.Context, save bool) error {
	if r.st.classifierCurrent(r.cfg.NoiseScale) {
		if r.st.Phase == PhaseClassifier {
			r.st.Phase = PhaseDone
		}
		return nil
	}
	if r.conds == nil {
		if err := r.computeConditions(ctx); err != nil {
			return err
		}
	}
	r.opts.emit(Event{Phase: PhaseClassifier, Elapsed: r.elapsed(), Message: "extracting discriminator features"})
	views := r.cfg.ClassifierViews
	train := r.data.OverheadTrain
	trainConds := make([]float32, train.Len()*CondDim)
	for i := 0; i < train.Len(); i++ {
		p := i * augmentations // the unaugmented patch
		copy(trainConds[i*CondDim:(i+1)*CondDim], r.conds[p*CondDim:(p+1)*CondDim])
	}
	features, _, err := r.viewFeatures(ctx, trainConds, views, "classifier-train-views")
	if err != nil {
		return err
	}
	labels := make([]int, len(features)/r.eng.featureDim())
	for i := range labels {
		labels[i] = landUseLabel(r.data.UrbanOfClass[train.Labels[i/views]])
	}
	if err := r.fitClassifier(ctx, features, labels); err != nil {
		return err
	}
	if err := r.evaluate(ctx); err != nil {
		return err
	}
	r.st.ClassifierAtGANStep = r.st.GANSteps
	r.st.ClassifierNoiseScale = r.cfg.NoiseScale
	if r.st.Phase == PhaseClassifier {
		r.st.Phase = PhaseDone
	}
	if !save {
		return nil
	}
	return r.checkpoint()
}

// fitClassifier standardises the features and trains the classifier with
// class weights inversely proportional to the class counts, so that the
// rarer class (rural, in UC Merced and Olinda) is not ignored.
func (r *runner) fitClassifier(ctx context.Context, features []float32, labels []int) error {
	f := r.eng.featureDim()
	n := len(labels)
	mean, std := standardisation(features, f)
	if err := r.eng.setClassifierStandardisation(mean, std); err != nil {
		return err
	}
	k := len(LandUseClasses)
	weights := classWeights(labels, k)
	batch := min(128, n)
	for step := 0; step < r.cfg.ClassifierSteps; step++ {
		if err := r.wait(ctx); err != nil {
			return err
		}
		rng := r.rng("classifier-step", step)
		x := make([]float32, batch*f)
		y := make([]float32, batch*k)
		for b := 0; b < batch; b++ {
			i := rng.IntN(n)
			copy(x[b*f:(b+1)*f], features[i*f:(i+1)*f])
			y[b*k+labels[i]] = weights[labels[i]]
		}
		loss, err := r.eng.classifierTrainStep(x, y, batch)
		if err != nil {
			return err
		}
		if step%20 == 0 || step == r.cfg.ClassifierSteps-1 {
			r.opts.emit(Event{Phase: PhaseClassifier, Step: step + 1, Steps: r.cfg.ClassifierSteps,
				Losses: map[string]float64{"loss": float64(loss)}, Elapsed: r.elapsed()})
		}
	}
	return nil
}

func standardisation(x []float32, f int) (mean, std []float32) {
	n := len(x) / f
	mean, std = make([]float32, f), make([]float32, f)
	for j := 0; j < f; j++ {
		var s, ss float64
		for i := 0; i < n; i++ {
			v := float64(x[i*f+j])
			s += v
			ss += v * v
		}
		m := s / float64(n)
		mean[j] = float32(m)
		std[j] = float32(math.Sqrt(math.Max(ss/float64(n)-m*m, 0)) + 1e-6)
	}
	return mean, std
}

// evaluate records held-out metrics: the land-use classifier's accuracy and
// balanced accuracy on test patches (probabilities averaged over the
// views), and the share of generated test views that the discriminator's
// auxiliary head assigns to the patch's ground class.
func (r *runner) evaluate(ctx context.Context) error {
	test := r.data.OverheadTest
	views := r.cfg.ClassifierViews
	features, aux, err := r.viewFeatures(ctx, r.testConds, views, "classifier-test-views")
	if err != nil {
		return err
	}
	k := len(LandUseClasses)
	var probs []float32
	f := r.eng.featureDim()
	for start := 0; start < len(features)/f; start += 64 {
		m := min(64, len(features)/f-start)
		x := make([]float32, 64*f)
		copy(x, features[start*f:(start+m)*f])
		p, err := r.eng.classify(x, 64)
		if err != nil {
			return err
		}
		probs = append(probs, p[:m*k]...)
	}
	confusion := make([][]int, k)
	for c := range confusion {
		confusion[c] = make([]int, k)
	}
	for i := 0; i < test.Len(); i++ {
		mean := make([]float32, k)
		for v := 0; v < views; v++ {
			for c := 0; c < k; c++ {
				mean[c] += probs[(i*views+v)*k+c]
			}
		}
		confusion[landUseLabel(r.data.UrbanOfClass[test.Labels[i]])][argmax(mean)]++
	}
	acc, balanced := confusionScores(confusion)
	r.st.Metrics["landuse_test_accuracy"] = acc
	r.st.Metrics["landuse_test_balanced_accuracy"] = balanced
	r.st.Metrics["landuse_test_patches"] = float64(test.Len())
	if aux != nil {
		ka := len(GroundClasses)
		r.st.Metrics["aux_class_consistency_test"] = accuracy(aux, ka, func(j int) int {
			return r.data.GroundOfClass[test.Labels[j/views]]
		})
	}
	r.opts.emit(Event{Phase: PhaseClassifier, Elapsed: r.elapsed(),
		Message: fmt.Sprintf("land-use held-out accuracy %.3f, balanced %.3f", acc, balanced)})
	return nil
}

// confusionScores returns accuracy and balanced accuracy (the mean recall
// over classes present) of a confusion matrix indexed [truth][prediction].
func confusionScores(m [][]int) (acc, balanced float64) {
	total, correct, classes := 0, 0, 0
	var recall float64
	for t := range m {
		row := 0
		for p := range m[t] {
			row += m[t][p]
		}
		total += row
		correct += m[t][t]
		if row > 0 {
			classes++
			recall += float64(m[t][t]) / float64(row)
		}
	}
	if total == 0 || classes == 0 {
		return 0, 0
	}
	return float64(correct) / float64(total), recall / float64(classes)
}

// classWeights returns, for each of k classes, n/(k*count): weights
// inversely proportional to the class counts of labels, which average 1
// over the examples.
func classWeights(labels []int, k int) []float32 {
	counts := make([]int, k)
	for _, l := range labels {
		counts[l]++
	}
	weights := make([]float32, k)
	for c := range weights {
		weights[c] = float32(len(labels)) / float32(k*max(counts[c], 1))
	}
	return weights
}
