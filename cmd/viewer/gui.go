package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/downthere/downthere/assets"
	"github.com/downthere/downthere/geodata"
	"github.com/downthere/downthere/inference"
	"github.com/downthere/downthere/ui"
)

func init() {
	registerCommand("gui", "open the desktop viewer (run when no subcommand is named)", runGUI)
}

// appVersion is shown under Help > About and written into provenance
// records.
const appVersion = "0.1.0"

// appID is the Fyne application id, which names the preferences folder.
const appID = "io.github.downthere.viewer"

// envFrameLog turns on one log line per map frame, with its preparation
// time, for the pan/zoom benchmark of scripts/screenshots.
const envFrameLog = "DOWNTHERE_FRAME_LOG"

// guiOptions are the parsed command line of the gui subcommand.
type guiOptions struct {
	runtime *runtimeFlags
	window  fyne.Size
	file    string
}

func parseGUIArgs(args []string, stderr io.Writer) (guiOptions, int, bool) {
	fs := flag.NewFlagSet("viewer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := guiOptions{runtime: addRuntimeFlags(fs)}
	window := fs.String("window", "1400x900", "initial window size in logical pixels, WIDTHxHEIGHT")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: viewer [--ort-lib FILE] [--provider auto|cpu|cuda|tensorrt] [--no-fallback] [--models DIR] [--window WxH] [FILE|PROJECT.json]")
		fmt.Fprintln(stderr, "\nOpens the desktop viewer on FILE (any raster GDAL reads) or on a project file;")
		fmt.Fprintln(stderr, "without one it opens the embedded Olinda scene with its census-tract labels.")
		fmt.Fprintf(stderr, "Set %s=1 to log the preparation time of every map frame.\n", envFrameLog)
		fs.PrintDefaults()
	}

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return opts, 0, false
		}
		return opts, 2, false
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "viewer: %d files given (%s); open one raster or project at a time\n", fs.NArg(), strings.Join(fs.Args(), ", "))
		return opts, 2, false
	}
	opts.file = fs.Arg(0)

	size, err := parseWindowSize(*window)
	if err != nil {
		fmt.Fprintln(stderr, "viewer: --window:", err)
		return opts, 2, false
	}
	opts.window = size
	if _, err := opts.runtime.options(); err != nil {
		fmt.Fprintln(stderr, "viewer:", err)
		return opts, 2, false
	}
	if opts.file != "" {
		if _, err := os.Stat(opts.file); err != nil {
			fmt.Fprintf(stderr, "viewer: cannot open %s: %v\n", opts.file, err)
			return opts, 2, false
		}
	}
	return opts, 0, true
}

// parseWindowSize reads "WIDTHxHEIGHT" in logical pixels.
func parseWindowSize(s string) (fyne.Size, error) {
	w, h, ok := strings.Cut(strings.ToLower(s), "x")
	wf, errW := strconv.ParseFloat(w, 32)
	hf, errH := strconv.ParseFloat(h, 32)
	if !ok || errW != nil || errH != nil || wf < 320 || hf < 240 || wf > 16384 || hf > 16384 {
		return fyne.Size{}, fmt.Errorf("%q is not WIDTHxHEIGHT with 320 <= WIDTH and 240 <= HEIGHT, such as 1400x900", s)
	}
	return fyne.NewSize(float32(wf), float32(hf)), nil
}

func runGUI(args []string, stdout, stderr io.Writer) int {
	opts, code, ok := parseGUIArgs(args, stderr)
	if !ok {
		return code
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)

	a := app.NewWithID(appID)
	win := a.NewWindow("Down There")
	win.Resize(opts.window)

	g := newGUIApp(opts.runtime, log)
	defer g.close()
	v := ui.NewViewer(win, g.services())
	g.viewer = v
	if os.Getenv(envFrameLog) == "1" {
		v.Map.SetFrameObserver(logFrame(log))
	}
	v.OnSceneOpened = func(err error) {
		if err != nil {
			log.Error("open failed", "err", err)
		}
	}
	win.SetOnClosed(v.Close)
	go g.start(opts.file)
	win.ShowAndRun()
	return 0
}

