package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrainCommandOverrides(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		args      []string
		wantRC    int
		wantErr   string
		wantScale float64
		wantDir   string
	}{
		{name: "noise scale and export folder", args: []string{"--noise-scale", "0.5", "--export-dir", dir, "--print-config"}, wantScale: 0.5, wantDir: dir},
		{name: "config's scale kept", args: []string{"--print-config"}, wantScale: 1},
		{name: "noise scale above one", args: []string{"--noise-scale", "2", "--print-config"}, wantRC: 2, wantErr: "noise_scale 2 must be in (0,1]"},
		{name: "negative noise scale", args: []string{"--noise-scale", "-1", "--print-config"}, wantRC: 2, wantErr: "noise_scale -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if rc := dispatch(append([]string{"train"}, tt.args...), &stdout, &stderr); rc != tt.wantRC {
				t.Fatalf("exit status %d, want %d (stderr %q)", rc, tt.wantRC, stderr.String())
			}
			if tt.wantErr != "" {
				if !strings.Contains(stderr.String(), tt.wantErr) {
					t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantErr)
				}
				return
			}
			var cfg struct {
				NoiseScale float64 `json:"noise_scale"`
				ExportDir  string  `json:"export_dir"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &cfg); err != nil {
				t.Fatalf("--print-config output: %v", err)
			}
			if cfg.NoiseScale != tt.wantScale {
				t.Errorf("noise_scale %g, want %g", cfg.NoiseScale, tt.wantScale)
			}
			if tt.wantDir != "" && filepath.Clean(cfg.ExportDir) != filepath.Clean(tt.wantDir) {
				t.Errorf("export_dir %q, want %q", cfg.ExportDir, tt.wantDir)
			}
		})
	}
}
