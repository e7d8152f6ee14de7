//go:build onnx

package training

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	timage "github.com/gomlx/gomlx/core/tensors/images"
	"github.com/gomlx/gomlx/ml/model"
)

// The layers below use only what GoMLX v0.28.2 can differentiate on its
// ONNX Runtime backend. Strided convolutions are avoided, because their
// gradient needs input dilation, which ONNX Conv rejects. Pad and Reverse
// stay out of the forward graph, because neither has a gradient there. The
// batch norm lets its gradient flow through the batch statistics. All
// tensors are NCHW.

// layerCtx carries what every layer needs while one graph is built.
type layerCtx struct {
	seed     uint64
	training bool // batch statistics (true) or running statistics (false) in batch norm
	frozen   bool // read variables through StopGradient (the discriminator in the generator step)
	updateBN bool // write new running statistics (false for a second pass over the same network)
}

// param returns the variable name in scope, creating it with values from a
// normal distribution of the given standard deviation (or the constant
// fill when std is 0). The initial values depend only on the seed and the
// variable's path, so the build order of the graphs does not matter.
func (lc *layerCtx) param(scope *model.Scope, name string, std, fill float64, dims ...int) *model.Variable {
	if v := scope.GetVariable(name); v != nil {
		return v
	}
	size := 1
	for _, d := range dims {
		size *= d
	}
	data := lc.initValues(model.JoinPath(scope.Scope(), name), std, fill, size)
	return scope.VariableWithValue(name, tensors.FromFlatDataAndDimensions(data, dims...))
}

// initValues returns size initial values for the variable at path: normal
// with standard deviation std, drawn from the seed and the path, or the
// constant fill when std is 0.
func (lc *layerCtx) initValues(path string, std, fill float64, size int) []float32 {
	data := make([]float32, size)
	if std == 0 {
		for i := range data {
			data[i] = float32(fill)
		}
		return data
	}
	h := fnv.New64a()
	h.Write([]byte(path))
	rng := rand.New(rand.NewPCG(lc.seed, h.Sum64()))
	for i := range data {
		data[i] = float32(rng.NormFloat64() * std)
	}
	return data
}

// value returns the variable's node, through StopGradient when frozen.
func (lc *layerCtx) value(g *graph.Graph, v *model.Variable) *graph.Node {
	n := v.NodeValue(g)
	if lc.frozen {
		n = graph.StopGradient(n)
	}
	return n
}

// dense applies x [B,in] -> [B,out] with a bias.
func (lc *layerCtx) dense(scope *model.Scope, x *graph.Node, out int) *graph.Node {
	b := lc.value(x.Graph(), lc.param(scope, "bias", 0, 0, out))
	return graph.Add(lc.denseNoBias(scope, x, out), graph.ExpandAxes(b, 0))
}

// denseNoBias applies x [B,in] -> [B,out] without a bias, for a layer
// followed by batch norm.
func (lc *layerCtx) denseNoBias(scope *model.Scope, x *graph.Node, out int) *graph.Node {
	in := x.Shape().Dimensions[1]
	w := lc.value(x.Graph(), lc.param(scope, "weights", 0.02, 0, in, out))
	return graph.MatMul(x, w)
}

// conv2x2 applies a 2x2 stride-1 convolution after zero padding x by
// {before, after} rows (padH) and columns (padW), plus a bias. The padding
// is a concatenation of zeros: GoMLX v0.28.2 cannot build the gradient of a
// convolution with asymmetric padding.
func (lc *layerCtx) conv2x2(scope *model.Scope, x *graph.Node, out int, padH, padW [2]int, bias bool) *graph.Node {
	in := x.Shape().Dimensions[1]
	g := x.Graph()
	k := lc.value(g, lc.param(scope, "kernel", 0.02, 0, out, in, 2, 2))
	x = zeroPad(x, padH, padW)
	y := graph.Convolve(x, k).ChannelsAxis(timage.ChannelsFirst).NoPadding().Done()
	if bias {
		b := lc.value(g, lc.param(scope, "bias", 0, 0, out))
		y = graph.Add(y, graph.Reshape(b, 1, out, 1, 1))
	}
	return y
}