// logFrame logs each map frame's preparation time in milliseconds.
func logFrame(log *slog.Logger) func(ui.FrameStats) {
	return func(st ui.FrameStats) {
		attrs := []any{
			"ms", math.Round(float64(st.Total.Microseconds())/10) / 100,
			"imagery_ms", math.Round(float64(st.Imagery.Microseconds())/10) / 100,
			"reused", st.Reused, "width", st.View.Width, "height", st.View.Height,
		}
		if st.Err != nil {
			attrs = append(attrs, "err", st.Err)
		}
		log.Info("frame", attrs...)
	}
}

// guiApp wires packages geodata, inference and training to the viewer.
type guiApp struct {
	flags  *runtimeFlags
	log    *slog.Logger
	cache  *geodata.TileCache
	slot   guiModelSlot
	viewer *ui.Viewer

	reg        *inference.Registry
	ortVersion string

	// modelsMu serialises the changes of the active model set and guards
	// reg and chosenModels.
	modelsMu sync.Mutex
	// chosenModels is set when the user loads a set from the training tab.
	// With it, or with --models, opened rasters keep the current set.
	// Otherwise each gets the shipped set nearest its ground resolution.
	chosenModels bool
}

func newGUIApp(flags *runtimeFlags, log *slog.Logger) *guiApp {
	return &guiApp{flags: flags, log: log, cache: geodata.NewTileCache(geodata.DefaultTileCacheBytes)}
}

func (g *guiApp) services() ui.Services {
	return ui.Services{
		OpenScene:  g.openScene,
		OpenLabels: g.openLabels,
		OpenPhotos: g.openPhotos,
		Models:     ui.Models{Note: "loading the model set…"},
		UseModels:  g.useModels,
		Exporter:   &guiExporter{app: g},
		Trainer:    &guiTrainer{},
		AppVersion: appVersion,
		BuildOverviews: func(ctx context.Context, path string, progress func(float64)) error {
			start := time.Now()
			err := geodata.BuildOverviews(ctx, path, geodata.OverviewOptions{Progress: progress})
			g.log.Info("overviews", "path", path, "ms", time.Since(start).Milliseconds(), "err", err)
			return err
		},
	}
}

// start loads the models and then opens the file named on the command
// line, or the embedded Olinda scene with its labels. The grid depends on
// the model set (cells match the encoder's input), so models come first.
func (g *guiApp) start(file string) {
	paths, err := g.initialPaths(file)
	if err != nil {
		g.log.Error("default scene", "err", err)
		fyne.Do(func() { g.viewer.ShowError(err) })
		return
	}
	m := g.loadModels(paths.Imagery)
	fyne.Do(func() {
		g.viewer.SetModels(m)
		if strings.EqualFold(filepath.Ext(paths.Imagery), ".json") {
			g.viewer.LoadProject(paths.Imagery)
			return
		}
		g.viewer.OpenScene(paths, ui.OpenOptions{}, nil)
	})
}

// initialPaths returns the file to open first: the argument, or the
// embedded default scene extracted to the cache folder.
func (g *guiApp) initialPaths(file string) (ui.ScenePaths, error) {
	if file != "" {
		return ui.ScenePaths{Imagery: file}, nil
	}
	s, err := assets.DefaultScene()
	if err != nil {
		return ui.ScenePaths{}, err
	}
	return ui.ScenePaths{Imagery: s.Raster, Labels: s.Labels}, nil
}

// loadModels starts ONNX Runtime and loads the model set for the scene.
// On failure the viewer runs without models and shows the error as the
// reason.
func (g *guiApp) loadModels(scenePath string) ui.Models {
	start := time.Now()
	opts, err := g.flags.options()
	if err != nil {
		return g.noModels(err)
	}
	rt, err := g.flags.startRuntime()
	if err != nil {
		return g.noModels(err)
	}
	g.ortVersion = rt.Library().Version
	info, err := g.flags.setInfo(sceneGroundResolution(scenePath))
	if err != nil {
		return g.noModels(err)
	}
	g.modelsMu.Lock()
	defer g.modelsMu.Unlock()
	g.reg = inference.NewRegistry(rt, opts)
	m, err := g.loadSet(info)
	if err != nil {
		return g.noModels(err)
	}
	st := m.Status
	g.log.Info("models loaded", "set", st.ModelSet, "hash", st.ModelHash, "source", info.Source,
		"provider", st.Provider, "requested", st.Requested, "reason", st.Reason, "ort", rt.Library().Path,
		"ms", time.Since(start).Milliseconds())
	return m
}

