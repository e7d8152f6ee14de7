//go:build onnx

package training

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute-onnx" // registers the "onnx" backend
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// BackendConfig selects GoMLX's ONNX Runtime backend on the CPU. The
// backend reads the library path from ONNXRUNTIME_SHARED_LIBRARY_PATH.
const BackendConfig = "onnx:cpu"

// engine owns the GoMLX backend, the model store with every network's
// variables, and the compiled graphs that train and run them.
type engine struct {
	arch            Arch
	seed            uint64
	overheadClasses int
	landUseClasses  int

	// noiseScale multiplies the noise in generate and in the exported
	// generator (Config.NoiseScale). newEngine sets it to 1.
	noiseScale float64

	// groundLoss adds the ground-class loss to encoder training when its
	// weight is above 0 (Config.EncoderGroundWeight).
	groundLoss groundLoss

	backend compute.Backend
	store   *model.Store
	execs   map[string]*model.Exec
}

// scaleNoise returns the noise node as the trained generator is sampled:
// multiplied by noiseScale.
func (e *engine) scaleNoise(noise *graph.Node) *graph.Node {
	if e.noiseScale == 1 {
		return noise
	}
	return graph.MulScalar(noise, e.noiseScale)
}

func newEngine(arch Arch, seed int64, overheadClasses int) (*engine, error) {
	backend, err := compute.NewWithConfig(BackendConfig)
	if err != nil {
		return nil, fmt.Errorf("start GoMLX backend %q (is ONNXRUNTIME_SHARED_LIBRARY_PATH set to libonnxruntime.so.1?): %w", BackendConfig, err)
	}
	return &engine{
		arch:            arch,
		seed:            uint64(seed),
		overheadClasses: overheadClasses,
		landUseClasses:  len(LandUseClasses),
		noiseScale:      1,
		backend:         backend,
		store:           model.NewStore(),
		execs:           map[string]*model.Exec{},
	}, nil
}

// Close releases the compiled graphs and variables. It is safe to call twice.
func (e *engine) Close() {
	for k, ex := range e.execs {
		ex.Finalize()
		delete(e.execs, k)
	}
	if e.store != nil {
		e.store.Finalize()
		e.store = nil
	}
}

func (e *engine) lc(training bool) *layerCtx {
	return &layerCtx{seed: e.seed, training: training, updateBN: training}
}

// exec returns the cached executor named name, building it with fn.
func (e *engine) exec(name string, fn func(*model.Scope, []*graph.Node) []*graph.Node) *model.Exec {
	if ex, ok := e.execs[name]; ok {
		return ex
	}
	ex := model.MustNewExec(e.backend, e.store, fn)
	e.execs[name] = ex
	return ex
}

// Call runs an executor and copies its float32 outputs to Go slices,
// turning GoMLX panics into errors. It frees the input and output tensors
// at once: their ONNX Runtime buffers live outside the Go heap, so waiting
// for the garbage collector lets memory grow by gigabytes over a run.
func Call(ex *model.Exec, args ...*tensors.Tensor) (out [][]float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("run GoMLX graph %s: %v", ex.Name(), r)
		}
	}()
	defer func() {
		for _, t := range args {
			t.FinalizeAll()
		}
	}()
	anyArgs := make([]any, len(args))
	for i, t := range args {
		anyArgs[i] = t
	}
	ts, err := ex.Call(anyArgs...)
	if err != nil {
		return nil, fmt.Errorf("run GoMLX graph %s: %w", ex.Name(), err)
	}
	for _, t := range ts {
		out = append(out, tensors.MustCopyFlatData[float32](t))
		t.FinalizeAll()
	}
	return out, nil
}

