//go:build onnx

package training

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

func TestCosineDecayEnds(t *testing.T) {
	if got := cosineDecay(0.002, 0, 100); got != 0.002 {
		t.Errorf("step 0: %g, want 0.002", got)
	}
	if got := cosineDecay(0.002, 99, 100); math.Abs(got-0.00002) > 1e-12 {
		t.Errorf("last step: %g, want 0.00002", got)
	}
	if got := cosineDecay(0.002, 0, 1); got != 0.002 {
		t.Errorf("single step: %g, want 0.002", got)
	}
	if a, b := cosineDecay(0.002, 10, 100), cosineDecay(0.002, 11, 100); !(b < a) {
		t.Errorf("step 11 (%g) is not below step 10 (%g)", b, a)
	}
}

// TestEncoderLearningRateReachesAdam sets the encoder's learning rate to 0
// and checks that an Adam step then leaves the weights as they were: the
// schedule writes the variable the optimiser reads.
func TestEncoderLearningRateReachesAdam(t *testing.T) {
	a := DefaultConfig().Arch
	e, err := newEngine(a, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const batch, size = 4, 16
	patches := make([]float32, batch*3*size*size)
	for i := range patches {
		patches[i] = float32(math.Sin(float64(i)))
	}
	onehot := make([]float32, batch*3)
	for b := range batch {
		onehot[b*3+b%3] = 1
	}
	if _, _, err := e.encoderTrainStep(patches, onehot, batch, size, 1e-3); err != nil {
		t.Fatal(err)
	}

	weights := func() []float32 {
		v := e.store.RootScope().At(scopeEncoder).At("condition").GetVariable("weights")
		if v == nil {
			t.Fatal("no encoder condition weights")
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float32](val)
	}
	if err := e.setLearningRate(scopeEncoder, 0); err != nil {
		t.Fatal(err)
	}
	before := weights()
	if _, _, err := e.encoderTrainStep(patches, onehot, batch, size, 1e-3); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, weights()) {
		t.Error("a step at learning rate 0 changed the weights: the schedule does not reach Adam")
	}

	if err := e.setLearningRate(scopeEncoder, 1e-3); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.encoderTrainStep(patches, onehot, batch, size, 1e-3); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(before, weights()) {
		t.Error("a step at learning rate 1e-3 left the weights unchanged")
	}
}
