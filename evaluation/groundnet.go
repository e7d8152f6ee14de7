//go:build onnx

package evaluation

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute-onnx" // registers the "onnx" backend
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/downthere/downthere/training"
)

// groundScope is the scope of the ground classifier's variables; the
// optimiser's state lives outside it.
const groundScope = "ground"

// groundNet is the ground-scene classifier: a small CNN on 64x64 photos,
// trained here on the real photos, run by GoMLX on its ONNX Runtime
// backend. Its penultimate layer (groundFeatureDim values, mean-pooled over
// the last 4x4 positions) is the feature space of the Frechet distances and
// the nearest-neighbour search.
type groundNet struct {
	seed    uint64
	classes int
	backend compute.Backend
	store   *model.Store
	execs   map[string]*model.Exec
}

func newGroundNet(seed int64, classes int) (*groundNet, error) {
	backend, err := compute.NewWithConfig(training.BackendConfig)
	if err != nil {
		return nil, fmt.Errorf("start GoMLX backend %q (is ONNXRUNTIME_SHARED_LIBRARY_PATH set to libonnxruntime.so.1?): %w", training.BackendConfig, err)
	}
	return &groundNet{seed: uint64(seed), classes: classes, backend: backend, store: model.NewStore(), execs: map[string]*model.Exec{}}, nil
}

// Close releases the graphs, variables and backend; a second call does
// nothing.
func (n *groundNet) Close() {
	for k, ex := range n.execs {
		ex.Finalize()
		delete(n.execs, k)
	}
	if n.store != nil {
		n.store.Finalize()
		n.store = nil
	}
	if n.backend != nil {
		n.backend.Finalize()
		n.backend = nil
	}
}

// train fits the classifier to photos (labels index the ground classes)
// with Adam, its learning rate decayed from cfg.LR to 0 along a cosine,
// random horizontal flips and random translations of up to groundMaxShift
// pixels. The cross-entropy weighs each class inversely to
// its count, so the small Flickr-only classes count as much as the large
// ones. progress receives the steps done and the total.
func (n *groundNet) train(ctx context.Context, photos *imageSet, cfg groundTrainConfig, progress func(done, total int)) error {
	if photos.Len() < groundBatch {
		return fmt.Errorf("train ground classifier: %d photos, need at least %d", photos.Len(), groundBatch)
	}
	weights := classWeights(photos.Labels, n.classes)
	perEpoch := photos.Len() / groundBatch
	total := cfg.Epochs * perEpoch
	ex := n.exec("train", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		s := scope.At(groundScope)
		_, logits := n.forward(s, in[0], true)
		loss := training.CrossEntropy(logits, in[1])
		opt := optimizer.Adam().Scope("adam_ground").LearningRate(cfg.LR).Betas(0.9, 0.999).Epsilon(1e-8).Done()
		opt.UpdateGraph(scope, loss.Graph(), loss)
		return []*graph.Node{loss}
	})

	for step := 0; step < total; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		epoch, s := step/perEpoch, step%perEpoch
		idx := n.rng("epoch", epoch).Perm(photos.Len())[s*groundBatch : (s+1)*groundBatch]
		augment := n.rng("flip", step) // also draws the shifts; the name keeps cached classifiers valid
		x := make([]float32, 0, groundBatch*photos.stride())
		target := make([]float32, groundBatch*n.classes)
		for b, i := range idx {
			flip := augment.IntN(2) == 1
			dx := augment.IntN(2*groundMaxShift+1) - groundMaxShift
			dy := augment.IntN(2*groundMaxShift+1) - groundMaxShift
			x = append(x, photos.shifted(i, flip, dx, dy)...)
			target[b*n.classes+photos.Labels[i]] = float32(weights[photos.Labels[i]])
		}
		if step > 0 { // the first step creates the variable with cfg.LR
			if err := n.setLearningRate(cfg.LR * 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(total)))); err != nil {
				return err
			}
		}
		if _, err := training.Call(ex, tensorOf(x, groundBatch, 3, imageSize, imageSize), tensorOf(target, groundBatch, n.classes)); err != nil {
			return fmt.Errorf("train ground classifier: %w", err)
		}
		if progress != nil {
			progress(step+1, total)
		}
	}
	return nil
}

// setLearningRate sets the optimiser's learning-rate variable, which
// GoMLX creates with the graph, before the next step.
func (n *groundNet) setLearningRate(lr float64) error {
	path := model.JoinPath(model.RootScopePath, optimizer.Scope, optimizer.ParamLearningRate)
	v := n.store.GetVariable(path)
	if v == nil {
		return fmt.Errorf("train ground classifier: no learning-rate variable %s after the first step", path)
	}
	if err := v.SetValue(tensors.FromScalar(float32(lr))); err != nil {
		return fmt.Errorf("train ground classifier: set learning rate: %w", err)
	}
	return nil
}

// classWeights returns count-balancing weights whose mean over the
// samples is 1; classes without samples get 0.
func classWeights(labels []int, classes int) []float64 {
	counts := make([]float64, classes)
	for _, l := range labels {
		counts[l]++
	}
	present := 0
	for _, c := range counts {
		if c > 0 {
			present++
		}
	}
	w := make([]float64, classes)
	for k, c := range counts {
		if c > 0 {
			w[k] = float64(len(labels)) / (float64(present) * c)
		}
	}
	return w
}

