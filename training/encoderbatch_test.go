//go:build onnx

package training

import (
	"slices"
	"testing"
)

// TestEncoderBatchAppliesShift checks that encoder training batches are
// shifted when encoder_shift is set and keep their labels, and that
// without it they are the flipped and turned patches alone.
func TestEncoderBatchAppliesShift(t *testing.T) {
	const n, size = 4, 16
	set := &imageSet{Size: size, Pix: make([]uint8, n*3*size*size), Labels: []int{0, 1, 0, 1}, Names: []string{"a", "b", "c", "d"}}
	for i := range set.Pix {
		set.Pix[i] = uint8(i * 7)
	}
	runner := func(shiftPx int) *runner {
		cfg := DefaultConfig()
		cfg.EncoderShift = shiftPx
		return &runner{cfg: cfg, data: &pairedData{OverheadTrain: set, OverheadClasses: []string{"x", "y"}}}
	}
	idx, step := []int{3, 1, 0, 2}, 5

	plain, plainLabels := runner(0).encoderBatch(idx, step)
	flip, rot := randomAugment(runner(0).rng("encoder-step", step), n)
	if !slices.Equal(plain, set.batch(idx, flip, rot)) {
		t.Error("without encoder_shift the batch is not the flipped and turned patches")
	}

	shifted, labels := runner(4).encoderBatch(idx, step)
	if slices.Equal(shifted, plain) {
		t.Error("encoder_shift 4 left every patch of the batch in place")
	}
	if !slices.Equal(labels, plainLabels) {
		t.Errorf("encoder_shift changed the label rows: %v, want %v", labels, plainLabels)
	}
	for b, i := range idx {
		if labels[b*2+set.Labels[i]] != 1 {
			t.Errorf("row %d: label row %v does not name class %d", b, labels[b*2:b*2+2], set.Labels[i])
		}
	}
}
