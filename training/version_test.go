//go:build onnx

package training

import (
	"regexp"
	"testing"
)

func TestVersionCarriesDigest(t *testing.T) {
	r := &runner{st: runState{GANSteps: 3327, ConfigHash: "f04150ab12cd34ef"}}
	got := r.version()
	if !regexp.MustCompile(`^\d{4}\.\d{2}\.\d{2}-gan3327-f04150$`).MatchString(got) {
		t.Errorf("version() = %q, want DATE-gan3327-f04150", got)
	}
}
