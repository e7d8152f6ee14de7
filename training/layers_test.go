//go:build onnx

package training

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	timage "github.com/gomlx/gomlx/core/tensors/images"
	"github.com/gomlx/gomlx/ml/model"
)

// TestGANLayerGradients compares the input gradients of the GAN's
// down- and upsampling layers with finite differences.
func TestGANLayerGradients(t *testing.T) {
	a := DefaultConfig().Arch
	e, err := newEngine(a, 1, 21)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	n := 8
	r := make([]float32, 4096)
	for i := range r {
		r[i] = float32(i%7) - 3
	}
	for _, which := range []string{"down", "up", "nearest", "icnr"} {
		which := which
		f := func(scope *model.Scope, x *graph.Node) *graph.Node {
			lc := &layerCtx{seed: 1}
			var y *graph.Node
			switch which {
			case "down":
				y = lc.ganDown(scope.At("%s", which), x, 2, false)
			case "up":
				y = lc.ganUp(scope.At("%s", which), x, 2, false)
			case "nearest":
				y = lc.nearestUp(scope.At("%s", which), x, 2, false)
			default:
				y = lc.icnrUp(scope.At("%s", which), x, 2, false)
			}
			rr := graph.Reshape(graph.Const(x.Graph(), r[:y.Shape().Size()]), y.Shape().Dimensions...)
			return graph.ReduceAllSum(graph.Mul(y, rr))
		}
		ex := e.exec("g"+which, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
			v := f(scope, in[0])
			return []*graph.Node{v, graph.Gradient(v, in[0])[0]}
		})
		x := make([]float32, 2*n*n)
		for i := range x {
			x[i] = float32(math.Sin(float64(i)))
		}
		out, err := Call(ex, tensor(x, 1, 2, n, n))
		if err != nil {
			t.Fatal(err)
		}
		maxErr := 0.0
		for i := range x {
			xp := append([]float32(nil), x...)
			xp[i] += 0.01
			o2, _ := Call(ex, tensor(xp, 1, 2, n, n))
			num := float64(o2[0][0]-out[0][0]) / 0.01
			maxErr = math.Max(maxErr, math.Abs(num-float64(out[1][i])))
		}
		if maxErr > 1e-3 {
			t.Errorf("%s: input gradient differs from finite differences by %g", which, maxErr)
		}
	}
}

// TestICNRStartsWithoutCheckerboard checks that a freshly initialised
// icnrUp layer gives equal values in each 2x2 output block, as a
// convolution followed by a nearest-neighbour upsampling would.
func TestICNRStartsWithoutCheckerboard(t *testing.T) {
	e, err := newEngine(DefaultConfig().Arch, 1, 21)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const c, n, out = 3, 6, 4
	ex := e.exec("icnr", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		lc := &layerCtx{seed: 1}
		return []*graph.Node{lc.icnrUp(scope.At("icnr"), in[0], out, false)}
	})
	x := make([]float32, c*n*n)
	for i := range x {
		x[i] = float32(math.Sin(float64(3 * i)))
	}
	res, err := Call(ex, tensor(x, 1, c, n, n))
	if err != nil {
		t.Fatal(err)
	}
	y, w := res[0], 2*n
	for ch := range out {
		for i := 0; i < w; i += 2 {
			for j := 0; j < w; j += 2 {
				at := func(di, dj int) float32 { return y[ch*w*w+(i+di)*w+j+dj] }
				for _, d := range [][2]int{{0, 1}, {1, 0}, {1, 1}} {
					if math.Abs(float64(at(d[0], d[1])-at(0, 0))) > 1e-6 {
						t.Fatalf("channel %d, block (%d,%d): %g differs from %g", ch, i/2, j/2, at(d[0], d[1]), at(0, 0))
					}
				}
			}
		}
	}
}

