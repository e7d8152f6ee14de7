package evaluation

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/downthere/downthere/inference"
	"github.com/downthere/downthere/models"
	"github.com/downthere/downthere/training"
)

// untrainedMaxPerClass caps the images per class folder that the training
// code loads while it builds an untrained twin. The twin's weights do not
// depend on the data (no training step touches the networks that are
// evaluated), so a few images keep the run short.
const untrainedMaxPerClass = 4

// untrainedSet returns the folder of a model set with the architecture of
// the trained set whose encoder manifest is encoder, but with randomly
// initialised weights. Package training runs the manifest's training
// config with seed, no encoder or GAN epochs and one classifier step, and
// exports the result. The folder is reused when it already contains a set
// exported from the same config.
//
// dataDir and cacheDir replace the config's paths; maxPerClass > 0 caps
// the images per class folder, which only shortens the run (the weights
// do not depend on the data).
func untrainedSet(ctx context.Context, encoder *models.Manifest, workDir, dataDir, cacheDir string, seed int64, maxPerClass int) (string, error) {
	cfg := map[string]any{}
	for k, v := range encoder.Training.Config {
		cfg[k] = v
	}
	if len(cfg) == 0 {
		return "", fmt.Errorf("untrained twin of %s: the encoder manifest records no training config", encoder.Name)
	}
	name, _ := cfg["name"].(string)
	dir, err := filepath.Abs(filepath.Join(workDir, fmt.Sprintf("untrained-%s-seed%d", name, seed)))
	if err != nil {
		return "", err
	}
	cfg["seed"] = seed
	cfg["encoder_epochs"] = 0
	cfg["gan_epochs"] = 0
	cfg["classifier_steps"] = 1
	cfg["classifier_views"] = 1
	cfg["max_steps"] = 0
	// A trained set may record the checkpoint its encoder came from;
	// the twin must start from random weights instead.
	cfg["encoder_from"] = ""
	legacyArch(cfg)
	cfg["max_per_class"] = maxPerClass
	cfg["data_dir"] = dataDir
	cfg["cache_dir"] = cacheDir
	cfg["run_dir"] = filepath.Join(dir, "run")
	cfg["export_dir"] = filepath.Join(dir, "set")
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", fmt.Errorf("untrained twin of %s: %w", encoder.Name, err)
	}

	configPath := filepath.Join(dir, "config.json")
	setDir := filepath.Join(dir, "set")
	if old, err := os.ReadFile(configPath); err == nil && string(old) == string(data) {
		if _, err := inference.FolderSet(setDir); err == nil {
			return setDir, nil
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("untrained twin of %s: %w", encoder.Name, err)
	}
	if err := writeFileAtomic(configPath, func(w *bufio.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return "", err
	}
	tc, err := training.LoadConfig(configPath)
	if err != nil {
		return "", fmt.Errorf("untrained twin of %s: %w", encoder.Name, err)
	}
	if _, err := training.Run(ctx, tc, training.Options{}); err != nil {
		return "", fmt.Errorf("untrained twin of %s: %w", encoder.Name, err)
	}
	return setDir, nil
}

// legacyArch fills in the architecture fields that sets exported before
// they existed were trained with: the 2x2 encoder and sub-pixel
// upsampling. Without them the config would take today's defaults.
func legacyArch(cfg map[string]any) {
	arch, ok := cfg["arch"].(map[string]any)
	if !ok {
		return
	}
	if _, ok := arch["encoder_kernel"]; !ok {
		arch["encoder_kernel"] = 2
	}
	if _, ok := arch["upsample"]; !ok {
		arch["upsample"] = training.UpsampleSubpixel
	}
}

// absPath returns p made absolute, or p itself when that fails.
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
