//go:build onnx

package training

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/downthere/downthere/inference"
	"github.com/downthere/downthere/models"
)

// sharedDataDir returns ../shared/data relative to the repository root, or
// skips the test when it is absent.
func sharedDataDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "data"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ucmerced")); err != nil {
		t.Skipf("real data not found at %s (the folder beside the repository, ../shared/data): %v", dir, err)
	}
	return dir
}

// tinyConfig is a run of a few steps on two images per class folder.
func tinyConfig(t *testing.T, dataDir string) Config {
	t.Helper()
	tmp := t.TempDir()
	cfg := DefaultConfig()
	cfg.Name = "tiny"
	cfg.DataDir = dataDir
	cfg.RunDir = filepath.Join(tmp, "run")
	cfg.CacheDir = filepath.Join(tmp, "cache")
	cfg.ExportDir = filepath.Join(tmp, "sets", "tiny")
	cfg.MaxPerClass = 2
	cfg.PatchSize = 32
	cfg.Arch.BaseWidth = 8
	cfg.Arch.EncoderWidth = 8
	cfg.Arch.ConditionProjection = 8
	cfg.BatchSize = 8
	cfg.EncoderEpochs = 2
	cfg.GANEpochs = 3
	cfg.ClassifierSteps = 20
	cfg.CheckpointEvery = 2
	cfg.ExportBatch = 4
	return cfg
}