// TestConvKernelGradientMatchesGoMLX checks the matrix-product kernel
// gradient of Conv3x3 against GoMLX's own gradient of the same
// convolution, with a batch, unequal channel counts and a non-square image.
func TestConvKernelGradientMatchesGoMLX(t *testing.T) {
	e, err := newEngine(DefaultConfig().Arch, 1, 21)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	const b, c, o, h, w = 3, 4, 5, 6, 7
	x := make([]float32, b*c*h*w)
	for i := range x {
		x[i] = float32(math.Sin(float64(i) * 0.7))
	}
	k := make([]float32, o*c*9)
	for i := range k {
		k[i] = float32(math.Cos(float64(i) * 0.3))
	}
	r := make([]float32, b*o*h*w)
	for i := range r {
		r[i] = float32(i%11) - 5
	}

	ex := e.exec("kernel_grad_check", func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		rr := graph.Const(in[0].Graph(), r)
		loss := func(y *graph.Node) *graph.Node {
			return graph.ReduceAllSum(graph.Mul(y, graph.Reshape(rr, y.Shape().Dimensions...)))
		}
		own := loss(Conv3x3(in[0], in[1]))
		ref := loss(graph.Convolve(in[0], in[1]).ChannelsAxis(timage.ChannelsFirst).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).Done())
		ownGrads := graph.Gradient(own, in[0], in[1])
		refGrads := graph.Gradient(ref, in[0], in[1])
		return []*graph.Node{own, ref, ownGrads[0], refGrads[0], ownGrads[1], refGrads[1]}
	})
	out, err := Call(ex, tensor(x, b, c, h, w), tensor(k, o, c, 3, 3))
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range []struct {
		name     string
		got, ref []float32
	}{{"output", out[0], out[1]}, {"input gradient", out[2], out[3]}, {"kernel gradient", out[4], out[5]}} {
		if len(pair.got) != len(pair.ref) {
			t.Fatalf("%s: %d values, GoMLX has %d", pair.name, len(pair.got), len(pair.ref))
		}
		for i := range pair.got {
			if d := math.Abs(float64(pair.got[i] - pair.ref[i])); d > 1e-3*(1+math.Abs(float64(pair.ref[i]))) {
				t.Fatalf("%s[%d] = %g, GoMLX gives %g", pair.name, i, pair.got[i], pair.ref[i])
			}
		}
	}
}

// TestGANStepLeavesGuideFixed runs GAN steps with the guide on and checks
// that the guide's weights and batch-norm statistics stay as they were,
// and that the guide changes the generator's loss.
func TestGANStepLeavesGuideFixed(t *testing.T) {
	a := DefaultConfig().Arch
	a.BaseWidth, a.ConditionProjection = 8, 8
	a.AuxClasses = len(GroundClasses)
	const batch = 4
	rng := rand.New(rand.NewPCG(3, 4))
	real := make([]float32, batch*3*ImageSize*ImageSize)
	for i := range real {
		real[i] = float32(rng.Float64()*2 - 1)
	}
	cond := make([]float32, batch*CondDim)
	noise := normalNoise(rng, batch)
	aux := make([]float32, batch*a.AuxClasses)
	for b := 0; b < batch; b++ {
		aux[b*a.AuxClasses+b%a.AuxClasses] = 1
	}

	lossG := map[float64]float32{}
	for _, weight := range []float64{0, 1} {
		a.GuideWeight = weight
		e, err := newEngine(a, 1, len(UCMercedClasses))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.guideLogits(real, batch); err != nil { // creates the guide's variables
			e.Close()
			t.Fatal(err)
		}
		before := guideValues(t, e)
		var l ganLosses
		for i := 0; i < 2; i++ {
			if l, err = e.ganStep(real, cond, noise, aux, batch, 2e-4, 0.5, 0.999); err != nil {
				e.Close()
				t.Fatal(err)
			}
		}
		lossG[weight] = l.G
		after := guideValues(t, e)
		e.Close()
		if len(before) == 0 {
			t.Fatal("the engine contains no guide variables")
		}
		for path, v := range before {
			if !slices.Equal(v, after[path]) {
				t.Errorf("guide weight %g: GAN steps changed %s", weight, path)
			}
		}
	}
	if lossG[0] == lossG[1] {
		t.Errorf("generator loss %g with and without the guide, want them to differ", lossG[0])
	}
}

// guideValues returns every guide variable's values by path.
func guideValues(t *testing.T, e *engine) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range e.store.IterVariables() {
		if !strings.HasPrefix(v.Path(), "/"+scopeGuide+"/") {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		out[v.Path()] = tensors.MustCopyFlatData[float32](val)
	}
	return out
}
