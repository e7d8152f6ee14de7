//go:build onnx

package training

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Result summarises a finished run or export.
type Result struct {
	ExportDir string
	GANSteps  int
	Elapsed   time.Duration
	Metrics   map[string]float64
}

// Run trains the model set described by cfg, resuming from the checkpoint
// in cfg.RunDir when there is one, and exports it to cfg.ExportDir. It
// returns ctx.Err() (with the last checkpoint saved) when ctx is cancelled.
func Run(ctx context.Context, cfg Config, opts Options) (*Result, error) {
	r, err := newRunner(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if err := r.train(ctx); err != nil {
		return nil, err
	}
	return r.export(ctx)
}

// Export writes the model set from the latest checkpoint in cfg.RunDir to
// cfg.ExportDir, at any point after the GAN's first checkpoint, also while
// another process is still training into that folder. When the checkpoint
// holds no classifier trained on its current discriminator, Export trains
// one first (a minute or two) without writing the checkpoint.
func Export(ctx context.Context, cfg Config, opts Options) (*Result, error) {
	r, err := newRunner(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if r.st.GANSteps == 0 {
		return nil, fmt.Errorf("export %s: the checkpoint in %s has no GAN steps yet (phase %q); train further first", cfg.Name, cfg.Resolve(cfg.RunDir), r.st.Phase)
	}
	if err := r.ensureClassifier(ctx, false); err != nil {
		return nil, err
	}
	return r.export(ctx)
}

// runner holds one run's data, engine and state.
type runner struct {
	cfg    Config
	opts   Options
	data   *pairedData
	eng    *engine
	st     runState
	runDir string
	start  time.Time

	conds     []float32 // conditions of the training patches, augmentation-major per patch
	testConds []float32 // conditions of the test patches, unaugmented
	byGround  [][]int   // training patch indices per ground class

	photosByGround [][]int // training photo indices per ground class
}

// augmentations per training patch when precomputing conditions: two
// flips times four quarter turns.
const augmentations = 8

func newRunner(ctx context.Context, cfg Config, opts Options) (*runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, opts: opts, runDir: cfg.Resolve(cfg.RunDir), start: time.Now()}
	r.st = runState{ConfigHash: cfg.Hash(), EncoderHash: cfg.EncoderHash(), Phase: PhaseEncoder, ClassifierAtGANStep: -1, Metrics: map[string]float64{}}
	opts.emit(Event{Phase: PhaseData, Message: "loading images"})
	if err := r.loadData(); err != nil {
		return nil, err
	}
	arch := cfg.Arch
	if arch.AuxWeight > 0 {
		arch.AuxClasses = len(GroundClasses)
	}
	eng, err := newEngine(arch, cfg.Seed, len(r.data.OverheadClasses))
	if err != nil {
		return nil, err
	}
	r.eng = eng
	r.eng.noiseScale = cfg.NoiseScale
	if cfg.EncoderGroundWeight > 0 {
		r.eng.groundLoss = groundLoss{weight: cfg.EncoderGroundWeight, groundOf: r.data.GroundOfClass, groundClasses: len(GroundClasses)}
	}
	if err := r.resume(); err != nil {
		r.close()
		return nil, err
	}
	return r, ctx.Err()
}

func (r *runner) loadData() error {
	var err error
	switch r.cfg.Setting {
	case SettingUCMerced:
		r.data, err = loadUCMerced(r.cfg)
	case SettingLandsat:
		r.data, err = loadLandsat(r.cfg)
	}
	if err != nil {
		return err
	}
	r.byGround = make([][]int, len(GroundClasses))
	for i, c := range r.data.OverheadTrain.Labels {
		g := r.data.GroundOfClass[c]
		r.byGround[g] = append(r.byGround[g], i)
	}
	r.photosByGround = make([][]int, len(GroundClasses))
	for i, g := range r.data.PhotosTrain.Labels {
		r.photosByGround[g] = append(r.photosByGround[g], i)
	}
	return nil
}

func (r *runner) resume() error {
	ck, err := readCheckpoint(checkpointPath(r.runDir))
	if errors.Is(err, os.ErrNotExist) {
		return r.takeOverEncoder()
	}
	if err != nil {
		return err
	}
	if ck.State.ConfigHash != r.st.ConfigHash {
		return fmt.Errorf("checkpoint %s was written under another configuration (hash %s, this one %s); use another run_dir or delete the checkpoint to start over",
			checkpointPath(r.runDir), ck.State.ConfigHash, r.st.ConfigHash)
	}
	if err := r.eng.loadVariables(ck); err != nil {
		return err
	}
	r.st = ck.State
	if r.st.Metrics == nil {
		r.st.Metrics = map[string]float64{}
	}
	return nil
}

// takeOverEncoder loads the trained encoder of the checkpoint named by
// EncoderFrom, if any, and starts this run at the GAN phase.
func (r *runner) takeOverEncoder() error {
	if r.cfg.EncoderFrom == "" {
		return nil
	}
	path := r.cfg.Resolve(r.cfg.EncoderFrom)
	ck, err := readCheckpoint(path)
	if err != nil {
		return fmt.Errorf("encoder_from: %w", err)
	}
	// NOTE: checkpoints written before EncoderHash existed carry none and
	// are taken over unchecked.
	if ck.State.EncoderHash != "" && ck.State.EncoderHash != r.st.EncoderHash {
		return fmt.Errorf("encoder_from %s: its encoder was trained on other splits or settings (hash %s, this run %s)", path, ck.State.EncoderHash, r.st.EncoderHash)
	}
	if ck.State.EncoderSteps == 0 || (ck.State.Phase == PhaseEncoder) {
		return fmt.Errorf("encoder_from %s: its encoder phase is not finished", path)
	}
	var encoderVars []savedVar
	for _, v := range ck.Vars {
		if strings.HasPrefix(v.Path, "/"+scopeEncoder+"/") {
			encoderVars = append(encoderVars, v)
		}
	}
	if err := r.eng.loadVariables(&checkpoint{Vars: encoderVars}); err != nil {
		return err
	}
	r.st.Phase = PhaseGAN
	r.st.EncoderSteps = ck.State.EncoderSteps
	if acc, ok := ck.State.Metrics["encoder_test_accuracy"]; ok {
		r.st.Metrics["encoder_test_accuracy"] = acc
	}
	return nil
}

func (r *runner) close() {
	if r.eng != nil {
		r.eng.Close()
		r.eng = nil
	}
}

func (r *runner) elapsed() time.Duration {
	return time.Duration(r.st.ElapsedSeconds*float64(time.Second)) + time.Since(r.start)
}

func (r *runner) checkpoint() error {
	st := r.st
	st.ElapsedSeconds = r.elapsed().Seconds()
	return r.eng.saveCheckpoint(checkpointPath(r.runDir), st)
}

// train runs the phases that are not done yet.
func (r *runner) train(ctx context.Context) error {
	if err := os.MkdirAll(r.runDir, 0o755); err != nil {
		return fmt.Errorf("create run folder: %w", err)
	}
	if r.st.Phase == PhaseEncoder {
		if err := r.trainEncoder(ctx); err != nil {
			return err
		}
	}
	if err := r.computeConditions(ctx); err != nil {
		return err
	}
	if r.st.Phase == PhaseGAN && r.cfg.Arch.GuideWeight > 0 {
		if r.st.GuideSteps == 0 {
			if err := r.trainGuide(ctx); err != nil {
				return err
			}
		} else if !r.eng.hasVariables(scopeGuide) {
			// The GAN step would otherwise create a random guide and
			// train against it.
			return fmt.Errorf("invalid checkpoint in %s: it records a trained guide but contains no guide variables; delete the checkpoint to start over", r.runDir)
		}
	}
	if r.st.Phase == PhaseGAN {
		if err := r.trainGAN(ctx); err != nil {
			return err
		}
	}
	return r.ensureClassifier(ctx, true)
}

// rng returns a generator seeded by the run's seed, a purpose and a number
// (epoch or step), so that every random choice is reproducible and
// independent of where a run was resumed.
func (r *runner) rng(purpose string, n int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(uint64(r.cfg.Seed)^h.Sum64(), uint64(n)))
}

