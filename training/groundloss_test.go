//go:build onnx

package training

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// TestGroundLoss compares the graph's ground-class loss with the same sum
// in Go: four overhead classes, the first two mapping to ground class 0.
func TestGroundLoss(t *testing.T) {
	e, err := newEngine(DefaultConfig().Arch, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	gl := groundLoss{weight: 1, groundOf: []int{0, 0, 1, 2}, groundClasses: 3}
	logits := []float32{
		2, 1, 0, -1, // ground 0 holds most of the probability
		0, 0, 3, 0,
		-50, -60, 40, 0, // ground 0 falls below the floor, which keeps the logarithm finite
	}
	labels := []float32{
		0, 1, 0, 0, // a confusion inside ground class 0 costs little
		0, 0, 0, 1,
		1, 0, 0, 0,
	}
	ex := e.exec("ground_loss_test", func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		return []*graph.Node{gl.graph(in[0], in[1])}
	})
	out, err := call(ex, tensor(logits, 3, 4), tensor(labels, 3, 4))
	if err != nil {
		t.Fatal(err)
	}

	var want float64
	for b := 0; b < 3; b++ {
		row := logits[b*4 : (b+1)*4]
		var total float64
		p := make([]float64, 3)
		for i, v := range row {
			total += math.Exp(float64(v))
			p[gl.groundOf[i]] += math.Exp(float64(v))
		}
		for i, y := range labels[b*4 : (b+1)*4] {
			if y > 0 {
				want -= float64(y) * math.Log(math.Max(p[gl.groundOf[i]]/total, 1e-12))
			}
		}
	}
	want /= 3
	if got := float64(out[0][0]); math.IsNaN(got) || math.Abs(got-want) > 1e-3*math.Max(1, want) {
		t.Errorf("ground loss = %g, want %g", got, want)
	}
}