func tensor(data []float32, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

func adam(scopeName string, lr, beta1, beta2 float64) optimizer.Interface {
	return optimizer.Adam().Scope(scopeName).LearningRate(lr).Betas(beta1, beta2).Epsilon(1e-8).Done()
}

// setLearningRate sets the Adam learning rate of the network under
// scopeName, creating its variable when no graph has made it yet.
func (e *engine) setLearningRate(scopeName string, lr float64) error {
	v := optimizer.LearningRateVarWithValue(e.store.RootScope().At("%s", scopeName), dtypes.Float32, lr)
	return v.SetValue(tensors.FromValue(float32(lr)))
}

// CrossEntropy is the mean over the batch of -sum(target * log
// softmax(logits)) for logits and targets [B,K]; a target row is one-hot,
// blended, or multiplied by its class weight.
func CrossEntropy(logits, target *graph.Node) *graph.Node {
	return graph.Neg(graph.ReduceAllMean(graph.ReduceSum(graph.Mul(target, LogSoftmax(logits)), 1)))
}

// groundLoss is the encoder's ground-class loss: the cross-entropy of the
// ground class, whose probability is the summed softmax probability of
// the overhead classes that map to it.
type groundLoss struct {
	weight        float64
	groundOf      []int // ground class of each overhead class
	groundClasses int
}

// graph returns the loss for overhead-class logits [B,K] and label rows
// [B,K], one-hot or blended. The label rows are summed per ground class
// in the same way as the probabilities.
func (gl groundLoss) graph(logits, labels *graph.Node) *graph.Node {
	g := logits.Graph()
	k := len(gl.groundOf)
	toGround := make([][]float32, k)
	for i, gc := range gl.groundOf {
		toGround[i] = make([]float32, gl.groundClasses)
		toGround[i][gc] = 1
	}
	y := graph.MatMul(labels, graph.Const(g, toGround))
	return graph.Neg(graph.ReduceAllMean(graph.ReduceSum(graph.Mul(y, gl.logProbs(logits)), 1)))
}

// logProbs returns the log-probability of each ground class [B,G] as a
// log-sum-exp of the log-softmax of its overhead classes, so it stays
// finite and keeps its gradient however small the probability is.
func (gl groundLoss) logProbs(logits *graph.Node) *graph.Node {
	g := logits.Graph()
	k := len(gl.groundOf)

	// mask[c][i] is 0 for the overhead classes i of ground class c and a
	// large negative number for the others, whose exponentials become 0.
	// NOTE: a ground class without overhead classes (the Landsat setting
	// uses two of seven) gets a log-probability of about -1e30, which its
	// zero label share cancels. A mask of -Inf would turn it into NaN.
	mask := make([][][]float32, 1)
	mask[0] = make([][]float32, gl.groundClasses)
	for c := range mask[0] {
		mask[0][c] = make([]float32, k)
		for i, gc := range gl.groundOf {
			if gc != c {
				mask[0][c][i] = -1e30
			}
		}
	}
	z := graph.Add(graph.InsertAxes(LogSoftmax(logits), 1), graph.Const(g, mask)) // [B,G,K]
	top := graph.StopGradient(graph.ReduceAndKeep(z, graph.ReduceMax, 2))
	sum := graph.ReduceSum(graph.Exp(graph.Sub(z, top)), 2)
	return graph.Add(graph.Log(sum), graph.Squeeze(top, 2))
}

// encoderTrainStep runs one Adam step of the encoder on normalised patches
// [B,3,P,P] with overhead-class label rows [B,K] (one-hot, or blended by
// mixup) and returns the loss and the logits.
func (e *engine) encoderTrainStep(patches []float32, onehot []float32, batch, size int, lr float64) (loss float32, logits []float32, err error) {
	ex := e.exec("encoder_train", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		s := scope.At(scopeEncoder)
		_, lg := encoderNet(s, e.lc(true), e.arch, in[0], e.overheadClasses)
		l := CrossEntropy(lg, in[1])
		if e.groundLoss.weight > 0 {
			l = graph.Add(l, graph.MulScalar(e.groundLoss.graph(lg, in[1]), e.groundLoss.weight))
		}
		adam("adam_encoder", lr, 0.9, 0.999).UpdateGraph(s, l.Graph(), l)
		return []*graph.Node{l, lg}
	})
	out, err := Call(ex, tensor(patches, batch, 3, size, size), tensor(onehot, batch, e.overheadClasses))
	if err != nil {
		return 0, nil, err
	}
	return out[0][0], out[1], nil
}