func (r *runner) wait(ctx context.Context) error {
	return r.opts.Pause.wait(ctx)
}

func eta(start time.Time, done, doneAtStart, total int) time.Duration {
	if done <= doneAtStart {
		return 0
	}
	per := time.Since(start) / time.Duration(done-doneAtStart)
	return per * time.Duration(total-done)
}

// trainEncoder trains the overhead classifier whose penultimate layer is
// the condition.
func (r *runner) trainEncoder(ctx context.Context) error {
	train := r.data.OverheadTrain
	batch := min(r.cfg.BatchSize, train.Len())
	perEpoch := train.Len() / batch
	total := r.cfg.EncoderEpochs * perEpoch
	log, err := openLossLog(filepath.Join(r.runDir, "encoder-losses.csv"), []string{"step", "epoch", "loss", "train_accuracy"}, r.st.Step)
	if err != nil {
		return err
	}
	defer log.Close()
	phaseStart, startStep := time.Now(), r.st.Step
	k := len(r.data.OverheadClasses)
	for r.st.Step < total {
		if err := r.wait(ctx); err != nil {
			return errors.Join(err, r.checkpoint())
		}
		epoch, s := r.st.Step/perEpoch, r.st.Step%perEpoch
		idx := r.rng("encoder-epoch", epoch).Perm(train.Len())[s*batch : (s+1)*batch]
		patches, onehot := r.encoderBatch(idx, r.st.Step)
		if r.cfg.EncoderSchedule == "cosine" {
			if err := r.eng.setLearningRate(scopeEncoder, cosineDecay(r.cfg.EncoderLR, r.st.Step, total)); err != nil {
				return fmt.Errorf("set encoder learning rate: %w", err)
			}
		}
		loss, logits, err := r.eng.encoderTrainStep(patches, onehot, batch, train.Size, r.cfg.EncoderLR)
		if err != nil {
			return err
		}
		// Under mixup a row's label is the class with the larger share.
		acc := accuracy(logits, k, func(b int) int { return argmax(onehot[b*k : (b+1)*k]) })
		r.st.Step++
		r.st.EncoderSteps = r.st.Step
		r.st.Epoch = r.st.Step / perEpoch
		if err := log.add(float64(r.st.Step), float64(epoch), float64(loss), acc); err != nil {
			return fmt.Errorf("write encoder loss log: %w", err)
		}
		r.opts.emit(Event{Phase: PhaseEncoder, Epoch: epoch, Epochs: r.cfg.EncoderEpochs, Step: r.st.Step, Steps: total,
			Losses: map[string]float64{"loss": float64(loss), "accuracy": acc}, Elapsed: r.elapsed(), ETA: eta(phaseStart, r.st.Step, startStep, total)})
		if r.st.Step%r.cfg.CheckpointEvery == 0 && r.st.Step < total {
			if err := r.checkpoint(); err != nil {
				return err
			}
		}
	}
	testAcc, err := r.encoderTestAccuracy(ctx)
	if err != nil {
		// The last steps may not be in a checkpoint yet.
		return errors.Join(err, r.checkpoint())
	}
	r.st.Metrics["encoder_test_accuracy"] = testAcc
	r.st.Phase, r.st.Epoch, r.st.Step = PhaseGAN, 0, 0
	r.opts.emit(Event{Phase: PhaseEncoder, Step: total, Steps: total, Elapsed: r.elapsed(),
		Message: fmt.Sprintf("encoder held-out accuracy over %d overhead classes: %.3f", k, testAcc)})
	return r.checkpoint()
}

