//go:build onnx

package training

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// groundMap maps four overhead classes to three ground classes: the first
// two to ground class 0.
var groundMap = groundLoss{weight: 1, groundOf: []int{0, 0, 1, 2}, groundClasses: 3}

// groundTestEngine returns an engine for four overhead classes, closed
// when the test ends.
func groundTestEngine(t *testing.T) *engine {
	t.Helper()
	e, err := newEngine(DefaultConfig().Arch, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// groundLossRef is the ground-class loss of rows of k logits and labels,
// computed in float64 with one log-sum-exp per ground class.
func groundLossRef(gl groundLoss, logits, labels []float32) float64 {
	k := len(gl.groundOf)
	rows := len(logits) / k
	var loss float64
	for b := 0; b < rows; b++ {
		row := logits[b*k : (b+1)*k]
		all := logSumExp(row, func(int) bool { return true })
		for i, y := range labels[b*k : (b+1)*k] {
			if y == 0 {
				continue
			}
			g := gl.groundOf[i]
			inGround := logSumExp(row, func(j int) bool { return gl.groundOf[j] == g })
			loss -= float64(y) * (inGround - all)
		}
	}
	return loss / float64(rows)
}

// logSumExp returns log(sum(exp(v[j]))) over the j that keep accepts.
func logSumExp(v []float32, keep func(j int) bool) float64 {
	top := math.Inf(-1)
	for j, x := range v {
		if keep(j) {
			top = math.Max(top, float64(x))
		}
	}
	var sum float64
	for j, x := range v {
		if keep(j) {
			sum += math.Exp(float64(x) - top)
		}
	}
	return top + math.Log(sum)
}

func TestGroundLossMatchesReference(t *testing.T) {
	e := groundTestEngine(t)
	tests := []struct {
		name           string
		logits, labels []float32
	}{
		// A confusion inside ground class 0 costs little.
		{"inside one ground class", []float32{2, 1, 0, -1}, []float32{0, 1, 0, 0}},
		{"across ground classes", []float32{0, 0, 3, 0}, []float32{0, 0, 0, 1}},
		// The probability of ground class 0 is about exp(-90): the loss
		// must be about 90, with no floor.
		{"tiny probability", []float32{-50, -60, 40, 0}, []float32{1, 0, 0, 0}},
		{"blended across ground classes", []float32{1, 0, 2, -1}, []float32{0.5, 0, 0.5, 0}},
		{"blended inside a ground class", []float32{1, 0, 2, -1}, []float32{0.5, 0.5, 0, 0}},
	}
	ex := e.exec("ground_loss_test", func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		return []*graph.Node{groundMap.graph(in[0], in[1])}
	})
	var allLogits, allLabels []float32
	for _, tt := range tests {
		out, err := Call(ex, tensor(tt.logits, 1, 4), tensor(tt.labels, 1, 4))
		if err != nil {
			t.Fatal(err)
		}
		want := groundLossRef(groundMap, tt.logits, tt.labels)
		got := float64(out[0][0])
		if math.IsNaN(got) || math.Abs(got-want) > 1e-4*math.Max(1, want) {
			t.Errorf("%s: ground loss = %g, want %g", tt.name, got, want)
		}
		allLogits, allLabels = append(allLogits, tt.logits...), append(allLabels, tt.labels...)
	}

	// The same rows as one batch: the loss is their mean.
	n := len(tests)
	out, err := Call(ex, tensor(allLogits, n, 4), tensor(allLabels, n, 4))
	if err != nil {
		t.Fatal(err)
	}
	want := groundLossRef(groundMap, allLogits, allLabels)
	if got := float64(out[0][0]); math.IsNaN(got) || math.Abs(got-want) > 1e-4*math.Max(1, want) {
		t.Errorf("batch of %d rows: ground loss = %g, want the mean %g", n, got, want)
	}
}

// TestGroundLossEmptyGroundClass checks that ground classes without any
// overhead class, as in the Landsat setting, leave the loss and its
// gradient finite.
func TestGroundLossEmptyGroundClass(t *testing.T) {
	e := groundTestEngine(t)
	gl := groundMap
	gl.groundClasses = 5 // classes 3 and 4 have no overhead class
	ex := e.exec("ground_loss_empty_test", func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		l := gl.graph(in[0], in[1])
		return []*graph.Node{l, graph.Gradient(l, in[0])[0]}
	})
	logits, labels := []float32{1, 0, 2, -1}, []float32{0, 0, 1, 0}
	out, err := Call(ex, tensor(logits, 1, 4), tensor(labels, 1, 4))
	if err != nil {
		t.Fatal(err)
	}
	want := groundLossRef(groundMap, logits, labels)
	if got := float64(out[0][0]); math.IsNaN(got) || math.Abs(got-want) > 1e-4*math.Max(1, want) {
		t.Errorf("ground loss = %g, want %g", got, want)
	}
	for i, v := range out[1] {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Errorf("gradient on logit %d is %g", i, v)
		}
	}
}

