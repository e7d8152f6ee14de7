package main

import (
	"context"
	"os"
	"path/filepath"
	"sync"

	"github.com/downthere/downthere/training"
	"github.com/downthere/downthere/ui"
)

// guiTrainer runs package training for the training tab, one run at a
// time. Relative paths in the tab are resolved against the working folder,
// as "viewer train" does without --config.
type guiTrainer struct {
	mu     sync.Mutex
	pauser *training.Pauser
}

var _ ui.Trainer = (*guiTrainer)(nil)

// Defaults returns training's defaults, with the run and export folders
// under the user's DownThere folder (see userTrainingDir) instead of the
// source tree, so a run started from the viewer never replaces a shipped
// model set.
func (t *guiTrainer) Defaults() ui.TrainConfig {
	d := training.DefaultConfig()
	base := userTrainingDir()
	return ui.TrainConfig{
		Name:          d.Name,
		Setting:       d.Setting,
		DataDir:       d.DataDir,
		RunDir:        filepath.Join(base, "runs", d.Name),
		ExportDir:     filepath.Join(base, "models", d.Name),
		BatchSize:     d.BatchSize,
		EncoderEpochs: d.EncoderEpochs,
		GANEpochs:     d.GANEpochs,
		LearningRate:  d.LR,
		MaxSteps:      d.MaxSteps,
		Seed:          d.Seed,
	}
}

// userTrainingDir is the folder for training runs and trained model sets:
// ~/DownThere, or DownThere in the working folder when there is no home.
func userTrainingDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return "DownThere"
	}
	return filepath.Join(home, "DownThere")
}

// Settings lists training's data settings.
func (t *guiTrainer) Settings() []string {
	return []string{training.SettingLandsat, training.SettingUCMerced}
}

// config turns the tab's parameters into a training config; fields the tab
// does not show keep training's defaults.
func (t *guiTrainer) config(c ui.TrainConfig) training.Config {
	cfg := training.DefaultConfig().WithBaseDir(".")
	cfg.Name, cfg.Setting = c.Name, c.Setting
	cfg.DataDir, cfg.RunDir, cfg.ExportDir = c.DataDir, c.RunDir, c.ExportDir
	cfg.BatchSize, cfg.EncoderEpochs, cfg.GANEpochs = c.BatchSize, c.EncoderEpochs, c.GANEpochs
	cfg.LR, cfg.MaxSteps, cfg.Seed = c.LearningRate, c.MaxSteps, c.Seed
	return cfg
}

// Train runs training.Run and forwards its events.
func (t *guiTrainer) Train(ctx context.Context, c ui.TrainConfig, emit func(ui.TrainEvent)) (ui.TrainResult, error) {
	cfg := t.config(c)
	if err := cfg.Validate(); err != nil {
		return ui.TrainResult{}, err
	}
	p := &training.Pauser{}
	t.mu.Lock()
	t.pauser = p
	t.mu.Unlock()

	res, err := training.Run(ctx, cfg, training.Options{Pause: p, Progress: func(ev training.Event) {
		emit(ui.TrainEvent{
			Phase: ev.Phase, Epoch: ev.Epoch, Epochs: ev.Epochs, Step: ev.Step, Steps: ev.Steps,
			Elapsed: ev.Elapsed, ETA: ev.ETA, Losses: ev.Losses, SampleGridPath: ev.SampleGrid, Message: ev.Message,
		})
	}})
	if err != nil {
		return ui.TrainResult{}, err
	}
	return ui.TrainResult{ModelSetDir: res.ExportDir, Name: cfg.Name}, nil
}

// SetPaused holds or resumes the current run between steps.
func (t *guiTrainer) SetPaused(paused bool) {
	t.mu.Lock()
	p := t.pauser
	t.mu.Unlock()
	if p == nil {
		return
	}
	if paused {
		p.Pause()
	} else {
		p.Resume()
	}
}