// encoderBatch returns the patches [len(idx),3,P,P] and label rows
// [len(idx),K] of one encoder training step: the training patches at idx,
// flipped, turned and shifted at random, then blended by mixup when it is
// on. step seeds the random draws.
func (r *runner) encoderBatch(idx []int, step int) (patches, onehot []float32) {
	train := r.data.OverheadTrain
	n, k := len(idx), len(r.data.OverheadClasses)
	flip, rot := randomAugment(r.rng("encoder-step", step), n)
	onehot = make([]float32, n*k)
	for b, i := range idx {
		onehot[b*k+train.Labels[i]] = 1
	}

	patches = train.batch(idx, flip, rot)
	shift(r.rng("encoder-shift", step), patches, n, train.Size, r.cfg.EncoderShift)
	if r.cfg.EncoderMixup > 0 {
		mixup(r.rng("encoder-mixup", step), r.cfg.EncoderMixup, patches, onehot, n)
	}
	return patches, onehot
}

// cosineDecay returns the learning rate at step of total: lr at step 0,
// falling along half a cosine to lr/100 at the last step.
func cosineDecay(lr float64, step, total int) float64 {
	if total <= 1 {
		return lr
	}
	floor := lr / 100
	return floor + (lr-floor)*0.5*(1+math.Cos(math.Pi*float64(step)/float64(total-1)))
}

