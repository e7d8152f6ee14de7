//go:build onnx

package training

import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Scope names of the four networks inside one model store.
const (
	scopeEncoder       = "encoder"
	scopeGenerator     = "generator"
	scopeDiscriminator = "discriminator"
	scopeClassifier    = "classifier"
	scopeGuide         = "guide"
)

// guideWidths are the channels of the guide's four convolutions, at 64,
// 32, 16 and 8 pixels.
var guideWidths = [4]int{16, 32, 64, 128}

// encoderNet maps normalised patches [B,3,P,P] (P divisible by 16) to the
// condition [B,CondDim] in (-1,1) and the overhead-class logits [B,classes].
// Four stride-2 stages (see Arch.EncoderKernel) are followed by a spatial
// mean, a dense layer and tanh. The logits are a dense layer on the
// condition, so the condition is the penultimate layer of a supervised
// overhead classifier.
func encoderNet(scope *model.Scope, lc *layerCtx, a Arch, patch *graph.Node, classes int) (cond, logits *graph.Node) {
	w := a.EncoderWidth
	var h *graph.Node
	if a.EncoderKernel == 3 {
		h = encoderStages3x3(scope, lc, patch, []int{w, 2 * w, 4 * w, 4 * w})
	} else {
		h = encoderStages2x2(scope, lc, patch, w)
	}
	pooled := graph.ReduceMean(h, 2, 3)
	cond = graph.Tanh(lc.dense(scope.At("condition"), pooled, CondDim))
	logits = lc.dense(scope.At("head"), cond, classes)
	return cond, logits
}

// encoderStages2x2 is the first encoder design: four 4x4 stride-2
// convolutions (downConv: padding, space-to-depth, 2x2) to w, 2w, 4w and
// 4w channels.
func encoderStages2x2(scope *model.Scope, lc *layerCtx, patch *graph.Node, w int) *graph.Node {
	// NOTE: 2x2 kernels get input gradients shifted by a pixel in GoMLX
	// v0.28.2 (see conv3x3). The global pooling makes this encoder
	// insensitive to it; the Landsat set was trained this way.
	h := leakyReLU(lc.downConv(scope.At("conv1"), patch, w, true))
	h = leakyReLU(lc.batchNorm(scope.At("bn2"), lc.downConv(scope.At("conv2"), h, 2*w, false)))
	h = leakyReLU(lc.batchNorm(scope.At("bn3"), lc.downConv(scope.At("conv3"), h, 4*w, false)))
	return leakyReLU(lc.batchNorm(scope.At("bn4"), lc.downConv(scope.At("conv4"), h, 4*w, false)))
}

// encoderStages3x3 runs one stage per width: a stride-2 convolution
// (space-to-depth and 3x3), then a 3x3 stride-1 convolution, each with
// batch norm and LeakyReLU(0.2).
func encoderStages3x3(scope *model.Scope, lc *layerCtx, patch *graph.Node, widths []int) *graph.Node {
	h := patch
	for i, out := range widths {
		s := scope.At("stage%d", i+1)
		h = leakyReLU(lc.batchNorm(s.At("bn_down"), lc.ganDown(s.At("down"), h, out, false)))
		h = leakyReLU(lc.batchNorm(s.At("bn_conv"), lc.conv3x3(s.At("conv"), h, out, false)))
	}
	return h
}

// generatorNet maps the condition [B,CondDim] and noise [B,NoiseDim] to an
// image [B,3,64,64] in [-1,1]: a dense layer to 4x4x(8w), four 2x
// upsamplings (see Arch.Upsample) with batch norm and
// LeakyReLU(0.2), and tanh.
// VariantProjected passes the condition through a learned dense projection
// first, VariantPaper concatenates the raw condition with the noise, and
// VariantUnconditional ignores the condition.
func generatorNet(scope *model.Scope, lc *layerCtx, a Arch, cond, noise *graph.Node) *graph.Node {
	w := a.BaseWidth
	batch := noise.Shape().Dimensions[0]
	var in *graph.Node
	switch a.Variant {
	case VariantProjected:
		pc := leakyReLU(lc.dense(scope.At("condition_projection"), cond, a.ConditionProjection))
		in = graph.Concatenate([]*graph.Node{pc, noise}, 1)
	case VariantPaper:
		in = graph.Concatenate([]*graph.Node{cond, noise}, 1)
	default:
		// The condition still enters the graph (times zero) so that the
		// exported model keeps the same two inputs in every variant.
		in = graph.Add(noise, graph.MulScalar(cond, 0))
	}
	// No bias here: a bias per channel and position would let the network
	// learn one fixed image that batch norm cannot remove, and training
	// collapsed to such a template (every view alike) within 300 steps.
	h := lc.denseNoBias(scope.At("fc"), in, 16*8*w)
	h = graph.Reshape(h, batch, 8*w, 4, 4)
	h = leakyReLU(lc.batchNorm(scope.At("bn0"), h))
	up := lc.ganUp
	switch a.Upsample {
	case UpsampleNearest:
		up = lc.nearestUp
	case UpsampleICNR:
		up = lc.icnrUp
	}
	widths := []int{4 * w, 2 * w, w}
	for i, out := range widths {
		h = up(scope.At("up%d", i+1), h, out, false)
		h = leakyReLU(lc.batchNorm(scope.At("bn%d", i+1), h))
	}
	return graph.Tanh(up(scope.At("up4"), h, 3, true))
}

// discOutputs are the discriminator's outputs for one batch.
type discOutputs struct {
	logit    *graph.Node // [B] real/fake score
	features *graph.Node // [B,8w] the penultimate activations averaged over the 4x4 positions
	aux      *graph.Node // [B,AuxClasses] ground-class logits, nil when AuxClasses is 0
}