// encode returns the conditions [B,CondDim] and logits [B,K] of
// normalised patches, with batch norm on its running statistics.
func (e *engine) encode(patches []float32, batch, size int) (cond, logits []float32, err error) {
	ex := e.exec("encoder_eval", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		c, lg := encoderNet(scope.At(scopeEncoder), e.lc(false), e.arch, in[0], e.overheadClasses)
		return []*graph.Node{c, lg}
	})
	out, err := Call(ex, tensor(patches, batch, 3, size, size))
	if err != nil {
		return nil, nil, err
	}
	return out[0], out[1], nil
}

// ganLosses are the losses of one GAN step.
type ganLosses struct {
	D, G    float32 // adversarial (+ auxiliary) losses
	DReal   float32 // mean sigmoid of the score on real images
	DFake   float32 // mean sigmoid of the score on generated images (before the update)
	AuxReal float32 // auxiliary ground-class loss on real images
}

// ganStep runs one discriminator update and then one generator update
// against the updated discriminator, in one graph. real is [B,3,64,64] in
// [-1,1]; cond [B,CondDim]; noise [B,NoiseDim]; aux one-hot ground classes
// [B,AuxClasses] (ignored when the auxiliary head is off).
func (e *engine) ganStep(real, cond, noise, aux []float32, batch int, lr, beta1, beta2 float64) (ganLosses, error) {
	ex := e.exec("gan_train", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		return e.ganStepGraph(scope, in[0], in[1], in[2], in[3], lr, beta1, beta2)
	})
	auxDim := max(e.arch.AuxClasses, 1)
	out, err := Call(ex, tensor(real, batch, 3, ImageSize, ImageSize), tensor(cond, batch, CondDim),
		tensor(noise, batch, NoiseDim), tensor(aux, batch, auxDim))
	if err != nil {
		return ganLosses{}, err
	}
	return ganLosses{D: out[0][0], G: out[1][0], DReal: out[2][0], DFake: out[3][0], AuxReal: out[4][0]}, nil
}

func (e *engine) ganStepGraph(scope *model.Scope, real, cond, noise, aux *graph.Node, lr, beta1, beta2 float64) []*graph.Node {
	gs, ds := scope.At(scopeGenerator), scope.At(scopeDiscriminator)
	g := real.Graph()
	fake := generatorNet(gs, e.lc(true), e.arch, cond, noise)

	// Discriminator step: generated images enter through StopGradient.
	dReal := discriminatorNet(ds, e.lc(true), e.arch, real, cond)
	dFake := discriminatorNet(ds, e.lc(true), e.arch, graph.StopGradient(fake), cond)
	lossD := graph.Add(e.advLoss(dReal.logit, true, true), e.advLoss(dFake.logit, false, true))
	auxReal := graph.ScalarZero(g, real.DType())
	if dReal.aux != nil {
		auxReal = CrossEntropy(dReal.aux, aux)
		lossD = graph.Add(lossD, graph.MulScalar(auxReal, e.arch.AuxWeight))
	}
	adam("adam_discriminator", lr, beta1, beta2).UpdateGraph(ds, g, lossD)

	// Generator step against the updated discriminator, whose variables
	// are read through StopGradient and whose running statistics stay.
	frozen := &layerCtx{seed: e.seed, training: true, frozen: true}
	dGen := discriminatorNet(ds, frozen, e.arch, fake, cond)
	lossG := e.advLoss(dGen.logit, true, false)
	if dGen.aux != nil {
		lossG = graph.Add(lossG, graph.MulScalar(CrossEntropy(dGen.aux, aux), e.arch.generatorAuxWeight()))
	}
	if e.arch.GuideWeight > 0 {
		fixed := &layerCtx{seed: e.seed, frozen: true}
		guide := guideNet(scope.At(scopeGuide), fixed, fake, e.arch.AuxClasses)
		lossG = graph.Add(lossG, graph.MulScalar(CrossEntropy(guide, aux), e.arch.GuideWeight))
	}
	if e.arch.ModeSeeking > 0 {
		lossG = graph.Add(lossG, graph.MulScalar(diversityLoss(fake, noise, e.arch.DiversityCap), e.arch.ModeSeeking))
	}
	adam("adam_generator", lr, beta1, beta2).UpdateGraph(gs, g, lossG)

	pReal := graph.ReduceAllMean(graph.Sigmoid(graph.StopGradient(dReal.logit)))
	pFake := graph.ReduceAllMean(graph.Sigmoid(graph.StopGradient(dFake.logit)))
	return []*graph.Node{lossD, lossG, pReal, pFake, auxReal}
}

