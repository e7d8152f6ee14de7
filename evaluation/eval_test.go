//go:build onnx

package evaluation

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/downthere/downthere/inference"
)

// sharedDataDir returns ../shared/data relative to the repository root, or
// skips the test when it is absent.
func sharedDataDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "data"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "intel_scenes")); err != nil {
		t.Skipf("real data not found at %s (the folder beside the repository, ../shared/data): %v", dir, err)
	}
	return dir
}

func TestRunQuick(t *testing.T) {
	data := sharedDataDir(t)
	models := filepath.Join("..", "models", "sets", "ucmerced-1.2m")
	if _, err := os.Stat(filepath.Join(models, "set.json")); err != nil {
		t.Skipf("no trained model set at %s: %v", models, err)
	}
	rt, err := inference.Init(inference.LibraryOptions{})
	if err != nil {
		t.Fatalf("start ONNX Runtime: %v", err)
	}
	reg := inference.NewRegistry(rt, inference.Options{ProviderOptions: inference.ProviderOptions{Provider: inference.ProviderCPU}})
	defer reg.Close()

	tmp := t.TempDir()
	out := filepath.Join(tmp, "docs", "results.md")
	opts := Options{
		Registry: reg, ModelsDir: models, DataDir: data, OlindaDir: filepath.Join("..", "assets", "olinda"),
		CacheDir: filepath.Join(tmp, "cache"), WorkDir: filepath.Join(tmp, "work"),
		OutPath: out, ImageDir: filepath.Join(tmp, "docs", "results"), Seeds: 2, Quick: true,
		PaperDir: models, UnconditionalDir: models, // any set exercises the comparisons
		Command: "viewer eval --quick", Progress: func(msg string) { t.Log(msg) },
	}
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}

	if len(res.Quality) != 2 {
		t.Errorf("%d quality results, want one per seed (2)", len(res.Quality))
	}
	for _, q := range res.Quality {
		if q.Consistency < 0 || q.Consistency > 1 || q.Control < 0 || q.Control > 1 {
			t.Errorf("consistency %g or control %g outside [0,1]", q.Consistency, q.Control)
		}
	}
	if got := len(res.Variants[variantPaper]); got != 2 {
		t.Errorf("%d paper-variant results, want one per seed (2)", got)
	}
	if len(res.NoiseScales) != 2 {
		t.Errorf("%d noise-scale tables, want one per seed (2)", len(res.NoiseScales))
	}
	for seed, rows := range res.NoiseScales {
		if len(rows) != len(noiseScales) {
			t.Errorf("%d noise scales, want %d (the shipped 0.5 is among them)", len(rows), len(noiseScales))
			continue
		}
		for _, row := range rows {
			if row.Scale == res.Set.NoiseScale() && row.Consistency != res.Quality[seed].Consistency {
				t.Errorf("seed %d: consistency %g at the shipped noise scale, want the main table's %g", seed+1, row.Consistency, res.Quality[seed].Consistency)
			}
			if !(row.Spread > 0) {
				t.Errorf("seed %d: spread within a patch %g at noise scale %g, want above 0", seed+1, row.Spread, row.Scale)
			}
		}
		// For the shipped weights the spread grows with the noise scale.
		for i := 1; i < len(rows); i++ {
			if rows[i].Spread < rows[i-1].Spread {
				t.Errorf("spread within a patch %g at noise scale %g, below %g at %g", rows[i].Spread, rows[i].Scale, rows[i-1].Spread, rows[i-1].Scale)
			}
		}
	}
	names := map[string]bool{}
	for _, lu := range res.LandUse {
		names[lu.Name] = true
		for _, s := range lu.Seeds {
			for _, key := range []string{featOverhead, featInterpolated, featGround, featDiscriminator, featCombined} {
				if _, ok := s.Trained[key]; !ok {
					t.Errorf("%s: no trained %s scores", lu.Name, key)
				}
				if _, ok := s.Untrained[key]; !ok {
					t.Errorf("%s: no untrained %s scores", lu.Name, key)
				}
			}
			_, trained := s.Trained[featUnconditional]
			_, untrained := s.Untrained[featUnconditional]
			if trained != untrained || (lu.Name == "UC Merced" && !trained) {
				t.Errorf("%s: unconditional-GAN scores trained %v, untrained %v; want both", lu.Name, trained, untrained)
			}
		}
	}
	if !names["UC Merced"] || !names["Olinda"] {
		t.Errorf("settings %v, want UC Merced and Olinda", names)
	}

	trainedEncoder, err := os.ReadFile(filepath.Join(models, "encoder.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	twins, _ := filepath.Glob(filepath.Join(opts.WorkDir, "untrained-*", "set", "encoder.onnx"))
	if len(twins) == 0 {
		t.Error("no untrained twin was exported")
	}
	for _, twin := range twins {
		if b, err := os.ReadFile(twin); err != nil || bytes.Equal(b, trainedEncoder) {
			t.Errorf("untrained twin %s: read error %v, or the same weights as the trained encoder", twin, err)
		}
	}

	report, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Quick run", "Class consistency", "Generator variants", "Noise scale", "Olinda", "majority class", "samples-ucmerced.png"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, sheet := range []string{sheetUCMerced, sheetOlinda, sheetNearest} {
		if _, err := os.Stat(filepath.Join(opts.ImageDir, sheet)); err != nil {
			t.Errorf("sheet missing: %v", err)
		}
	}
}