// discriminatorNet scores an image [B,3,64,64] with its condition. The
// image goes through a stride-2 convolution (space-to-depth and 3x3). The condition is tiled over
// the 32x32 positions and concatenated: projected by a dense layer in
// VariantProjected, raw in VariantPaper, absent in VariantUnconditional.
// Three more stride-2 convolutions with batch norm follow. The score is a
// dense layer over the last activations, plus, in VariantProjected, a
// projection term <embed(condition), features>.
func discriminatorNet(scope *model.Scope, lc *layerCtx, a Arch, image, cond *graph.Node) discOutputs {
	w := a.BaseWidth
	batch := image.Shape().Dimensions[0]
	h := leakyReLU(lc.ganDown(scope.At("conv1"), image, w, true))
	var tile *graph.Node
	switch a.Variant {
	case VariantProjected:
		tile = leakyReLU(lc.dense(scope.At("condition_projection"), cond, a.ConditionProjection))
	case VariantPaper:
		tile = cond
	}
	if tile != nil {
		c := tile.Shape().Dimensions[1]
		tiled := graph.BroadcastToDims(graph.Reshape(tile, batch, c, 1, 1), batch, c, 32, 32)
		h = graph.Concatenate([]*graph.Node{h, tiled}, 1)
	}
	h = leakyReLU(lc.batchNorm(scope.At("bn2"), lc.ganDown(scope.At("conv2"), h, 2*w, false)))
	h = leakyReLU(lc.batchNorm(scope.At("bn3"), lc.ganDown(scope.At("conv3"), h, 4*w, false)))
	h = leakyReLU(lc.batchNorm(scope.At("bn4"), lc.ganDown(scope.At("conv4"), h, 8*w, false)))

	out := discOutputs{features: graph.ReduceMean(h, 2, 3)}
	scored := h
	if a.MinibatchStd {
		scored = graph.Concatenate([]*graph.Node{h, minibatchStd(h)}, 1)
	}
	flat := graph.Reshape(scored, batch, scored.Shape().Size()/batch)
	out.logit = graph.Reshape(lc.dense(scope.At("score"), flat, 1), batch)
	if a.Variant == VariantProjected {
		embed := lc.dense(scope.At("condition_embedding"), cond, 8*w)
		out.logit = graph.Add(out.logit, graph.ReduceSum(graph.Mul(embed, out.features), 1))
	}
	if a.AuxClasses > 0 {
		out.aux = lc.dense(scope.At("aux"), out.features, a.AuxClasses)
	}
	if a.Variant == VariantUnconditional {
		out.features = graph.Add(out.features, graph.ExpandAxes(graph.MulScalar(graph.ReduceSum(cond, 1), 0), 1))
	}
	return out
}

// classifierNet maps discriminator features [B,F] to class logits [B,K]:
// a fixed standardisation (mean and std of the training features, stored
// as non-trainable variables), a hidden layer of 64 with LeakyReLU, and a
// dense output.
func classifierNet(scope *model.Scope, lc *layerCtx, features *graph.Node, classes int) *graph.Node {
	g := features.Graph()
	f := features.Shape().Dimensions[1]
	mean := lc.param(scope, "feature_mean", 0, 0, f).SetTrainable(false)
	std := lc.param(scope, "feature_std", 0, 1, f).SetTrainable(false)
	x := graph.Div(graph.Sub(features, graph.ExpandAxes(mean.NodeValue(g), 0)), graph.ExpandAxes(std.NodeValue(g), 0))
	h := leakyReLU(lc.dense(scope.At("hidden"), x, 64))
	return lc.dense(scope.At("out"), h, classes)
}

// minibatchStd returns [B,1,H,W] filled with the mean over channels and
// positions of the standard deviation over the batch of h [B,C,H,W].
func minibatchStd(h *graph.Node) *graph.Node {
	d := h.Shape().Dimensions
	mean := graph.ReduceAndKeep(h, graph.ReduceMean, 0)
	variance := graph.ReduceMean(graph.Square(graph.Sub(h, mean)), 0)
	std := graph.ReduceAllMean(graph.Sqrt(graph.AddScalar(variance, 1e-8)))
	return graph.BroadcastToDims(graph.Reshape(std, 1, 1, 1, 1), d[0], 1, d[2], d[3])
}

// guideNet maps images [B,3,64,64] in [-1,1] to ground-class logits
// [B,classes]. The evaluation's ground classifier downsamples with
// space-to-depth and strided convolutions. The guide instead runs a 3x3
// convolution with batch norm and LeakyReLU(0.2) at full resolution, then
// a 2x2 average pooling, four times (64 px to 4x4 positions). The spatial
// mean of the last block feeds a dense layer.
func guideNet(scope *model.Scope, lc *layerCtx, image *graph.Node, classes int) *graph.Node {
	h := image
	for i, w := range guideWidths {
		s := scope.At("block%d", i+1)
		h = leakyReLU(lc.batchNorm(s, lc.conv3x3(s, h, w, false)))
		h = avgPool2(h)
	}
	return lc.dense(scope.At("head"), graph.ReduceMean(h, 2, 3), classes)
}

// avgPool2 halves H and W of [B,C,H,W] by averaging 2x2 blocks.
func avgPool2(x *graph.Node) *graph.Node {
	d := x.Shape().Dimensions
	x = graph.Reshape(x, d[0], d[1], d[2]/2, 2, d[3]/2, 2)
	return graph.ReduceMean(x, 3, 5)
}