func randomAugment(rng *rand.Rand, n int) ([]bool, []int) {
	flip := make([]bool, n)
	rot := make([]int, n)
	for i := range flip {
		flip[i] = rng.IntN(2) == 1
		rot[i] = rng.IntN(4)
	}
	return flip, rot
}

// accuracy returns the share of rows of logits [B,k] whose argmax is label(b).
func accuracy(logits []float32, k int, label func(b int) int) float64 {
	n := len(logits) / k
	correct := 0
	for b := 0; b < n; b++ {
		if argmax(logits[b*k:(b+1)*k]) == label(b) {
			correct++
		}
	}
	return float64(correct) / float64(max(n, 1))
}

func argmax(v []float32) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// encodeAll returns the conditions and logits of the patches idx of set
// with the given augmentations, in fixed batches of evalBatch (the last is
// padded by repetition, so one compiled graph serves every call).
func (r *runner) encodeAll(ctx context.Context, set *imageSet, idx []int, flip []bool, rot []int) (cond, logits []float32, err error) {
	const evalBatch = 64
	k := len(r.data.OverheadClasses)
	for start := 0; start < len(idx); start += evalBatch {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		n := min(evalBatch, len(idx)-start)
		bi, bf, br := make([]int, evalBatch), make([]bool, evalBatch), make([]int, evalBatch)
		for b := range bi {
			j := start + min(b, n-1)
			bi[b], bf[b], br[b] = idx[j], flip[j], rot[j]
		}
		c, lg, err := r.eng.encode(set.batch(bi, bf, br), evalBatch, set.Size)
		if err != nil {
			return nil, nil, err
		}
		cond = append(cond, c[:n*CondDim]...)
		logits = append(logits, lg[:n*k]...)
	}
	return cond, logits, nil
}

func (r *runner) encoderTestAccuracy(ctx context.Context) (float64, error) {
	test := r.data.OverheadTest
	n := test.Len()
	_, logits, err := r.encodeAll(ctx, test, iota(n), make([]bool, n), make([]int, n))
	if err != nil {
		return 0, err
	}
	return accuracy(logits, len(r.data.OverheadClasses), func(b int) int { return test.Labels[b] }), nil
}

// computeConditions encodes every training patch under the eight flips and
// quarter turns, and every test patch as it is.
func (r *runner) computeConditions(ctx context.Context) error {
	r.opts.emit(Event{Phase: PhaseConditions, Elapsed: r.elapsed(), Message: "encoding overhead patches"})
	train := r.data.OverheadTrain
	var idx, rot []int
	var flip []bool
	for i := 0; i < train.Len(); i++ {
		for a := 0; a < augmentations; a++ {
			idx, flip, rot = append(idx, i), append(flip, a >= 4), append(rot, a%4)
		}
	}
	var err error
	if r.conds, _, err = r.encodeAll(ctx, train, idx, flip, rot); err != nil {
		return err
	}
	test := r.data.OverheadTest
	n := test.Len()
	var logits []float32
	if r.testConds, logits, err = r.encodeAll(ctx, test, iota(n), make([]bool, n), make([]int, n)); err != nil {
		return err
	}
	r.st.Metrics["encoder_test_ground_accuracy"] = r.groundAccuracy(logits)
	return ctx.Err()
}

