package models

import (
	"encoding/json"
	"testing"
	"testing/fstest"
)

func FuzzParseManifest(f *testing.F) {
	m := validManifest([]byte("model"))
	data, err := json.Marshal(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"name":"x","role":"encoder","inputs":[{"name":"a","shape":[-2],"dtype":"float32"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err == nil && m.Validate() != nil {
			t.Errorf("ParseManifest accepted a manifest that Validate rejects: %s", data)
		}
	})
}

func FuzzReadSet(f *testing.F) {
	f.Add([]byte(`{"name":"s","models":{"encoder":"e.onnx.json"}}`))
	f.Add([]byte(`{"name":""}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, spec []byte) {
		fsys := fstest.MapFS{"set/set.json": {Data: spec}}
		if _, err := ReadSet(fsys, "set"); err == nil {
			t.Errorf("ReadSet accepted a set without model files: %s", spec)
		}
	})
}