func (g *guiApp) noModels(err error) ui.Models {
	g.log.Warn("no models", "err", err)
	return ui.Models{Note: err.Error()}
}

// loadSet loads a model set, makes it the active one and returns it as
// the viewer's models. The caller holds modelsMu.
func (g *guiApp) loadSet(info inference.SetInfo) (ui.Models, error) {
	gm, err := g.prepareSet(info)
	if err != nil {
		return ui.Models{}, err
	}
	return g.activate(gm)
}

// prepareSet loads a model set without making it active. The caller
// holds modelsMu.
func (g *guiApp) prepareSet(info inference.SetInfo) (*guiModels, error) {
	set, err := g.reg.Load(context.Background(), info)
	if err != nil {
		return nil, err
	}
	gm, err := newGUIModels(g.reg, set)
	if err != nil {
		set.Close()
		return nil, err
	}
	return gm, nil
}

// activate makes a prepared set the active one, closing the set it
// replaces, and returns it as the viewer's models. The caller holds
// modelsMu.
func (g *guiApp) activate(gm *guiModels) (ui.Models, error) {
	if err := g.reg.Swap(gm.ms); err != nil {
		gm.ms.Close()
		return ui.Models{}, err
	}
	g.slot.set(gm)
	return ui.Models{Generator: gm, Classifier: gm, Status: runtimeStatus(gm.ms)}, nil
}

// useModels loads a model set folder written by the training tab.
func (g *guiApp) useModels(dir string) (ui.Models, error) {
	g.modelsMu.Lock()
	defer g.modelsMu.Unlock()
	if g.reg == nil {
		return ui.Models{}, errors.New("ONNX Runtime is not running, so no model set can be loaded; see the status bar")
	}
	info, err := inference.FolderSet(dir)
	if err != nil {
		return ui.Models{}, err
	}
	m, err := g.loadSet(info)
	if err != nil {
		return ui.Models{}, err
	}
	g.chosenModels = true
	g.log.Info("models switched", "set", m.Status.ModelSet, "hash", m.Status.ModelHash, "dir", dir,
		"provider", m.Status.Provider, "reason", m.Status.Reason)
	return m, nil
}

// sceneModels is the model set for a raster being opened: the active set,
// or a shipped set loaded but not yet active (pending).
type sceneModels struct {
	m       *guiModels
	pending bool
}

// modelsForScene returns the model set for a raster of resM metres per
// pixel that is being opened. Unless the user chose a set (--models or the
// training tab), that is the shipped set nearest resM. When another set is
// active, the new one is loaded but left pending, and finishSceneModels
// activates it once the raster has opened.
func (g *guiApp) modelsForScene(resM float64) sceneModels {
	g.modelsMu.Lock()
	defer g.modelsMu.Unlock()
	cur := g.slot.get()
	if g.reg == nil || g.flags.models != "" || g.chosenModels {
		return sceneModels{m: cur}
	}
	info, err := inference.ClosestShippedSet(resM)
	if err != nil {
		g.log.Warn("no shipped model set for the scene", "resolution_m", resM, "err", err)
		return sceneModels{m: cur}
	}
	if cur != nil && cur.ms.Source() == info.Source {
		return sceneModels{m: cur}
	}
	gm, err := g.prepareSet(info)
	if err != nil {
		g.log.Error("load the model set for the scene", "set", info.Source, "err", err)
		return sceneModels{m: cur}
	}
	return sceneModels{m: gm, pending: true}
}

// finishSceneModels activates a pending set of modelsForScene and hands it
// to the viewer when its raster opened, or closes it when the open failed
// or the user chose a set meanwhile.
func (g *guiApp) finishSceneModels(sm sceneModels, opened bool) {
	if !sm.pending {
		return
	}
	g.modelsMu.Lock()
	defer g.modelsMu.Unlock()
	if !opened || g.chosenModels {
		sm.m.ms.Close()
		return
	}
	m, err := g.activate(sm.m)
	if err != nil {
		g.log.Error("switch models for the scene", "set", sm.m.ms.Source(), "err", err)
		return
	}
	g.log.Info("models switched", "set", m.Status.ModelSet, "hash", m.Status.ModelHash, "source", sm.m.ms.Source(),
		"provider", m.Status.Provider, "reason", m.Status.Reason)
	if g.viewer != nil {
		fyne.Do(func() { g.viewer.SetModels(m) })
	}
}