// embed returns the feature vector [groundFeatureDim] and the class
// probabilities [classes] of each image (CHW, values in [-1, 1]).
func (n *groundNet) embed(ctx context.Context, images [][]float32) (features, probs [][]float32, err error) {
	ex := n.exec("eval", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		f, logits := n.forward(scope.At(groundScope), in[0], false)
		return []*graph.Node{f, graph.Exp(training.LogSoftmax(logits))}
	})
	plane := 3 * imageSize * imageSize
	for start := 0; start < len(images); start += groundBatch {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		m := min(groundBatch, len(images)-start)
		x := make([]float32, 0, groundBatch*plane)
		for b := range groundBatch {
			img := images[start+min(b, m-1)]
			if len(img) != plane {
				return nil, nil, fmt.Errorf("ground classifier: image %d has %d values, want %d (3x%dx%d)", start+b, len(img), plane, imageSize, imageSize)
			}
			x = append(x, img...)
		}
		out, err := training.Call(ex, tensorOf(x, groundBatch, 3, imageSize, imageSize))
		if err != nil {
			return nil, nil, fmt.Errorf("ground classifier: %w", err)
		}
		for b := range m {
			features = append(features, out[0][b*groundFeatureDim:(b+1)*groundFeatureDim])
			probs = append(probs, out[1][b*n.classes:(b+1)*n.classes])
		}
	}
	return features, probs, nil
}

// forward maps images [B,3,64,64] to features [B,groundFeatureDim] and
// logits [B,classes]. Each of the four blocks is a space-to-depth(2) and a
// 3x3 convolution (a stride-2 convolution with a 6x6 receptive field, as
// in the GAN's discriminator) with batch norm and LeakyReLU(0.2). The
// spatial mean of the last block's 4x4 positions is the features, and a
// dense layer on the features gives the logits.
func (n *groundNet) forward(scope *model.Scope, x *graph.Node, train bool) (features, logits *graph.Node) {
	ly := training.NewLayers(n.seed, train)
	h := x
	for i, w := range groundWidths {
		s := scope.At("block%d", i+1)
		h = training.SpaceToDepth(h)
		h = ly.BatchNorm(s, conv3x3(ly, s, h, w))
		h = graph.Max(h, graph.MulScalar(h, 0.2))
	}
	features = graph.ReduceMean(h, 2, 3)
	logits = dense(ly, scope.At("head"), features, n.classes)
	return features, logits
}

// conv3x3 is a 3x3 convolution with zero padding and He-normal initial
// weights, without a bias because batch norm follows.
func conv3x3(ly training.Layers, scope *model.Scope, x *graph.Node, out int) *graph.Node {
	c := x.Shape().Dimensions[1]
	k := ly.Param(scope, "kernel", math.Sqrt(2/float64(9*c)), 0, out, c, 3, 3).NodeValue(x.Graph())
	return training.Conv3x3(x, k)
}

// dense applies x [B,in] -> [B,out] with a bias; the initial weights have
// standard deviation 1/sqrt(in).
func dense(ly training.Layers, scope *model.Scope, x *graph.Node, out int) *graph.Node {
	g := x.Graph()
	in := x.Shape().Dimensions[1]
	w := ly.Param(scope, "weights", math.Sqrt(1/float64(in)), 0, in, out).NodeValue(g)
	b := ly.Param(scope, "bias", 0, 0, out).NodeValue(g)
	return graph.Add(graph.MatMul(x, w), graph.ExpandAxes(b, 0))
}

func (n *groundNet) rng(purpose string, k int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(n.seed^h.Sum64(), uint64(k)))
}

func (n *groundNet) exec(name string, fn func(*model.Scope, []*graph.Node) []*graph.Node) *model.Exec {
	if ex, ok := n.execs[name]; ok {
		return ex
	}
	ex := model.MustNewExec(n.backend, n.store, fn)
	n.execs[name] = ex
	return ex
}

func tensorOf(data []float32, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// savedGroundVar is one variable of a saved ground classifier.
type savedGroundVar struct {
	Path  string
	Dims  []int
	Data  []float32
	Train bool
}

// save writes the classifier's variables (weights and batch-norm
// statistics, not the optimiser's state) to path atomically.
func (n *groundNet) save(path string) error {
	var vars []savedGroundVar
	for v := range n.store.IterVariables() {
		if !strings.HasPrefix(v.Path(), model.JoinPath(model.RootScopePath, groundScope)+"/") {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("save ground classifier: variable %s: %w", v.Path(), err)
		}
		if t.DType() != dtypes.Float32 {
			return fmt.Errorf("save ground classifier: variable %s has type %s, want float32", v.Path(), t.DType())
		}
		vars = append(vars, savedGroundVar{Path: v.Path(), Dims: t.Shape().Dimensions, Data: tensors.MustCopyFlatData[float32](t), Train: v.Trainable})
	}
	if len(vars) == 0 {
		return errors.New("save ground classifier: no variables; train it first")
	}
	return writeFileAtomic(path, func(w *bufio.Writer) error { return gob.NewEncoder(w).Encode(vars) })
}

// load creates the variables saved at path in the (empty) store.
func (n *groundNet) load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var vars []savedGroundVar
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&vars); err != nil {
		return fmt.Errorf("read ground classifier %s: %w; delete it to retrain", path, err)
	}
	for _, sv := range vars {
		v, err := n.store.CreateVariable(sv.Path, tensors.FromFlatDataAndDimensions(sv.Data, sv.Dims...))
		if err != nil {
			return fmt.Errorf("read ground classifier %s: variable %s: %w", path, sv.Path, err)
		}
		v.SetTrainable(sv.Train)
	}
	return nil
}
