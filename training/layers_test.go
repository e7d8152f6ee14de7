//go:build onnx

package training

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
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
		out, err := call(ex, tensor(x, 1, 2, n, n))
		if err != nil {
			t.Fatal(err)
		}
		maxErr := 0.0
		for i := range x {
			xp := append([]float32(nil), x...)
			xp[i] += 0.01
			o2, _ := call(ex, tensor(xp, 1, 2, n, n))
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
	res, err := call(ex, tensor(x, 1, c, n, n))
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