// TestGroundLossGradientAtTinyProbability checks that a row whose true
// ground class has almost no probability still pulls on its logits.
func TestGroundLossGradientAtTinyProbability(t *testing.T) {
	e := groundTestEngine(t)
	ex := e.exec("ground_loss_grad_test", func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		l := groundMap.graph(in[0], in[1])
		return []*graph.Node{graph.Gradient(l, in[0])[0]}
	})
	out, err := Call(ex, tensor([]float32{-50, -60, 40, 0}, 1, 4), tensor([]float32{1, 0, 0, 0}, 1, 4))
	if err != nil {
		t.Fatal(err)
	}
	grad := out[0]
	// d loss / d logit 0 is -(share of logit 0 in its ground class) plus
	// its softmax probability: about -1.
	if math.Abs(float64(grad[0])+1) > 1e-3 {
		t.Errorf("gradient on the true class's logit = %g, want about -1", grad[0])
	}
	if math.Abs(float64(grad[2])-1) > 1e-3 {
		t.Errorf("gradient on the largest logit, of a wrong class, = %g, want about 1", grad[2])
	}
}

// TestEncoderStepAddsGroundLoss checks that encoderTrainStep's loss is the
// overhead cross-entropy plus the weighted ground loss of its logits: two
// engines with one seed start from the same weights.
func TestEncoderStepAddsGroundLoss(t *testing.T) {
	const batch, size, weight = 4, 16, 2.0
	a := DefaultConfig().Arch
	a.EncoderWidth = 4
	patches := make([]float32, batch*3*size*size)
	for i := range patches {
		patches[i] = float32(math.Sin(float64(i)))
	}
	onehot := make([]float32, batch*4)
	for b := 0; b < batch; b++ {
		onehot[b*4+b%4] = 1
	}

	// step returns the loss and logits of one training step, and the
	// logits of the same patches after it.
	step := func(gl groundLoss) (loss float32, logits, after []float32) {
		e, err := newEngine(a, 1, 4)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		e.groundLoss = gl
		if loss, logits, err = e.encoderTrainStep(patches, onehot, batch, size, 1e-3); err != nil {
			t.Fatal(err)
		}
		if _, after, err = e.encode(patches, batch, size); err != nil {
			t.Fatal(err)
		}
		return loss, logits, after
	}
	plain, plainLogits, plainAfter := step(groundLoss{})
	gl := groundMap
	gl.weight = weight
	withGround, logits, after := step(gl)

	for i := range logits {
		if math.Abs(float64(logits[i]-plainLogits[i])) > 1e-4 {
			t.Fatalf("logit %d differs between the two engines (%g, %g), so they did not start from the same weights", i, logits[i], plainLogits[i])
		}
	}
	want := float64(plain) + weight*groundLossRef(gl, logits, onehot)
	if math.Abs(float64(withGround)-want) > 1e-3*math.Max(1, want) {
		t.Errorf("loss with the ground term = %g, want %g (cross-entropy %g)", withGround, want, plain)
	}

	// The term must also be trained: the weights after the step differ.
	var diff float64
	for i := range after {
		diff = math.Max(diff, math.Abs(float64(after[i]-plainAfter[i])))
	}
	if diff < 1e-6 {
		t.Errorf("logits after one step differ by at most %g with and without the ground term, so the term did not reach the update", diff)
	}
}
