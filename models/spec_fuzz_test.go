package models

import (
	"testing"
	"testing/fstest"
)

func FuzzReadSpec(f *testing.F) {
	f.Add([]byte(`{"name": "s", "version": "1", "ground_resolution_m": 30, "models": {"encoder": "e.onnx.json"}, "card": "CARD.md"}`))
	f.Add([]byte(`{"name": ""}`))
	f.Add([]byte(`{"name": "s", "ground_resolution_m": "30"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"set/set.json": {Data: data}}
		spec, err := ReadSpec(fsys, "set")
		if err == nil && spec.Name == "" {
			t.Errorf("ReadSpec accepted a set without a name: %s", data)
		}
	})
}