func TestRunSmallRealData(t *testing.T) {
	cfg := tinyConfig(t, sharedDataDir(t))
	var ganLosses []float64
	var phases []string
	opts := Options{Progress: func(ev Event) {
		if len(phases) == 0 || phases[len(phases)-1] != ev.Phase {
			phases = append(phases, ev.Phase)
		}
		if ev.Phase == PhaseGAN && ev.Losses != nil {
			ganLosses = append(ganLosses, ev.Losses["d"])
		}
	}}
	res, err := Run(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("phases %v, discriminator losses %v, metrics %v", phases, ganLosses, res.Metrics)

	if len(ganLosses) < 3 {
		t.Fatalf("got %d GAN steps, want at least 3", len(ganLosses))
	}
	if ganLosses[0] == ganLosses[len(ganLosses)-1] {
		t.Errorf("discriminator loss did not move: %v", ganLosses)
	}
	set, err := models.ReadSet(os.DirFS(res.ExportDir), ".")
	if err != nil {
		t.Fatalf("exported set does not validate: %v", err)
	}
	for _, role := range models.Roles {
		d := set.Manifests[role].Training.Metrics["onnx_max_abs_diff"]
		if d > MaxExportDifference {
			t.Errorf("%s: ONNX Runtime differs from GoMLX by %g", role, d)
		}
		d16, ok := set.Manifests[role].Training.Metrics["float16_max_abs_diff"]
		if !ok || d16 > MaxFloat16Difference {
			t.Errorf("%s: float16_max_abs_diff %g (present %v), want at most %g", role, d16, ok, MaxFloat16Difference)
		}
	}
	if set.Manifests[models.RoleEncoder].PatchSize != 32 {
		t.Errorf("encoder patch size %d, want 32", set.Manifests[models.RoleEncoder].PatchSize)
	}
	if _, err := os.Stat(filepath.Join(cfg.RunDir, "samples", "gan-epoch-001.png")); err != nil {
		t.Errorf("no sample grid: %v", err)
	}
	if _, err := os.Stat(filepath.Join(res.ExportDir, "CARD.md")); err != nil {
		t.Errorf("no model card: %v", err)
	}

	checkInInference(t, res.ExportDir, cfg.PatchSize)
	checkTruncatedExport(t, cfg, set, res.ExportDir)

	paper := cfg
	paper.Name = "tiny-paper"
	paper.RunDir += "-paper"
	paper.ExportDir += "-paper"
	paper.Arch.Variant = VariantPaper
	paper.Arch.ModeSeeking, paper.Arch.MinibatchStd, paper.Arch.AuxWeight = 0, false, 0
	paper.EncoderFrom = checkpointPath(cfg.RunDir)
	phases = nil
	res, err = Run(context.Background(), paper, opts)
	if err != nil {
		t.Fatalf("paper variant with the shared encoder: %v", err)
	}
	if slices.Contains(phases, PhaseEncoder) {
		t.Errorf("paper variant trained its own encoder; phases %v", phases)
	}
	if res.Metrics["encoder_test_accuracy"] != set.Manifests[models.RoleEncoder].Training.Metrics["encoder_test_accuracy"] {
		t.Errorf("shared encoder's accuracy %v differs from the first run's", res.Metrics["encoder_test_accuracy"])
	}
}

// checkTruncatedExport exports the same checkpoint with noise scale 0.5
// and checks that the new generator on noise n draws what the full-scale
// one draws on 0.5n, that the export left the checkpoint alone, and that
// the card states the noise scale.
func checkTruncatedExport(t *testing.T, cfg Config, full *models.Set, fullDir string) {
	t.Helper()
	before, err := fileSHA256(checkpointPath(cfg.RunDir))
	if err != nil {
		t.Fatal(err)
	}

	half := cfg
	half.NoiseScale = 0.5
	half.ExportDir += "-half"
	res, err := Export(context.Background(), half, Options{})
	if err != nil {
		t.Fatalf("export at noise scale 0.5: %v", err)
	}
	if after, err := fileSHA256(checkpointPath(cfg.RunDir)); err != nil || after != before {
		t.Errorf("exporting at another noise scale changed the checkpoint (%v)", err)
	}

	set, err := models.ReadSet(os.DirFS(res.ExportDir), ".")
	if err != nil {
		t.Fatalf("truncated set does not validate: %v", err)
	}
	if set.Manifests[models.RoleGenerator].SHA256 == full.Manifests[models.RoleGenerator].SHA256 {
		t.Errorf("the generator exported at noise scale 0.5 equals the one at 1")
	}

	gen := full.Manifests[models.RoleGenerator]
	b := int(gen.Inputs[0].Shape[0])
	rng := rand.New(rand.NewPCG(3, 4))
	cond, noise := make([]float32, b*CondDim), make([]float32, b*NoiseDim)
	for i := range cond {
		cond[i] = float32(rng.Float64()*2 - 1)
	}
	for i := range noise {
		noise[i] = float32(rng.NormFloat64())
	}
	halved := make([]float32, len(noise))
	for i, v := range noise {
		halved[i] = 0.5 * v
	}

	want, err := runORT(filepath.Join(fullDir, gen.File), gen.Inputs, gen.Outputs[0], [][]float32{cond, halved})
	if err != nil {
		t.Fatal(err)
	}
	got, err := runORT(filepath.Join(res.ExportDir, gen.File), gen.Inputs, gen.Outputs[0], [][]float32{cond, noise})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(got, want); d > 1e-4 {
		t.Errorf("generator at noise scale 0.5 on n differs from the one at 1 on 0.5n by %g", d)
	}

	card, err := os.ReadFile(filepath.Join(res.ExportDir, "CARD.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(card), "multiplies the noise by 0.5") {
		t.Errorf("card of the truncated set does not state the noise scale")
	}
}

// checkInInference loads the exported set into package inference's
// registry, as the viewer does, and generates views for one patch.
func checkInInference(t *testing.T, dir string, patchSize int) {
	t.Helper()
	rt, err := inference.Init(inference.LibraryOptions{Path: os.Getenv("DOWNTHERE_ORT_LIB")})
	if err != nil {
		t.Fatal(err)
	}
	reg := inference.NewRegistry(rt, inference.Options{})
	defer reg.Close()
	info, err := inference.FolderSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := reg.Load(context.Background(), info)
	if err != nil {
		t.Fatalf("inference rejects the exported set: %v", err)
	}
	if err := reg.Swap(ms); err != nil {
		t.Fatal(err)
	}
	patch := make([]float32, 3*patchSize*patchSize)
	views, err := inference.NewEngine(reg).ViewsForPatch(context.Background(), patch, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 3 || len(views[0]) != 3*ImageSize*ImageSize {
		t.Errorf("got %d views of %d values, want 3 of %d", len(views), len(views[0]), 3*ImageSize*ImageSize)
	}
}

func TestRunWithGuide(t *testing.T) {
	cfg := tinyConfig(t, sharedDataDir(t))
	cfg.Arch.GuideWeight = 1
	cfg.Arch.GuideEpochs = 2
	cfg.GANEpochs = 1
	var guideSteps int
	opts := Options{Progress: func(ev Event) {
		if ev.Phase == PhaseGuide && ev.Losses != nil {
			guideSteps++
		}
	}}
	res, err := Run(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if guideSteps == 0 {
		t.Fatal("the guide trained no steps")
	}
	acc, ok := res.Metrics["guide_test_accuracy"]
	if !ok || acc < 0 || acc > 1 {
		t.Errorf("guide_test_accuracy = %v (present %v), want a share in [0,1]", acc, ok)
	}
	card, err := os.ReadFile(filepath.Join(res.ExportDir, "CARD.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(card), "Guide:") {
		t.Error("the model card does not describe the guide")
	}

	ck, err := readCheckpoint(checkpointPath(cfg.RunDir))
	if err != nil {
		t.Fatal(err)
	}
	if ck.State.GuideSteps != guideSteps {
		t.Errorf("checkpoint records %d guide steps, the run reported %d", ck.State.GuideSteps, guideSteps)
	}
	if !slices.ContainsFunc(ck.Vars, func(v savedVar) bool { return strings.HasPrefix(v.Path, "/"+scopeGuide+"/") }) {
		t.Error("the checkpoint contains no guide variables")
	}

	// A longer run resumed from the checkpoint keeps the trained guide.
	cfg.GANEpochs = 2
	guideSteps = 0
	if _, err := Run(context.Background(), cfg, opts); err != nil {
		t.Fatal(err)
	}
	if guideSteps != 0 {
		t.Errorf("the resumed run trained the guide again (%d steps)", guideSteps)
	}
}
