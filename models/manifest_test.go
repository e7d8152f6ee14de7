package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func validManifest(model []byte) Manifest {
	sum := sha256.Sum256(model)
	return Manifest{
		Name:    "test-classifier",
		Version: "1",
		Role:    RoleClassifier,
		File:    "classifier.onnx",
		SHA256:  hex.EncodeToString(sum[:]),
		Inputs:  []Tensor{{Name: "features", Shape: []int64{-1, 8}, DType: "float32"}},
		Outputs: []Tensor{{Name: "probs", Shape: []int64{-1, 2}, DType: "float32"}},
		Classes: []Class{{Name: "urban", Color: "#d7301f"}, {Name: "rural", Color: "#1a9850"}},
	}
}

func TestManifestValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(m *Manifest)
		wantErr string
	}{
		{"valid", func(m *Manifest) {}, ""},
		{"empty name", func(m *Manifest) { m.Name = "" }, "name is empty"},
		{"unknown role", func(m *Manifest) { m.Role = "painter" }, `role "painter"`},
		{"file with folder", func(m *Manifest) { m.File = "../x.onnx" }, "bare file name"},
		{"short sha256", func(m *Manifest) { m.SHA256 = "abc" }, "not 64 hex digits"},
		{"non-hex sha256", func(m *Manifest) { m.SHA256 = strings.Repeat("z", 64) }, "not hex"},
		{"no inputs", func(m *Manifest) { m.Inputs = nil }, "inputs are empty"},
		{"zero dimension", func(m *Manifest) { m.Inputs[0].Shape = []int64{0, 8} }, "invalid shape"},
		{"int64 dtype", func(m *Manifest) { m.Outputs[0].DType = "int64" }, `dtype "int64"`},
		{"one class", func(m *Manifest) { m.Classes = m.Classes[:1] }, "at least 2 classes"},
		{"bad colour", func(m *Manifest) { m.Classes[0].Color = "red" }, "#rrggbb"},
		{"encoder without patch size", func(m *Manifest) { m.Role = RoleEncoder; m.Classes = nil }, "patch_size"},
		{"zero std", func(m *Manifest) {
			m.Normalization = &Normalization{Mean: []float32{0.5}, Std: []float32{0}}
		}, "std contains 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validManifest([]byte("model"))
			tt.edit(&m)
			err := m.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want error containing %q", tt.wantErr)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestReadManifestChecksum(t *testing.T) {
	model := []byte("model bytes")
	m := validManifest(model)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		fsys    fstest.MapFS
		wantErr string
	}{
		{"matching file", fstest.MapFS{
			"set/classifier.onnx.json": {Data: data},
			"set/classifier.onnx":      {Data: model},
		}, ""},
		{"missing model file", fstest.MapFS{
			"set/classifier.onnx.json": {Data: data},
		}, "set/classifier.onnx (named by set/classifier.onnx.json)"},
		{"replaced model file", fstest.MapFS{
			"set/classifier.onnx.json": {Data: data},
			"set/classifier.onnx":      {Data: []byte("other bytes")},
		}, "sha256 is"},
		{"missing manifest", fstest.MapFS{}, "read model manifest set/classifier.onnx.json"},
		{"unknown field", fstest.MapFS{
			"set/classifier.onnx.json": {Data: []byte(`{"nmae":"x"}`)},
		}, `unknown field "nmae"`},
		{"truncated JSON", fstest.MapFS{
			"set/classifier.onnx.json": {Data: data[:len(data)/2]},
		}, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadManifest(tt.fsys, "set/classifier.onnx.json")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ReadManifest() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ReadManifest() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseColor(t *testing.T) {
	got, err := ParseColor("#d7301f")
	if err != nil {
		t.Fatal(err)
	}
	if got != [3]uint8{0xd7, 0x30, 0x1f} {
		t.Errorf("ParseColor(#d7301f) = %v", got)
	}
	for _, bad := range []string{"", "d7301f", "#d7301", "#gg0000"} {
		if _, err := ParseColor(bad); err == nil {
			t.Errorf("ParseColor(%q) returned no error", bad)
		}
	}
}

func TestShippedSetDirsListsOnlySets(t *testing.T) {
	dirs, err := ShippedSetDirs()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, err := ReadSet(Shipped, d); err != nil {
			t.Errorf("shipped set %s does not load: %v", d, err)
		}
	}
}
