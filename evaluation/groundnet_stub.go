//go:build !onnx

package evaluation

import (
	"context"

	"github.com/downthere/downthere/training"
)

// groundNet replaces the ground classifier in builds without the onnx
// tag, which leave out GoMLX's ONNX Runtime backend. Every call returns
// training.ErrNoBackend.
type groundNet struct{}

func newGroundNet(seed int64, classes int) (*groundNet, error) { return nil, training.ErrNoBackend }

func (n *groundNet) Close() {}

func (n *groundNet) train(ctx context.Context, photos *imageSet, cfg groundTrainConfig, progress func(done, total int)) error {
	return training.ErrNoBackend
}

func (n *groundNet) embed(ctx context.Context, images [][]float32) (features, probs [][]float32, err error) {
	return nil, nil, training.ErrNoBackend
}

func (n *groundNet) save(path string) error { return training.ErrNoBackend }

func (n *groundNet) load(path string) error { return training.ErrNoBackend }
