// Test of the Down There patch in float16.go; not part of the upstream module.

package onnxbackend

import (
	"encoding/binary"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	onnx "github.com/gomlx/compute-onnx/internal/protos"
)

func rawFloat32(values []float32) []byte {
	out := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return out
}

// TestConvertWeightsToFloat16 converts a graph with a large weight, a
// small one, a large one holding a value beyond the float16 range, and an
// integer tensor, and checks that only the first is stored as float16 and
// cast back before the node that reads it.
func TestConvertWeightsToFloat16(t *testing.T) {
	large := make([]float32, 8)
	for i := range large {
		large[i] = float32(i) * 0.125
	}
	huge := append([]float32(nil), large...)
	huge[3] = 1e6
	m := &onnx.ModelProto{Graph: &onnx.GraphProto{
		Initializer: []*onnx.TensorProto{
			{Name: "w", DataType: int32(onnx.TensorProto_FLOAT), Dims: []int64{8}, RawData: rawFloat32(large)},
			{Name: "b", DataType: int32(onnx.TensorProto_FLOAT), Dims: []int64{2}, FloatData: []float32{1, 2}},
			{Name: "h", DataType: int32(onnx.TensorProto_FLOAT), Dims: []int64{8}, RawData: rawFloat32(huge)},
			{Name: "i", DataType: int32(onnx.TensorProto_INT64), Dims: []int64{8}, Int64Data: make([]int64, 8)},
		},
		Node: []*onnx.NodeProto{{OpType: "Add", Input: []string{"x", "w"}, Output: []string{"y"}}},
	}}
	in, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}

	out, n, err := ConvertWeightsToFloat16(in, 4)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("converted %d initializers, want 1", n)
	}
	var got onnx.ModelProto
	if err := proto.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	w := got.Graph.Initializer[0]
	if w.Name != "w_float16" || w.DataType != int32(onnx.TensorProto_FLOAT16) || len(w.RawData) != 16 {
		t.Errorf("weight w: name %q, type %d, %d bytes; want w_float16, FLOAT16, 16 bytes", w.Name, w.DataType, len(w.RawData))
	}
	// 0.875 is exact in float16: sign 0, exponent 14, mantissa 0x300.
	if bits := binary.LittleEndian.Uint16(w.RawData[14:]); bits != 0x3b00 {
		t.Errorf("w[7] stored as %#04x, want 0x3b00 (0.875)", bits)
	}
	for i, name := range []string{"b", "h", "i"} {
		if got.Graph.Initializer[i+1].Name != name {
			t.Errorf("initializer %d renamed to %q, want it kept as %q", i+1, got.Graph.Initializer[i+1].Name, name)
		}
	}
	cast := got.Graph.Node[0]
	if cast.OpType != "Cast" || cast.Input[0] != "w_float16" || cast.Output[0] != "w" || cast.Attribute[0].I != int64(onnx.TensorProto_FLOAT) {
		t.Errorf("first node %v, want a Cast of w_float16 to float32 named w", cast)
	}
	if got.Graph.Node[1].OpType != "Add" {
		t.Errorf("second node is %s, want the original Add", got.Graph.Node[1].OpType)
	}

	if _, _, err := ConvertWeightsToFloat16([]byte("not a model"), 4); err == nil {
		t.Error("converting bytes that are not a model returned no error")
	}
}