// sceneGroundResolution returns the ground resolution of a raster in
// metres per pixel, which picks the shipped model set. It returns the
// Olinda scene's 28.5 m when the file cannot be read.
func sceneGroundResolution(path string) float64 {
	if path == "" || strings.EqualFold(filepath.Ext(path), ".json") {
		return defaultGroundResolutionM
	}
	ds, err := geodata.Open(path)
	if err != nil {
		return defaultGroundResolutionM
	}
	defer ds.Close()
	return groundResolution(ds.Info())
}

// groundResolution returns the pixel size of a raster in metres. A raster
// with no CRS or a local CRS has its scene units taken as metres, as its
// grid does (a plain image without a geotransform thus has 1 m pixels).
// It returns the Olinda scene's 28.5 m when the pixel size is not a
// positive finite number or the CRS is of another kind.
func groundResolution(info geodata.Info) float64 {
	res, _ := info.GeoTransform.PixelSize()
	if !(res > 0) || math.IsInf(res, 1) {
		return defaultGroundResolutionM
	}
	switch info.CRS.Kind {
	case geodata.CRSGeographic:
		return res * 111320 // metres per degree of latitude
	case geodata.CRSProjected, geodata.CRSNone, geodata.CRSLocal:
		return res
	}
	return defaultGroundResolutionM
}

// openScene opens a raster with a grid whose cells match the model set.
func (g *guiApp) openScene(ctx context.Context, path string, opt ui.OpenOptions) (*ui.Scene, error) {
	start := time.Now()
	resM := sceneGroundResolution(path)
	sm := g.modelsForScene(resM)
	models := sm.m
	cellSize := opt.CellSize
	if !(cellSize > 0) {
		cellSize = cellSizeForScene(models, resM)
	}
	gs, err := openGUIScene(path, cellSize, g.cache)
	g.finishSceneModels(sm, err == nil && ctx.Err() == nil)
	if err != nil {
		g.log.Error("open scene", "path", path, "err", err)
		return nil, err
	}
	for _, note := range []string{resolutionNote(models, resM, gs.grid.CellSizeM()), bandNote(gs.ds.Info())} {
		if note != "" {
			gs.info.Note = strings.TrimSpace(gs.info.Note + " " + note)
		}
	}
	info := gs.Info()
	g.log.Info("scene opened", "path", path, "width", info.Width, "height", info.Height, "bands", info.Bands,
		"crs", info.CRS, "cells", gs.grid.Len(), "cell_m", gs.grid.CellSizeM(), "note", info.Note,
		"ms", time.Since(start).Milliseconds())
	return &ui.Scene{Source: gs, Grid: guiGrid{gs.grid}, Closer: gs}, nil
}

func (g *guiApp) openLabels(ctx context.Context, path string, scene *ui.Scene) (ui.LabelLayer, error) {
	gs, err := sceneOf(scene)
	if err != nil {
		return nil, err
	}
	l, err := openGUILabels(ctx, path, gs)
	if err != nil {
		g.log.Error("open labels", "path", path, "err", err)
		return nil, err
	}
	g.log.Info("labels opened", "path", path, "classes", l.layer.Classes, "features", l.layer.Features,
		"labelled_cells", l.layer.LabelledCells(geodata.DefaultMinLabelCoverage))
	return l, nil
}

func (g *guiApp) openPhotos(ctx context.Context, path string, scene *ui.Scene) (ui.PhotoLayer, error) {
	gs, err := sceneOf(scene)
	if err != nil {
		return nil, err
	}
	p, err := openGUIPhotos(ctx, path, gs)
	if err != nil {
		g.log.Error("open photos", "path", path, "err", err)
		return nil, err
	}
	g.log.Info("photos opened", "path", path, "placed", len(p.photos))
	return p, nil
}

// close releases the model sets and ONNX Runtime after the window closed.
func (g *guiApp) close() {
	if g.reg != nil {
		if err := g.reg.Close(); err != nil {
			g.log.Error("close models", "err", err)
		}
	}
	if err := inference.Shutdown(); err != nil {
		g.log.Error("shut down ONNX Runtime", "err", err)
	}
}
