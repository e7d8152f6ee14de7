// Down There patch (not upstream): see PATCHES.md.

package onnxbackend

import (
	"encoding/binary"
	"fmt"

	"math"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	onnx "github.com/gomlx/compute-onnx/internal/protos"
)

// ConvertWeightsToFloat16 rewrites a serialised ONNX model so that every
// float32 initializer with at least minElements values, all finite and
// within the float16 range (|v| <= 65504), is stored as float16 and turned
// back into float32 by a Cast node at the start of the graph. Initializers
// that are also graph inputs keep their type. The graph still computes in
// float32, on weights rounded to the nearest float16 (11 significant bits;
// values below 2^-24 in magnitude become 0). Models made mostly of weights
// shrink to about half. It returns the new model and the number of
// initializers converted.
func ConvertWeightsToFloat16(model []byte, minElements int) ([]byte, int, error) {
	var m onnx.ModelProto
	if err := proto.Unmarshal(model, &m); err != nil {
		return nil, 0, errors.Wrap(err, "ConvertWeightsToFloat16: parse ONNX model")
	}
	if m.Graph == nil {
		return nil, 0, errors.New("ConvertWeightsToFloat16: the model has no graph")
	}
	names := map[string]bool{}
	inputs := map[string]bool{}
	for _, in := range m.Graph.Input {
		names[in.Name], inputs[in.Name] = true, true
	}
	for _, init := range m.Graph.Initializer {
		names[init.Name] = true
	}
	for _, n := range m.Graph.Node {
		for _, o := range n.Output {
			names[o] = true
		}
	}
	var casts []*onnx.NodeProto
	for _, init := range m.Graph.Initializer {
		if inputs[init.Name] {
			continue
		}
		half, ok := float16Data(init, minElements)
		if !ok {
			continue
		}
		name := init.Name
		stored := name + "_float16"
		for i := 2; names[stored]; i++ {
			stored = fmt.Sprintf("%s_float16_%d", name, i)
		}
		names[stored] = true
		init.Name = stored
		init.DataType = int32(onnx.TensorProto_FLOAT16)
		init.RawData = half
		init.FloatData = nil
		casts = append(casts, &onnx.NodeProto{
			Name:      stored + "_cast",
			OpType:    "Cast",
			Input:     []string{stored},
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
// float16 bytes, or false when the tensor is of another type, stored
// outside the file, smaller than minElements, or holds a value that
// float16 cannot represent.
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
		binary.LittleEndian.PutUint16(out[2*i:], float16Bits(v))
	}
	return out, true
}

// float16Bits returns the IEEE 754 half-precision bits nearest to a
// finite f with |f| <= 65504, ties to even, with subnormal results for
// |f| < 2^-14.
func float16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127
	mant := b & 0x7fffff
	if exp >= -14 {
		h := uint32(exp+15)<<10 | mant>>13
		rem := mant & 0x1fff
		if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
			h++ // a carry out of the mantissa raises the exponent, as it should
		}
		return sign | uint16(h)
	}
	if exp < -25 {
		return sign
	}
	// Subnormal: the value is m * 2^(exp-23) with the implicit bit in m,
	// counted in units of 2^-24.
	m := mant | 0x800000
	shift := uint(-exp - 1)
	h := m >> shift
	rem := m & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rem > half || (rem == half && h&1 == 1) {
		h++
	}
	return sign | uint16(h)
}