// downConv is a 4x4, stride-2, padding-1 convolution written as a zero pad
// by concatenation, a space-to-depth(2) and a 2x2 stride-1 convolution. The
// kernel is stored as [out, 4*in, 2, 2], a reordering of the [out, in, 4, 4]
// kernel it is equivalent to. x is [B,C,H,W] with even H and W.
func (lc *layerCtx) downConv(scope *model.Scope, x *graph.Node, out int, bias bool) *graph.Node {
	return lc.conv2x2(scope, SpaceToDepth(zeroPad(x, [2]int{1, 1}, [2]int{1, 1})), out, [2]int{}, [2]int{}, bias)
}

// zeroPad pads [B,C,H,W] with zeros, {before, after} rows and columns,
// by concatenation (Pad has no gradient on the onnx backend).
func zeroPad(x *graph.Node, padH, padW [2]int) *graph.Node {
	g := x.Graph()
	d := x.Shape().Dimensions
	if padH[0]+padH[1] > 0 {
		parts := []*graph.Node{}
		if padH[0] > 0 {
			parts = append(parts, graph.Zeros(g, shapes.Make(x.DType(), d[0], d[1], padH[0], d[3])))
		}
		parts = append(parts, x)
		if padH[1] > 0 {
			parts = append(parts, graph.Zeros(g, shapes.Make(x.DType(), d[0], d[1], padH[1], d[3])))
		}
		x = graph.Concatenate(parts, 2)
	}
	d = x.Shape().Dimensions
	if padW[0]+padW[1] > 0 {
		parts := []*graph.Node{}
		if padW[0] > 0 {
			parts = append(parts, graph.Zeros(g, shapes.Make(x.DType(), d[0], d[1], d[2], padW[0])))
		}
		parts = append(parts, x)
		if padW[1] > 0 {
			parts = append(parts, graph.Zeros(g, shapes.Make(x.DType(), d[0], d[1], d[2], padW[1])))
		}
		x = graph.Concatenate(parts, 3)
	}
	return x
}

// SpaceToDepth turns [B,C,H,W] into [B,4C,H/2,W/2].
func SpaceToDepth(x *graph.Node) *graph.Node {
	d := x.Shape().Dimensions
	b, c, h, w := d[0], d[1], d[2], d[3]
	x = graph.Reshape(x, b, c, h/2, 2, w/2, 2)
	x = graph.TransposeAllAxes(x, 0, 1, 3, 5, 2, 4)
	return graph.Reshape(x, b, c*4, h/2, w/2)
}

// conv3x3 applies a 3x3 stride-1 convolution with one zero of padding on
// every side (output size = input size), plus an optional bias.
//
// NOTE: GoMLX v0.28.2 computes the input gradient of a convolution with an
// even kernel size wrongly: for a 2x2 kernel it pads the reverse
// convolution by {0,2} instead of {1,1}, so the gradient arrives shifted
// by one pixel towards the top-left corner and loses its first row and
// column (convVJPWrtX in core/graph/ops_convolve.go). Odd kernels with
// symmetric padding get the right gradient, so the GAN uses only those.
func (lc *layerCtx) conv3x3(scope *model.Scope, x *graph.Node, out int, bias bool) *graph.Node {
	in := x.Shape().Dimensions[1]
	g := x.Graph()
	k := lc.value(g, lc.param(scope, "kernel", 0.02, 0, out, in, 3, 3))
	var y *graph.Node
	if lc.frozen || !lc.training {
		// No kernel gradient is needed, so the plain convolution skips the
		// two identities of Conv3x3.
		y = convolve3x3(x, k)
	} else {
		y = Conv3x3(x, k)
	}
	if bias {
		b := lc.value(g, lc.param(scope, "bias", 0, 0, out))
		y = graph.Add(y, graph.Reshape(b, 1, out, 1, 1))
	}
	return y
}

