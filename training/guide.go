//go:build onnx

package training

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// guideLR is the guide's initial Adam learning rate, decayed along a
// cosine (cosineDecay) over its training.
const guideLR = 1e-3

// trainGuide fits the guide (Arch.GuideWeight) to the training photos
// before the first GAN step: class-weighted cross-entropy, random
// horizontal flips, Adam from guideLR along a cosine. It records the
// guide's accuracy on the held-out photos as the metric
// guide_test_accuracy and writes a checkpoint. A run interrupted during
// this phase trains the guide again from the start.
func (r *runner) trainGuide(ctx context.Context) error {
	photos := r.data.PhotosTrain
	batch := min(r.cfg.BatchSize, photos.Len())
	perEpoch := photos.Len() / batch
	total := r.cfg.Arch.guideEpochs() * perEpoch
	k := r.eng.arch.AuxClasses
	weights := classWeights(photos.Labels, k)
	log, err := openLossLog(filepath.Join(r.runDir, "guide-losses.csv"), []string{"step", "epoch", "loss"}, 0)
	if err != nil {
		return err
	}
	defer log.Close()

	start := time.Now()
	for step := 0; step < total; step++ {
		if err := r.wait(ctx); err != nil {
			return err
		}
		epoch, s := step/perEpoch, step%perEpoch
		idx := r.rng("guide-epoch", epoch).Perm(photos.Len())[s*batch : (s+1)*batch]
		flip, _ := randomAugment(r.rng("guide-step", step), batch)
		y := make([]float32, batch*k)
		for b, i := range idx {
			y[b*k+photos.Labels[i]] = weights[photos.Labels[i]]
		}
		loss, err := r.eng.guideTrainStep(photos.batch(idx, flip, nil), y, batch, cosineDecay(guideLR, step, total))
		if err != nil {
			return err
		}
		if err := log.add(float64(step+1), float64(epoch), float64(loss)); err != nil {
			return fmt.Errorf("write guide loss log: %w", err)
		}
		r.opts.emit(Event{Phase: PhaseGuide, Epoch: epoch, Epochs: r.cfg.Arch.guideEpochs(), Step: step + 1, Steps: total,
			Losses: map[string]float64{"loss": float64(loss)}, Elapsed: r.elapsed(), ETA: eta(start, step+1, 0, total)})
	}

	acc, err := r.guideTestAccuracy(ctx)
	if err != nil {
		return err
	}
	r.st.GuideSteps = total
	r.st.Metrics["guide_test_accuracy"] = acc
	r.opts.emit(Event{Phase: PhaseGuide, Step: total, Steps: total, Elapsed: r.elapsed(),
		Message: fmt.Sprintf("guide held-out accuracy over %d ground classes: %.3f", k, acc)})
	return r.checkpoint()
}

// guideTestAccuracy returns the share of held-out photos whose guide
// logits peak at their ground class.
func (r *runner) guideTestAccuracy(ctx context.Context) (float64, error) {
	test := r.data.PhotosTest
	if test.Len() == 0 {
		return 0, errors.New("guide: no held-out photos found to measure its accuracy; check the photo folders under data_dir")
	}
	const evalBatch = 64
	k := r.eng.arch.AuxClasses
	var all []float32
	for start := 0; start < test.Len(); start += evalBatch {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n := min(evalBatch, test.Len()-start)
		idx := make([]int, evalBatch)
		for b := range idx {
			idx[b] = start + min(b, n-1)
		}
		logits, err := r.eng.guideLogits(test.batch(idx, nil, nil), evalBatch)
		if err != nil {
			return 0, err
		}
		all = append(all, logits[:n*k]...)
	}
	return accuracy(all, k, func(i int) int { return test.Labels[i] }), nil
}
