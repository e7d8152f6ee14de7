package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalCommandUsageErrors(t *testing.T) {
	dir := t.TempDir()
	models := filepath.Join("..", "..", "inference", "testdata", "testset")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "zero seeds", args: []string{"--models", models, "--seeds", "0"}, wantErr: "--seeds 0"},
		{name: "no model set", args: []string{"--models", dir}, wantErr: "no set.json"},
		{name: "no data", args: []string{"--models", models, "--data", dir}, wantErr: "no intel_scenes folder"},
		{name: "stray argument", args: []string{"extra"}, wantErr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if rc := dispatch(append([]string{"eval"}, tt.args...), &stdout, &stderr); rc != 2 {
				t.Errorf("exit status %d, want 2 (stderr %q)", rc, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}