// Conv3x3 is a 3x3 convolution with zero padding 1 of x [B,C,H,W] by the
// kernel k [O,C,3,3], which keeps H and W. Its gradient with respect to k
// is one matrix product instead of GoMLX's convolution of x by the output
// gradient. Other packages that train convolutions on GoMLX's onnx
// backend use it.
//
// ONNX Runtime (1.29, CPU) ran that gradient convolution, whose kernel is
// as large as the image, 7 times slower than the forward convolution of
// the generator's 16x16 layer at batch 16. Here the kernel enters through
// an identity whose gradient is dK = v' x P, where v' is the output
// gradient as [O, B*H*W] and P the 3x3 neighbourhoods of x as
// [B*H*W, C*9]. The identity after the convolution builds dK from the
// output gradient it receives, and GoMLX processes it first because it was
// created later. GoMLX's own kernel gradient is then unused, and the
// patched compute-onnx backend (third_party/compute-onnx) leaves it out of
// the ONNX model. With the upstream backend it would still run, so this
// function would only add work. The gradient with respect to x is GoMLX's.
//
// NOTE: first-order gradients only. A gradient of the gradient would read
// dK from the first pass.
func Conv3x3(x, k *graph.Node) *graph.Node {
	var dk *graph.Node
	kernel := graph.IdentityWithCustomGradient(k, func(_, _ *graph.Node) *graph.Node {
		if dk == nil {
			panic("training: conv kernel gradient requested before the output gradient was built")
		}
		return dk
	})
	return graph.IdentityWithCustomGradient(convolve3x3(x, kernel), func(_, v *graph.Node) *graph.Node {
		dk = kernelGrad3x3(x, v, k.Shape().Dimensions[0])
		return v
	})
}

// convolve3x3 is GoMLX's 3x3 convolution of x [B,C,H,W] by k [O,C,3,3]
// with zero padding 1.
func convolve3x3(x, k *graph.Node) *graph.Node {
	return graph.Convolve(x, k).ChannelsAxis(timage.ChannelsFirst).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).Done()
}

// kernelGrad3x3 returns the gradient [O,C,3,3] of a 3x3, padding-1
// convolution's kernel from its input x [B,C,H,W] and output gradient v
// [B,O,H,W].
func kernelGrad3x3(x, v *graph.Node, o int) *graph.Node {
	d := x.Shape().Dimensions
	b, c, h, w := d[0], d[1], d[2], d[3]
	g := x.Graph()

	// x in [B,H,W,C] with a zero border, built by concatenation because
	// the onnx backend has no Pad.
	xt := graph.TransposeAllAxes(x, 0, 2, 3, 1)
	rows := graph.Zeros(g, shapes.Make(x.DType(), b, 1, w, c))
	xt = graph.Concatenate([]*graph.Node{rows, xt, rows}, 1)
	cols := graph.Zeros(g, shapes.Make(x.DType(), b, h+2, 1, c))
	xt = graph.Concatenate([]*graph.Node{cols, xt, cols}, 2)

	// The nine shifted copies, as [B*H*W, C*9] with column c*9 + 3*dy + dx,
	// the order of a [O,C,3,3] kernel.
	shifted := make([]*graph.Node, 0, 9)
	for dy := range 3 {
		for dx := range 3 {
			s := graph.Slice(xt, graph.AxisRange(), graph.AxisRange(dy, dy+h), graph.AxisRange(dx, dx+w), graph.AxisRange())
			shifted = append(shifted, graph.ExpandAxes(s, -1))
		}
	}
	patches := graph.Reshape(graph.Concatenate(shifted, 4), b*h*w, c*9)

	vt := graph.Reshape(graph.TransposeAllAxes(v, 1, 0, 2, 3), o, b*h*w)
	return graph.Reshape(graph.MatMul(vt, patches), o, c, 3, 3)
}

// ganDown halves H and W: a space-to-depth(2) followed by a 3x3
// convolution, a stride-2 convolution with a 6x6 receptive field.
func (lc *layerCtx) ganDown(scope *model.Scope, x *graph.Node, out int, bias bool) *graph.Node {
	return lc.conv3x3(scope, SpaceToDepth(x), out, bias)
}

