// Down There patch (not upstream): see PATCHES.md.

package onnxbackend

import (
	"encoding/binary"

	"math"

	"github.com/gomlx/compute/dtypes/float16"
	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	onnx "github.com/gomlx/compute-onnx/internal/protos"
)

// ConvertWeightsToFloat16 rewrites a serialised ONNX model so that every
// float32 initializer with at least minElements values, all finite and
// within the float16 range, is stored as float16 and turned back into
// float32 by a Cast node at the start of the graph. The file shrinks by
// about half for weight-heavy models; the graph still computes in float32,
// on weights rounded to float16 (about 3 significant decimal digits). It
// returns the new model and the number of initializers converted.
func ConvertWeightsToFloat16(model []byte, minElements int) ([]byte, int, error) {
	var m onnx.ModelProto
	if err := proto.Unmarshal(model, &m); err != nil {
		return nil, 0, errors.Wrap(err, "ConvertWeightsToFloat16: parse ONNX model")
	}
	if m.Graph == nil {
		return nil, 0, errors.New("ConvertWeightsToFloat16: the model has no graph")
	}
	var casts []*onnx.NodeProto
	for _, init := range m.Graph.Initializer {
		half, ok := float16Data(init, minElements)
		if !ok {
			continue
		}
		name := init.Name
		init.Name = name + "_float16"
		init.DataType = int32(onnx.TensorProto_FLOAT16)
		init.RawData = half
		init.FloatData = nil
		casts = append(casts, &onnx.NodeProto{
			Name:      name + "_cast",
			OpType:    "Cast",
			Input:     []string{init.Name},
			Output:    []string{name},
			Attribute: []*onnx.AttributeProto{{Name: "to", Type: onnx.AttributeProto_INT, I: int64(onnx.TensorProto_FLOAT)}},
		})
	}
	m.Graph.Node = append(casts, m.Graph.Node...)
	out, err := proto.Marshal(&m)
	if err != nil {
		return nil, 0, errors.Wrap(err, "ConvertWeightsToFloat16: serialise ONNX model")
	}
	return out, len(casts), nil
}

// float16Data returns the values of a float32 initializer as little-endian
// float16 bytes, or false when the tensor is of another type, smaller than
// minElements, or holds a value that float16 cannot represent.
func float16Data(t *onnx.TensorProto, minElements int) ([]byte, bool) {
	if t.DataType != int32(onnx.TensorProto_FLOAT) || t.DataLocation == onnx.TensorProto_EXTERNAL {
		return nil, false
	}
	values := t.FloatData
	if len(t.RawData) > 0 {
		if len(t.RawData)%4 != 0 {
			return nil, false
		}
		values = make([]float32, len(t.RawData)/4)
		for i := range values {
			values[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.RawData[4*i:]))
		}
	}
	if len(values) < max(minElements, 1) {
		return nil, false
	}
	out := make([]byte, 2*len(values))
	for i, v := range values {
		if math.IsNaN(float64(v)) || math.Abs(float64(v)) > 65504 {
			return nil, false
		}
		binary.LittleEndian.PutUint16(out[2*i:], uint16(float16.FromFloat32(v)))
	}
	return out, true
}
