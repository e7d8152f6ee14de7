//go:build onnx

package evaluation

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/downthere/downthere/training"
)

// colourSet returns n images per class: class 0 reddish, class 1 bluish,
// with a little per-image noise.
func colourSet(n int) *imageSet {
	set := &imageSet{Size: imageSize}
	plane := imageSize * imageSize
	for i := range 2 * n {
		label := i % 2
		img := make([]uint8, 3*plane)
		for p := range plane {
			jitter := uint8((p*13 + i*29) % 40)
			img[label*2*plane+p] = 180 + jitter // red plane for 0, blue plane for 1
			img[plane+p] = 60 + jitter
		}
		set.Pix = append(set.Pix, img...)
		set.Labels = append(set.Labels, label)
		set.Names = append(set.Names, filepath.Join("colour", string(rune('a'+label)), string(rune('0'+i%10))))
	}
	return set
}

func TestGroundNetLearnsAndRoundTrips(t *testing.T) {
	set := colourSet(64)
	net, err := newGroundNet(3, len(training.GroundClasses))
	if err != nil {
		t.Skipf("GoMLX backend unavailable: %v", err)
	}
	defer net.Close()
	ctx := context.Background()
	steps := 0
	if err := net.train(ctx, set, groundTrainConfig{Epochs: 3, LR: groundLR}, func(done, total int) { steps = total }); err != nil {
		t.Fatal(err)
	}
	if want := 3 * set.Len() / groundBatch; steps != want {
		t.Errorf("%d steps, want %d (3 epochs of %d photos at batch %d)", steps, want, set.Len(), groundBatch)
	}

	feat, probs, err := embedSet(ctx, net, set)
	if err != nil {
		t.Fatal(err)
	}
	if len(feat) != set.Len() || len(feat[0]) != groundFeatureDim || len(probs[0]) != len(training.GroundClasses) {
		t.Fatalf("embed gave %d rows of %d features and %d probabilities", len(feat), len(feat[0]), len(probs[0]))
	}
	if acc, _ := agreement(set.Labels, argmaxRows(probs), len(training.GroundClasses)); acc < 0.95 {
		t.Errorf("accuracy %.3f on two colours it was trained on, want at least 0.95", acc)
	}

	path := filepath.Join(t.TempDir(), "ground.gob")
	if err := net.save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := newGroundNet(3, len(training.GroundClasses))
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	if err := loaded.load(path); err != nil {
		t.Fatal(err)
	}
	_, again, err := embedSet(ctx, loaded, set)
	if err != nil {
		t.Fatal(err)
	}
	for i := range probs {
		for k := range probs[i] {
			if probs[i][k] != again[i][k] {
				t.Fatalf("image %d class %d: probability %g after loading, %g before", i, k, again[i][k], probs[i][k])
			}
		}
	}
}
