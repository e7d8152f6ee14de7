//go:build !onnx

package training

import (
	"context"
	"errors"
	"time"
)

// ErrNoBackend is returned by Run and Export in builds without the onnx
// build tag, which leave out GoMLX's ONNX Runtime backend.
var ErrNoBackend = errors.New("training is not available in this build: rebuild with -tags=onnx")

// Result summarises a finished run or export.
type Result struct {
	ExportDir string
	GANSteps  int
	Elapsed   time.Duration
	Metrics   map[string]float64
}

// Run returns ErrNoBackend in this build.
func Run(ctx context.Context, cfg Config, opts Options) (*Result, error) { return nil, ErrNoBackend }

// Export returns ErrNoBackend in this build.
func Export(ctx context.Context, cfg Config, opts Options) (*Result, error) { return nil, ErrNoBackend }