// icnrUp is ganUp with the ICNR initialisation of Aitken et al. (2017):
// the four sub-pixel kernels of each output channel start equal, so the
// layer starts as a nearest-neighbour upsampling followed by a 3x3
// convolution, without the checkerboard that independent sub-pixel kernels
// draw, and costs no more than ganUp.
func (lc *layerCtx) icnrUp(scope *model.Scope, x *graph.Node, out int, bias bool) *graph.Node {
	if scope.GetVariable("kernel") == nil {
		in := x.Shape().Dimensions[1]
		per := in * 9
		base := lc.initValues(model.JoinPath(scope.Scope(), "kernel"), 0.02, 0, out*per)
		full := make([]float32, 0, 4*len(base))
		for c := range out {
			for range 4 { // depthToSpace reads channel 4c+k for sub-pixel k of channel c
				full = append(full, base[c*per:(c+1)*per]...)
			}
		}
		scope.VariableWithValue("kernel", tensors.FromFlatDataAndDimensions(full, 4*out, in, 3, 3))
	}
	return lc.ganUp(scope, x, out, bias)
}

// ganUp doubles H and W: a 3x3 convolution to 4*out channels followed by
// a depth-to-space(2) (a sub-pixel convolution, Shi et al., CVPR 2016).
func (lc *layerCtx) ganUp(scope *model.Scope, x *graph.Node, out int, bias bool) *graph.Node {
	return depthToSpace(lc.conv3x3(scope, x, 4*out, bias))
}

// nearestUp doubles H and W by repeating each value over 2x2 pixels
// (nearest-neighbour upsampling) and then applies a 3x3 convolution: the
// resize-convolution of Odena, Dumoulin and Olah (Distill, 2016). It costs
// the same multiply-adds as ganUp but cannot draw the checkerboard
// patterns that sub-pixel and transposed convolutions start from.
func (lc *layerCtx) nearestUp(scope *model.Scope, x *graph.Node, out int, bias bool) *graph.Node {
	d := x.Shape().Dimensions
	b, c, h, w := d[0], d[1], d[2], d[3]
	rep := graph.BroadcastToDims(graph.Reshape(x, b, c, 1, h, w), b, c, 4, h, w)
	return lc.conv3x3(scope, depthToSpace(graph.Reshape(rep, b, 4*c, h, w)), out, bias)
}

// depthToSpace turns [B,4C,H,W] into [B,C,2H,2W], the inverse of
// SpaceToDepth.
func depthToSpace(x *graph.Node) *graph.Node {
	d := x.Shape().Dimensions
	b, c, h, w := d[0], d[1]/4, d[2], d[3]
	x = graph.Reshape(x, b, c, 2, 2, h, w)
	x = graph.TransposeAllAxes(x, 0, 1, 4, 2, 5, 3)
	return graph.Reshape(x, b, c, 2*h, 2*w)
}

// upConv is a 4x4, stride-2, padding-1 transposed convolution written as
// four polyphase 2x2 stride-1 convolutions, one per output phase, whose
// results are interleaved into [B,out,2H,2W]. Each phase kernel is its own
// variable, so no Slice (whose gradient needs Pad) enters the graph.
//
// Output row 2i reads input rows i-1 and i, row 2i+1 reads rows i and i+1,
// and the same for columns: that fixes each phase's padding.
func (lc *layerCtx) upConv(scope *model.Scope, x *graph.Node, out int, bias bool) *graph.Node {
	pads := [2][2]int{{1, 0}, {0, 1}}
	var rows [2]*graph.Node
	for a := 0; a < 2; a++ {
		var cols [2]*graph.Node
		for b := 0; b < 2; b++ {
			cols[b] = lc.conv2x2(scope.At("phase%d%d", a, b), x, out, pads[a], pads[b], false)
		}
		rows[a] = interleave(cols[0], cols[1], 3)
	}
	y := interleave(rows[0], rows[1], 2)
	if bias {
		b := lc.value(x.Graph(), lc.param(scope, "bias", 0, 0, out))
		y = graph.Add(y, graph.Reshape(b, 1, out, 1, 1))
	}
	return y
}

