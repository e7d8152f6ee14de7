package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/downthere/downthere/inference"
	"github.com/downthere/downthere/models"
)

func init() {
	registerCommand("runtime", "show the ONNX Runtime library, execution provider and model set in use", runRuntime)
}

// defaultGroundResolutionM is the ground resolution of the embedded Olinda
// scene (Landsat 7 ETM+, 28.5 m), used to pick a shipped model set when no
// scene is open.
const defaultGroundResolutionM = 28.5

// runtimeFlags are the flags shared by every subcommand that runs models.
type runtimeFlags struct {
	ortLib     string
	provider   string
	noFallback bool
	models     string
}

// addRuntimeFlags registers --ort-lib, --provider, --no-fallback and
// --models on fs.
func addRuntimeFlags(fs *flag.FlagSet) *runtimeFlags {
	f := &runtimeFlags{}
	fs.StringVar(&f.ortLib, "ort-lib", "", "path of the ONNX Runtime "+inference.RequiredVersion+" core library (libonnxruntime.so.1); "+
		"default: $"+inference.EnvLibrary+", then next to the executable, the project's .deps folder and the system library path")
	fs.StringVar(&f.provider, "provider", string(inference.ProviderAuto), "execution provider: auto (CUDA, then CPU), cuda, tensorrt or cpu")
	fs.BoolVar(&f.noFallback, "no-fallback", false, "fail when the requested execution provider cannot start, instead of running on CPU")
	fs.StringVar(&f.models, "models", "", "model set folder (the one holding set.json); default: the shipped set closest to the scene's ground resolution")
	return f
}

// options returns the registry options the flags select.
func (f *runtimeFlags) options() (inference.Options, error) {
	p, err := inference.ParseProvider(f.provider)
	if err != nil {
		return inference.Options{}, fmt.Errorf("--provider: %w", err)
	}
	return inference.Options{ProviderOptions: inference.ProviderOptions{Provider: p, NoFallback: f.noFallback}}, nil
}

// startRuntime starts the process's ONNX Runtime environment with the
// library --ort-lib names, or the one the search finds.
func (f *runtimeFlags) startRuntime() (*inference.Runtime, error) {
	return inference.Init(inference.LibraryOptions{Path: f.ortLib})
}

// setInfo returns the model set --models names, or the shipped set trained
// for the ground resolution nearest to groundResolutionM (metres/pixel).
func (f *runtimeFlags) setInfo(groundResolutionM float64) (inference.SetInfo, error) {
	if f.models != "" {
		return inference.FolderSet(f.models)
	}
	return inference.ClosestShippedSet(groundResolutionM)
}

// openEngine starts ONNX Runtime, loads the model set the flags select and
// returns an engine running on it. The caller closes the engine's registry
// and calls inference.Shutdown.
func (f *runtimeFlags) openEngine(ctx context.Context, groundResolutionM float64) (*inference.Engine, error) {
	opts, err := f.options()
	if err != nil {
		return nil, err
	}
	rt, err := f.startRuntime()
	if err != nil {
		return nil, err
	}
	info, err := f.setInfo(groundResolutionM)
	if err != nil {
		return nil, err
	}
	reg := inference.NewRegistry(rt, opts)
	set, err := reg.Load(ctx, info)
	if err != nil {
		return nil, err
	}
	if err := reg.Swap(set); err != nil {
		set.Close()
		return nil, err
	}
	return inference.NewEngine(reg), nil
}