// groundAccuracy returns the share of test patches whose predicted
// overhead class maps to the same ground class as their true class: the
// share of held-out conditions that point the generator at the right kind
// of ground view. logits are [test patches, overhead classes].
func (r *runner) groundAccuracy(logits []float32) float64 {
	test := r.data.OverheadTest
	k := len(r.data.OverheadClasses)
	hits := 0
	for b := 0; b < test.Len(); b++ {
		pred := argmax(logits[b*k : (b+1)*k])
		if r.data.GroundOfClass[pred] == r.data.GroundOfClass[test.Labels[b]] {
			hits++
		}
	}
	return float64(hits) / float64(max(test.Len(), 1))
}

// normalNoise returns n*NoiseDim standard-normal values.
func normalNoise(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n*NoiseDim)
	for i := range out {
		out[i] = float32(rng.NormFloat64())
	}
	return out
}

// trainGAN runs the GAN epochs over the training photos. Each photo is
// paired with a random training patch whose class maps to the photo's
// ground class, under a random flip and quarter turn.
func (r *runner) trainGAN(ctx context.Context) error {
	photos := r.data.PhotosTrain
	batch := min(r.cfg.BatchSize, photos.Len())
	perEpoch := photos.Len() / batch
	total := r.cfg.GANEpochs * perEpoch
	log, err := openLossLog(filepath.Join(r.runDir, "gan-losses.csv"),
		[]string{"step", "epoch", "loss_d", "loss_g", "d_real", "d_fake", "aux_real"}, r.st.Step)
	if err != nil {
		return err
	}
	defer log.Close()
	phaseStart, startStep := time.Now(), r.st.Step
	stopAt := total
	if r.cfg.MaxSteps > 0 {
		stopAt = min(total, r.st.Step+r.cfg.MaxSteps)
	}
	for r.st.Step < stopAt && (r.opts.GANTimeLimit <= 0 || time.Since(phaseStart) < r.opts.GANTimeLimit) {
		if err := r.wait(ctx); err != nil {
			return errors.Join(err, r.checkpoint())
		}
		epoch, s := r.st.Step/perEpoch, r.st.Step%perEpoch
		idx := r.rng("gan-epoch", epoch).Perm(photos.Len())[s*batch : (s+1)*batch]
		l, err := r.ganStep(photos, idx)
		if err != nil {
			return err
		}
		r.st.Step++
		r.st.GANSteps = r.st.Step
		r.st.Epoch = r.st.Step / perEpoch
		if err := log.add(float64(r.st.Step), float64(epoch), float64(l.D), float64(l.G), float64(l.DReal), float64(l.DFake), float64(l.AuxReal)); err != nil {
			return fmt.Errorf("write GAN loss log: %w", err)
		}
		ev := Event{Phase: PhaseGAN, Epoch: epoch, Epochs: r.cfg.GANEpochs, Step: r.st.Step, Steps: total,
			Losses:  map[string]float64{"d": float64(l.D), "g": float64(l.G), "d_real": float64(l.DReal), "d_fake": float64(l.DFake), "aux_real": float64(l.AuxReal)},
			Elapsed: r.elapsed(), ETA: eta(phaseStart, r.st.Step, startStep, total)}
		if r.st.Step%perEpoch == 0 {
			if ev.SampleGrid, err = r.writeSamples(fmt.Sprintf("gan-epoch-%03d.png", epoch+1)); err != nil {
				return err
			}
		}
		r.opts.emit(ev)
		if r.st.Step%r.cfg.CheckpointEvery == 0 || r.st.Step%perEpoch == 0 {
			if err := r.checkpoint(); err != nil {
				return err
			}
		}
	}
	if r.st.Step >= total {
		r.st.Phase = PhaseClassifier
	}
	return r.checkpoint()
}