// interleave merges two [B,C,H,W] tensors along axis (2 or 3) so that even
// positions come from even and odd positions from odd.
func interleave(even, odd *graph.Node, axis int) *graph.Node {
	d := even.Shape().Dimensions
	stacked := graph.Stack([]*graph.Node{even, odd}, axis+1)
	dims := append([]int(nil), d...)
	dims[axis] *= 2
	return graph.Reshape(stacked, dims...)
}

// batchNorm normalises x [B,C,...] per channel. In training it uses the
// batch mean and (biased) variance with the gradient flowing through both,
// as PyTorch does, and updates the running statistics with momentum 0.1; in
// inference it uses the running statistics.
func (lc *layerCtx) batchNorm(scope *model.Scope, x *graph.Node) *graph.Node {
	g := x.Graph()
	c := x.Shape().Dimensions[1]
	bcast := []int{1, c}
	axes := []int{0}
	for i := 2; i < x.Rank(); i++ {
		bcast = append(bcast, 1)
		axes = append(axes, i)
	}
	gamma := graph.Reshape(lc.value(g, lc.param(scope, "gamma", 0, 1, c)), bcast...)
	beta := graph.Reshape(lc.value(g, lc.param(scope, "beta", 0, 0, c)), bcast...)
	runMean := lc.param(scope, "running_mean", 0, 0, c).SetTrainable(false)
	runVar := lc.param(scope, "running_var", 0, 1, c).SetTrainable(false)

	const eps = 1e-5
	var mean, variance *graph.Node
	if lc.training {
		mean = graph.ReduceAndKeep(x, graph.ReduceMean, axes...)
		centred := graph.Sub(x, mean)
		variance = graph.ReduceAndKeep(graph.Square(centred), graph.ReduceMean, axes...)
		if lc.updateBN {
			n := float64(x.Shape().Size() / c)
			unbiased := graph.MulScalar(graph.StopGradient(graph.Reshape(variance, c)), n/math.Max(n-1, 1))
			runMean.SetNodeValue(graph.Add(graph.MulScalar(runMean.NodeValue(g), 0.9),
				graph.MulScalar(graph.StopGradient(graph.Reshape(mean, c)), 0.1)))
			runVar.SetNodeValue(graph.Add(graph.MulScalar(runVar.NodeValue(g), 0.9), graph.MulScalar(unbiased, 0.1)))
		}
	} else {
		mean = graph.Reshape(graph.StopGradient(runMean.NodeValue(g)), bcast...)
		variance = graph.Reshape(graph.StopGradient(runVar.NodeValue(g)), bcast...)
	}
	normed := graph.Div(graph.Sub(x, mean), graph.Sqrt(graph.AddScalar(variance, eps))) // Rsqrt is not implemented by the onnx backend
	return graph.Add(graph.Mul(normed, gamma), beta)
}

// leakyReLU is max(x, 0.2x).
func leakyReLU(x *graph.Node) *graph.Node {
	return graph.Max(x, graph.MulScalar(x, 0.2))
}

// relu is max(x, 0).
func relu(x *graph.Node) *graph.Node {
	return graph.Max(x, graph.ZerosLike(x))
}

var _ = dtypes.Float32

// softplus is log(1+exp(x)) written as max(x,0) + log(1+exp(-|x|)), since
// the onnx backend implements neither IsFinite nor Log1p.
func softplus(x *graph.Node) *graph.Node {
	return graph.Add(relu(x), graph.Log(graph.AddScalar(graph.Exp(graph.Neg(graph.Abs(x))), 1)))
}

// LogSoftmax is the log softmax over axis 1 of [B,K] logits.
func LogSoftmax(logits *graph.Node) *graph.Node {
	shifted := graph.Sub(logits, graph.StopGradient(graph.ReduceAndKeep(logits, graph.ReduceMax, 1)))
	return graph.Sub(shifted, graph.Log(graph.ReduceAndKeep(graph.Exp(shifted), graph.ReduceSum, 1)))
}

// softmax is softmax over axis 1 of [B,K] logits.
func softmax(logits *graph.Node) *graph.Node {
	return graph.Exp(LogSoftmax(logits))
}