func runRuntime(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("runtime", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := addRuntimeFlags(fs)
	groundRes := fs.Float64("ground-res", defaultGroundResolutionM, "ground resolution in metres per pixel used to pick the shipped model set")
	generate := fs.Int("generate", 0, "also encode a grey patch and generate this many views, and print the time taken")
	seed := fs.Int64("seed", 1, "seed of the views made with --generate")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: viewer runtime [--ort-lib FILE] [--provider P] [--no-fallback] [--models DIR] [--generate N]")
		fmt.Fprintln(stderr, "\nPrints the ONNX Runtime library found and its version, the execution provider")
		fmt.Fprintln(stderr, "that runs and why when it is not the one requested, and the model set loaded with")
		fmt.Fprintln(stderr, "the sha256 of each model. Exits with status 1 when any of them fails.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "viewer runtime: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	opts, err := flags.options()
	if err != nil {
		fmt.Fprintln(stderr, "viewer runtime:", err)
		return 2
	}

	rt, err := flags.startRuntime()
	if err != nil {
		fmt.Fprintln(stderr, "viewer runtime:", err)
		return 1
	}
	defer inference.Shutdown()
	lib := rt.Library()
	fmt.Fprintf(stdout, "library:   %s\nfound:     %s\nversion:   %s\n", lib.Path, lib.Place, lib.Version)

	status, err := inference.ProbeProvider(rt, opts.ProviderOptions)
	if err != nil {
		fmt.Fprintf(stdout, "provider:  none\n")
		fmt.Fprintln(stderr, "viewer runtime:", err)
		return 1
	}
	fmt.Fprintf(stdout, "provider:  %s\n", status)

	return printModelSet(stdout, stderr, flags, opts, rt, *groundRes, *generate, *seed)
}

// printModelSet loads the selected model set, prints it and, when views >
// 0, times a generation. It returns the exit status.
func printModelSet(stdout, stderr io.Writer, flags *runtimeFlags, opts inference.Options, rt *inference.Runtime, groundRes float64, views int, seed int64) int {
	printShippedSets(stdout)
	info, err := flags.setInfo(groundRes)
	if err != nil {
		fmt.Fprintf(stdout, "model set: none\n")
		fmt.Fprintln(stderr, "viewer runtime:", err)
		if flags.models != "" || views > 0 {
			return 1
		}
		return 0
	}

	ctx := context.Background()
	reg := inference.NewRegistry(rt, opts)
	defer reg.Close()
	set, err := reg.Load(ctx, info)
	if err != nil {
		fmt.Fprintf(stdout, "model set: none\n")
		fmt.Fprintln(stderr, "viewer runtime:", err)
		return 1
	}
	if err := reg.Swap(set); err != nil {
		set.Close()
		fmt.Fprintln(stderr, "viewer runtime:", err)
		return 1
	}
	spec := set.Spec()
	fmt.Fprintf(stdout, "model set: %s %s from %s (%g m/pixel), running on %s\n", spec.Name, spec.Version, set.Source(), spec.GroundResolutionM, set.Provider())
	for _, role := range models.Roles {
		m := set.Manifest(role)
		fmt.Fprintf(stdout, "  %-22s %-28s %-8s %-28s batch %-3d sha256 %s\n", role, m.Name, m.Version, m.File, set.BatchSize(role), m.SHA256)
	}

	if views > 0 {
		return printGeneration(stdout, stderr, inference.NewEngine(reg), set, views, seed)
	}
	return 0
}

func printShippedSets(stdout io.Writer) {
	infos, err := inference.ShippedSets()
	if err != nil || len(infos) == 0 {
		fmt.Fprintf(stdout, "shipped:   none\n")
		return
	}
	for i, info := range infos {
		label := "shipped:  "
		if i > 0 {
			label = "          "
		}
		fmt.Fprintf(stdout, "%s %s %s (%g m/pixel)\n", label, info.Spec.Name, info.Spec.Version, info.Spec.GroundResolutionM)
	}
}

// printGeneration encodes a mid-grey patch and generates views from it six
// times, and prints the first (warm-up) time and the median of the other
// five.
func printGeneration(stdout, stderr io.Writer, engine *inference.Engine, set *inference.ModelSet, views int, seed int64) int {
	p := set.PatchSize()
	grey := make([]uint8, 3*p*p)
	for i := range grey {
		grey[i] = 128
	}
	patch, err := set.PatchFromRGB(grey)
	if err != nil {
		fmt.Fprintln(stderr, "viewer runtime:", err)
		return 1
	}

	var times []time.Duration
	for range 6 {
		start := time.Now()
		out, err := engine.ViewsForPatch(context.Background(), patch, views, seed)
		if err != nil {
			fmt.Fprintln(stderr, "viewer runtime: generate:", err)
			return 1
		}
		times = append(times, time.Since(start))
		if len(out) != views {
			fmt.Fprintf(stderr, "viewer runtime: generate: %d views, want %d\n", len(out), views)
			return 1
		}
	}
	rest := slices.Clone(times[1:])
	slices.Sort(rest)
	fmt.Fprintf(stdout, "generate:  %d views (encode + generate, seed %d): first call %.1f ms, median of the next 5 %.1f ms\n",
		views, seed, ms(times[0]), ms(rest[len(rest)/2]))
	return 0
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
