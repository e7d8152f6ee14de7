package training

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte(`{"name": "tiny", "batch_size": 8, "arch": {"base_width": 8}}`))
	f.Add([]byte(`{"setting": "landsat", "cell_size_m": 0}`))
	f.Add([]byte(`{"name": "a/b", "patch_size": 24, "test_fraction": 1}`))
	f.Add([]byte(`{"arch": null, "lr": -1e309}`))
	path := filepath.Join(f.TempDir(), "config.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("LoadConfig accepted a config that Validate rejects: %v\n%s", err, data)
		}
		if h := cfg.Hash(); len(h) != 16 {
			t.Errorf("Hash() = %q, want 16 hex digits", h)
		}
		for _, p := range []string{cfg.DataDir, cfg.RunDir} {
			if !filepath.IsAbs(cfg.Resolve(p)) {
				t.Errorf("Resolve(%q) = %q is not absolute", p, cfg.Resolve(p))
			}
		}
	})
}