// With the mode-seeking term on, the second half of the batch repeats the
// first half's conditions, each with another photo of the same class (and
// new noise), so that rows b and b+B/2 form the pairs the term compares.
func (r *runner) ganStep(photos *imageSet, idx []int) (ganLosses, error) {
	batch := len(idx)
	rng := r.rng("gan-step", r.st.Step)
	idx = append([]int(nil), idx...)
	half := batch
	if r.eng.arch.ModeSeeking > 0 {
		half = batch / 2
	}
	flip := make([]bool, batch)
	cond := make([]float32, batch*CondDim)
	auxDim := max(r.eng.arch.AuxClasses, 1)
	aux := make([]float32, batch*auxDim)
	for b := range idx {
		flip[b] = rng.IntN(2) == 1
		if b >= half {
			same := r.photosByGround[photos.Labels[idx[b-half]]]
			idx[b] = same[rng.IntN(len(same))]
		}
		g := photos.Labels[idx[b]]
		candidates := r.byGround[g]
		if len(candidates) == 0 {
			return ganLosses{}, fmt.Errorf("no training patch maps to ground class %q", GroundClasses[g].Name)
		}
		p := candidates[rng.IntN(len(candidates))]*augmentations + rng.IntN(augmentations)
		if b >= half {
			copy(cond[b*CondDim:(b+1)*CondDim], cond[(b-half)*CondDim:(b-half+1)*CondDim])
		} else {
			copy(cond[b*CondDim:(b+1)*CondDim], r.conds[p*CondDim:(p+1)*CondDim])
		}
		if r.eng.arch.AuxClasses > 0 {
			aux[b*auxDim+g] = 1
		}
	}
	noise := normalNoise(rng, batch)
	return r.eng.ganStep(photos.batch(idx, flip, nil), cond, noise, aux, batch, r.cfg.LR, r.cfg.Beta1, r.cfg.Beta2)
}

// samplePatches picks up to 8 test patches of distinct overhead classes,
// spread over the ground classes, for the sample grids.
func (r *runner) samplePatches() []int {
	test := r.data.OverheadTest
	seenGround := map[int]bool{}
	var picked []int
	for i := 0; i < test.Len() && len(picked) < 8; i++ {
		g := r.data.GroundOfClass[test.Labels[i]]
		if !seenGround[g] {
			seenGround[g] = true
			picked = append(picked, i)
		}
	}
	for i := 0; i < test.Len() && len(picked) < 8; i++ {
		if !contains(picked, i) && (i == 0 || test.Labels[i] != test.Labels[i-1]) {
			picked = append(picked, i)
		}
	}
	return picked
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// writeSamples writes a grid to samples/name: one row per sample patch,
// the patch (resized to 64x64) first, then 7 generated views with fixed
// noise.
func (r *runner) writeSamples(name string) (string, error) {
	const views = 7
	test := r.data.OverheadTest
	picked := r.samplePatches()
	noise := normalNoise(r.rng("sample-noise", 0), views)
	rows := make([][][]float32, len(picked))
	cond := make([]float32, views*CondDim)
	for i, p := range picked {
		for v := 0; v < views; v++ {
			copy(cond[v*CondDim:(v+1)*CondDim], r.testConds[p*CondDim:(p+1)*CondDim])
		}
		imgs, err := r.eng.generate(cond, noise, views)
		if err != nil {
			return "", err
		}
		rows[i] = append(rows[i], resizeCHW(test.batch([]int{p}, nil, nil), test.Size, ImageSize))
		plane := 3 * ImageSize * ImageSize
		for v := 0; v < views; v++ {
			rows[i] = append(rows[i], imgs[v*plane:(v+1)*plane])
		}
	}
	path := filepath.Join(r.runDir, "samples", name)
	return path, writeGrid(path, rows, ImageSize)
}

// resizeCHW resizes a [3,from,from] image to [3,to,to] by nearest neighbour.
func resizeCHW(data []float32, from, to int) []float32 {
	if from == to {
		return data
	}
	out := make([]float32, 3*to*to)
	for c := 0; c < 3; c++ {
		for y := 0; y < to; y++ {
			for x := 0; x < to; x++ {
				out[c*to*to+y*to+x] = data[c*from*from+(y*from/to)*from+x*from/to]
			}
		}
	}
	return out
}

var _ = math.Sqrt
