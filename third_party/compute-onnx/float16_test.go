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

func TestFloat16Bits(t *testing.T) {
	tests := []struct {
		in   float32
		want uint16
	}{
		{0, 0x0000},
		{1, 0x3c00},
		{-2, 0xc000},
		{0.875, 0x3b00},
		{65504, 0x7bff},
		{1 + 1.0/2048, 0x3c00},                // tie between 0x3c00 and 0x3c01: to even
		{1 + 3.0/2048, 0x3c02},                // tie between 0x3c01 and 0x3c02: to even
		{float32(math.Ldexp(1, -14)), 0x0400}, // smallest normal
		{1e-5, 0x00a8},                        // subnormal: 167.77 units of 2^-24
		{-1e-5, 0x80a8},
		{float32(math.Ldexp(1, -24)), 0x0001}, // smallest subnormal
		{float32(math.Ldexp(1, -26)), 0x0000}, // below half the smallest subnormal
		{float32(math.Ldexp(1023, -24) + math.Ldexp(1, -25)), 0x0400}, // rounds up into the normals
	}
	for _, tc := range tests {
		if got := float16Bits(tc.in); got != tc.want {
			t.Errorf("float16Bits(%g) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
}

// TestConvertWeightsToFloat16KeepsInputsAndNames checks that an
// initializer that is also a graph input keeps its type, and that the
// stored name does not collide with an existing one.
func TestConvertWeightsToFloat16KeepsInputsAndNames(t *testing.T) {
	data := rawFloat32(make([]float32, 8))
	m := &onnx.ModelProto{Graph: &onnx.GraphProto{
		Input: []*onnx.ValueInfoProto{{Name: "in"}},
		Initializer: []*onnx.TensorProto{
			{Name: "in", DataType: int32(onnx.TensorProto_FLOAT), Dims: []int64{8}, RawData: data},
			{Name: "w", DataType: int32(onnx.TensorProto_FLOAT), Dims: []int64{8}, RawData: data},
			{Name: "w_float16", DataType: int32(onnx.TensorProto_INT64), Dims: []int64{1}, Int64Data: []int64{1}},
		},
	}}
	in, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out, n, err := ConvertWeightsToFloat16(in, 4)
	if err != nil {
		t.Fatal(err)
	}
	var got onnx.ModelProto
	if err := proto.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if n != 1 || got.Graph.Initializer[0].DataType != int32(onnx.TensorProto_FLOAT) {
		t.Errorf("converted %d initializers, input initializer type %d; want 1 and FLOAT", n, got.Graph.Initializer[0].DataType)
	}
	if name := got.Graph.Initializer[1].Name; name != "w_float16_2" {
		t.Errorf("weight w stored as %q, want w_float16_2", name)
	}
}
