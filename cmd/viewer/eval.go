package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/downthere/downthere/evaluation"
	"github.com/downthere/downthere/inference"
)

func init() {
	registerCommand("eval", "measure the shipped models and regenerate docs/results.md", runEval)
}

func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := addRuntimeFlags(fs)
	fs.Lookup("models").Usage = "model set folder (the one holding set.json) measured on UC Merced (default models/sets/ucmerced-1.2m)"
	olindaModels := fs.String("olinda-models", "models/sets/olinda-landsat-30m", "model set used on the Olinda cells; when the folder has no set.json, the --models set is used")
	unconditional := fs.String("unconditional", "runs/sets/ucmerced-1.2m-unconditional", "unconditional GAN set for the paper's baseline; its row is reported missing when the folder has no set.json")
	paper := fs.String("paper", "runs/sets/ucmerced-1.2m-paper", "paper-faithful generator variant compared by class consistency; its row is reported missing when the folder has no set.json")
	seeds := fs.Int("seeds", 3, "number of evaluation seeds (1, 2, ...); every number is reported as mean and spread over them")
	out := fs.String("out", "docs/results.md", "Markdown report to write")
	images := fs.String("images", "", "folder for the PNG sheets (default: a results folder beside --out)")
	data := fs.String("data", "../shared/data", "folder with ucmerced/, intel_scenes/ and flickr_landscapes/")
	olinda := fs.String("olinda", "assets/olinda", "folder with the Olinda scene (L7_ETMs.tif) and census tracts (olinda1.shp); empty skips the Olinda comparison")
	cache := fs.String("cache", "runs/cache", "folder for decoded images and trained ground classifiers")
	work := fs.String("work", "runs/eval", "folder for the untrained twins of the model sets")
	quick := fs.Bool("quick", false, "a few images per class folder and a few training steps: checks that the pipeline runs, in minutes; its numbers mean nothing")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: viewer eval [flags]")
		fmt.Fprintln(stderr, "\nMeasures a model set on the real data and writes a Markdown report with PNG sheets:")
		fmt.Fprintln(stderr, "class consistency of generated views under a ground-scene classifier trained on the")
		fmt.Fprintln(stderr, "real photos, Frechet distances, a copying check, and the urban/rural comparison on")
		fmt.Fprintln(stderr, "UC Merced and Olinda against untrained networks and the majority class. The full run")
		fmt.Fprintln(stderr, "takes about 12 minutes on 2 cores once its ground classifiers are cached; training them")
		fmt.Fprintln(stderr, "first adds an estimated 16 to 20 minutes per seed. Trained classifiers and untrained twins")
		fmt.Fprintln(stderr, "are cached.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "viewer eval: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if flags.models == "" {
		flags.models = "models/sets/ucmerced-1.2m"
	}
	if *images == "" {
		*images = filepath.Join(filepath.Dir(*out), "results")
	}
	if err := checkEvalInputs(flags.models, *data, *seeds); err != nil {
		fmt.Fprintln(stderr, "viewer eval:", err)
		return 2
	}

	regOpts, err := flags.options()
	if err != nil {
		fmt.Fprintln(stderr, "viewer eval:", err)
		return 2
	}
	rt, err := flags.startRuntime()
	if err != nil {
		fmt.Fprintln(stderr, "viewer eval:", err)
		return 1
	}
	defer inference.Shutdown()
	reg := inference.NewRegistry(rt, regOpts)
	defer reg.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := evaluation.Options{
		Registry: reg, ModelsDir: flags.models, OlindaModelsDir: *olindaModels, UnconditionalDir: *unconditional, PaperDir: *paper,
		DataDir: *data, OlindaDir: *olinda, CacheDir: *cache, WorkDir: *work,
		OutPath: *out, ImageDir: *images, Seeds: *seeds, Quick: *quick,
		Command:  strings.TrimSpace("viewer eval " + strings.Join(args, " ")),
		Progress: func(msg string) { fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("15:04:05"), msg) },
	}
	res, err := evaluation.Run(ctx, opts)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "viewer eval: stopped; rerun the same command (trained classifiers and untrained sets are cached)")
			return 130
		}
		fmt.Fprintln(stderr, "viewer eval:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s (%s)\n", *out, res.Elapsed.Round(time.Second))
	return 0
}

// checkEvalInputs rejects a seed count below 1, a model set folder without
// set.json and a data folder without the ground photos, before ONNX
// Runtime starts.
func checkEvalInputs(modelsDir, dataDir string, seeds int) error {
	if seeds < 1 {
		return fmt.Errorf("--seeds %d: want at least 1", seeds)
	}
	if _, err := os.Stat(filepath.Join(modelsDir, "set.json")); err != nil {
		return fmt.Errorf("--models %s: no set.json there (%v); pass the folder of a trained model set, for example models/sets/ucmerced-1.2m", modelsDir, err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "intel_scenes")); err != nil {
		return fmt.Errorf("--data %s: no intel_scenes folder there; pass the folder holding ucmerced/, intel_scenes/ and flickr_landscapes/ (../shared/data beside the repository)", dataDir)
	}
	return nil
}