// diversityLoss is the mean over the pairs (b, b+B/2), which share a
// condition, of -min(mean|G(z1)-G(z2)| / mean|z1-z2|, limit). A reshape
// and a weighted sum separate the halves, because the gradient of Slice
// needs Pad, which the onnx backend lacks.
func diversityLoss(fake, noise *graph.Node, limit float64) *graph.Node {
	half := fake.Shape().Dimensions[0] / 2
	pairDiff := func(x *graph.Node) *graph.Node {
		x = graph.Reshape(x, 2, half, x.Shape().Size()/(2*half))
		sign := graph.Const(x.Graph(), [][][]float32{{{1}}, {{-1}}})
		return graph.ReduceMean(graph.Abs(graph.ReduceSum(graph.Mul(x, sign), 0)), 1)
	}
	ratio := graph.Div(pairDiff(fake), graph.AddScalar(graph.StopGradient(pairDiff(noise)), 1e-5))
	return graph.Neg(graph.ReduceAllMean(graph.MinScalar(ratio, limit)))
}

// advLoss is the adversarial loss of scores that should read as real
// (target true) or generated. The "bce" loss is the binary cross entropy:
// softplus(-x) for real and softplus(x) for generated, which also makes
// the generator's non-saturating loss. The discriminator's real target is
// Arch.RealLabel. With "hinge", the discriminator gets relu(1-x) and
// relu(1+x), and the generator -x.
func (e *engine) advLoss(logit *graph.Node, target, discriminator bool) *graph.Node {
	if e.arch.Loss == "hinge" {
		if !discriminator {
			return graph.Neg(graph.ReduceAllMean(logit))
		}
		if target {
			return graph.ReduceAllMean(relu(graph.OneMinus(logit)))
		}
		return graph.ReduceAllMean(relu(graph.AddScalar(logit, 1)))
	}
	if target && discriminator && e.arch.RealLabel < 1 {
		smooth := e.arch.RealLabel
		return graph.ReduceAllMean(graph.Add(graph.MulScalar(softplus(graph.Neg(logit)), smooth), graph.MulScalar(softplus(logit), 1-smooth)))
	}
	if target {
		return graph.ReduceAllMean(softplus(graph.Neg(logit)))
	}
	return graph.ReduceAllMean(softplus(logit))
}

// generate returns images [B,3,64,64] in [-1,1] from conditions and noise,
// with batch norm on its running statistics.
func (e *engine) generate(cond, noise []float32, batch int) ([]float32, error) {
	ex := e.exec("generator_eval", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		return []*graph.Node{generatorNet(scope.At(scopeGenerator), e.lc(false), e.arch, in[0], e.scaleNoise(in[1]))}
	})
	out, err := Call(ex, tensor(cond, batch, CondDim), tensor(noise, batch, NoiseDim))
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// discriminate returns the discriminator features [B,8w] and the
// auxiliary ground-class logits [B,AuxClasses] (nil without the head).
func (e *engine) discriminate(images, cond []float32, batch int) (features, aux []float32, err error) {
	ex := e.exec("discriminator_eval", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		d := discriminatorNet(scope.At(scopeDiscriminator), e.lc(false), e.arch, in[0], in[1])
		if d.aux == nil {
			return []*graph.Node{d.features}
		}
		return []*graph.Node{d.features, d.aux}
	})
	out, err := Call(ex, tensor(images, batch, 3, ImageSize, ImageSize), tensor(cond, batch, CondDim))
	if err != nil {
		return nil, nil, err
	}
	if len(out) > 1 {
		aux = out[1]
	}
	return out[0], aux, nil
}

