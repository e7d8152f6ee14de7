package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/downthere/downthere/training"
)

func init() {
	registerCommand("train", "train (or resume) a model set headless and export it", runTrain)
}

func runTrain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "JSON training config; fields it omits keep the defaults that --print-config shows")
	exportOnly := fs.Bool("export-only", false, "export the model set from the run folder's latest checkpoint without training")
	maxSteps := fs.Int("max-steps", 0, "stop after this many GAN steps in this invocation (0: run all epochs)")
	printConfig := fs.Bool("print-config", false, "print the configuration (defaults merged with --config) as JSON and exit")
	every := fs.Int("log-every", 10, "print one progress line every N steps")
	ganTime := fs.Duration("gan-time", 0, "end the GAN phase of this invocation after this much wall time (such as 60m), then train the classifier and export; 0 for no limit")
	encoderFrom := fs.String("encoder-from", "", "start a new run from the trained encoder in this checkpoint file (ignored when the run folder has a checkpoint)")
	noiseScale := fs.Float64("noise-scale", 0, "override the config's noise_scale, the factor on the exported generator's noise, in (0,1]; 0 keeps the config's")
	exportDir := fs.String("export-dir", "", "override the config's export_dir (with --noise-scale and --export-only: export one checkpoint at another scale beside the shipped set)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: viewer train [--config FILE] [--export-only] [--max-steps N] [--gan-time D] [--encoder-from CKPT] [--noise-scale F] [--export-dir DIR] [--print-config]")
		fmt.Fprintln(stderr, "\nTrains the encoder, the conditional GAN and the land-use classifier, resuming from")
		fmt.Fprintln(stderr, "run_dir's checkpoint when there is one, then exports the set to export_dir.")
		fmt.Fprintln(stderr, "Relative paths in the config are resolved against the config file's folder;")
		fmt.Fprintln(stderr, "without --config they are resolved against the working directory.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}

	cfg := training.DefaultConfig().WithBaseDir(".")
	if *configPath != "" {
		var err error
		if cfg, err = training.LoadConfig(*configPath); err != nil {
			fmt.Fprintln(stderr, "viewer train:", err)
			return 2
		}
	}
	if *maxSteps > 0 {
		cfg.MaxSteps = *maxSteps
	}
	if *noiseScale != 0 {
		cfg.NoiseScale = *noiseScale
	}
	// Paths given on the command line are relative to the working
	// directory, not to the config file.
	for _, f := range []struct {
		name, value string
		dst         *string
	}{{"--export-dir", *exportDir, &cfg.ExportDir}, {"--encoder-from", *encoderFrom, &cfg.EncoderFrom}} {
		if f.value == "" {
			continue
		}
		abs, err := filepath.Abs(f.value)
		if err != nil {
			fmt.Fprintf(stderr, "viewer train: %s: %v\n", f.name, err)
			return 2
		}
		*f.dst = abs
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "viewer train:", err)
		return 2
	}
	if *printConfig {
		data, err := json.MarshalIndent(cfg, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "viewer train: encode the configuration: %v\n", err)
			return 1
		}
		if _, err := fmt.Fprintln(stdout, string(data)); err != nil {
			fmt.Fprintf(stderr, "viewer train: write the configuration to stdout: %v\n", err)
			return 1
		}
		return 0
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := training.Options{Progress: progressPrinter(stderr, *every), GANTimeLimit: *ganTime}
	run := training.Run
	if *exportOnly {
		run = training.Export
	}
	res, err := run(ctx, cfg, opts)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "viewer train: stopped; the last checkpoint is saved, run the same command to resume")
			return 130
		}
		fmt.Fprintln(stderr, "viewer train:", err)
		return 1
	}
	fmt.Fprintf(stdout, "exported %s after %d GAN steps (%s)\n", res.ExportDir, res.GANSteps, res.Elapsed.Round(time.Second))
	return 0
}

// progressPrinter prints phase messages and one line every n steps.
func progressPrinter(w io.Writer, n int) func(training.Event) {
	n = max(n, 1)
	return func(ev training.Event) {
		stamp := time.Now().Format("15:04:05")
		if ev.Message != "" {
			fmt.Fprintf(w, "%s %-10s %s\n", stamp, ev.Phase, ev.Message)
		}
		if ev.SampleGrid != "" {
			fmt.Fprintf(w, "%s %-10s sample grid %s\n", stamp, ev.Phase, ev.SampleGrid)
		}
		if ev.Losses == nil || (ev.Step%n != 0 && ev.Step != ev.Steps) {
			return
		}
		fmt.Fprintf(w, "%s %-10s", stamp, ev.Phase)
		if ev.Epochs > 0 {
			fmt.Fprintf(w, " epoch %d/%d", ev.Epoch+1, ev.Epochs)
		}
		fmt.Fprintf(w, " step %d/%d", ev.Step, ev.Steps)
		for _, k := range []string{"loss", "accuracy", "d", "g", "d_real", "d_fake", "aux_real"} {
			if v, ok := ev.Losses[k]; ok {
				fmt.Fprintf(w, " %s=%.4f", k, v)
			}
		}
		fmt.Fprintf(w, " elapsed=%s eta=%s\n", ev.Elapsed.Round(time.Second), ev.ETA.Round(time.Second))
	}
}
