//go:build onnx

package training

import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Layers lends this package's layer building blocks to other packages that
// train networks on the same backend, so that their variables start from
// values drawn the same way and their batch norm behaves the same.
type Layers struct {
	lc layerCtx
}

// NewLayers returns the building blocks for one graph: initial values are
// drawn from seed and each variable's path, and batch norm uses (and
// updates) the batch statistics when training is set and the running
// statistics otherwise.
func NewLayers(seed uint64, training bool) Layers {
	return Layers{lc: layerCtx{seed: seed, training: training, updateBN: training}}
}

// Param returns the variable name in scope, creating it with normal values
// of standard deviation std, or the constant fill when std is 0.
func (l Layers) Param(scope *model.Scope, name string, std, fill float64, dims ...int) *model.Variable {
	return l.lc.param(scope, name, std, fill, dims...)
}

// BatchNorm normalises x [B,C,...] per channel, with the variables gamma,
// beta, running_mean and running_var in scope.
func (l Layers) BatchNorm(scope *model.Scope, x *graph.Node) *graph.Node {
	return l.lc.batchNorm(scope, x)
}