// featureDim is the length of the discriminator features.
func (e *engine) featureDim() int { return 8 * e.arch.BaseWidth }

// setClassifierStandardisation stores the mean and std of the training
// features in the classifier's non-trainable variables.
func (e *engine) setClassifierStandardisation(mean, std []float32) error {
	s := e.store.RootScope().At(scopeClassifier)
	lc := e.lc(false)
	f := len(mean)
	if err := lc.param(s, "feature_mean", 0, 0, f).SetTrainable(false).SetValue(tensor(mean, f)); err != nil {
		return err
	}
	return lc.param(s, "feature_std", 0, 1, f).SetTrainable(false).SetValue(tensor(std, f))
}

// classifierTrainStep runs one Adam step of the land-use classifier on
// features [B,F] with per-example weighted one-hot labels [B,K].
func (e *engine) classifierTrainStep(features, weighted []float32, batch int) (float32, error) {
	f := e.featureDim()
	ex := e.exec("classifier_train", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		s := scope.At(scopeClassifier)
		logits := classifierNet(s, e.lc(true), in[0], e.landUseClasses)
		l := CrossEntropy(logits, in[1])
		adam("adam_classifier", 1e-3, 0.9, 0.999).UpdateGraph(s, l.Graph(), l)
		return []*graph.Node{l}
	})
	out, err := Call(ex, tensor(features, batch, f), tensor(weighted, batch, e.landUseClasses))
	if err != nil {
		return 0, err
	}
	return out[0][0], nil
}

// classify returns class probabilities [B,K] for features [B,F].
func (e *engine) classify(features []float32, batch int) ([]float32, error) {
	ex := e.exec("classifier_eval", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		logits := classifierNet(scope.At(scopeClassifier), e.lc(false), in[0], e.landUseClasses)
		return []*graph.Node{softmax(logits)}
	})
	out, err := Call(ex, tensor(features, batch, e.featureDim()))
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// hasVariables reports whether the store contains a variable under the
// top-level scope name.
func (e *engine) hasVariables(scopeName string) bool {
	prefix := "/" + scopeName + "/"
	for v := range e.store.IterVariables() {
		if strings.HasPrefix(v.Path(), prefix) {
			return true
		}
	}
	return false
}

// guideTrainStep runs one Adam step of the guide on photos [B,3,64,64] in
// [-1,1] with per-example weighted one-hot ground classes [B,K]; it
// returns the loss.
func (e *engine) guideTrainStep(photos, weighted []float32, batch int, lr float64) (float32, error) {
	k := e.arch.AuxClasses
	ex := e.exec("guide_train", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		s := scope.At(scopeGuide)
		l := CrossEntropy(guideNet(s, e.lc(true), in[0], k), in[1])
		adam("adam_guide", lr, 0.9, 0.999).UpdateGraph(s, l.Graph(), l)
		return []*graph.Node{l}
	})
	if err := e.setLearningRate(scopeGuide, lr); err != nil {
		return 0, err
	}
	out, err := Call(ex, tensor(photos, batch, 3, ImageSize, ImageSize), tensor(weighted, batch, k))
	if err != nil {
		return 0, err
	}
	return out[0][0], nil
}

// guideLogits returns the guide's ground-class logits [B,K] for photos
// [B,3,64,64] in [-1,1], with batch norm on its running statistics.
func (e *engine) guideLogits(photos []float32, batch int) ([]float32, error) {
	ex := e.exec("guide_eval", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		return []*graph.Node{guideNet(scope.At(scopeGuide), e.lc(false), in[0], e.arch.AuxClasses)}
	})
	out, err := Call(ex, tensor(photos, batch, 3, ImageSize, ImageSize))
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

var _ = shapes.Make
