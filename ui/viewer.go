package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// OpenOptions adjust how a scene is opened.
type OpenOptions struct {
	// CellSize is the grid cell edge in map units; 0 picks the size that
	// matches the loaded model set.
	CellSize float64
}

// Models are the loaded model set's generator and classifier.
type Models struct {
	Generator  ViewGenerator // nil when unavailable
	Classifier Classifier    // nil when unavailable
	Status     RuntimeStatus

	// Note is the reason models are unavailable; empty when they are loaded.
	Note string
}

// Services are the functions and interfaces the viewer uses from outside
// package ui. The viewer calls every function on a goroutine, never on the
// UI goroutine.
type Services struct {
	// OpenScene opens a raster with its grid.
	OpenScene func(ctx context.Context, path string, opt OpenOptions) (*Scene, error)

	// OpenLabels opens label polygons and assigns a label to each cell of
	// scene's grid; nil when label layers are not supported.
	OpenLabels func(ctx context.Context, path string, scene *Scene) (LabelLayer, error)

	// OpenPhotos indexes the geotagged photos in a folder and places them
	// on scene; nil when photo layers are not supported.
	OpenPhotos func(ctx context.Context, path string, scene *Scene) (PhotoLayer, error)

	Models Models

	// UseModels loads the model set in a folder, as written by training.
	UseModels func(dir string) (Models, error)

	Exporter Exporter // nil when exports are not available

	// BuildOverviews builds overviews for the raster at path beside it,
	// calling progress with the fraction done; nil when not supported.
	BuildOverviews func(ctx context.Context, path string, progress func(done float64)) error

	Trainer     Trainer
	TrainerNote string // reason Trainer is nil

	// AppVersion is shown under Help > About.
	AppVersion string
}

// ScenePaths are the files a scene is opened from.
type ScenePaths struct {
	Imagery string
	Labels  string // optional
	Photos  string // optional folder
}

// Viewer is the main window's content: map, layers and legend, cell panel,
// job bar, status bar, training tab, menus and shortcuts.
type Viewer struct {
	// OnSceneOpened is called on the UI goroutine after an open finishes,
	// with the error if it failed.
	OnSceneOpened func(err error)

	win    fyne.Window
	svc    Services
	models Models

	Map      *Map
	Layers   *LayersPanel
	Legend   *Legend
	Status   *StatusBar
	Jobs     *JobBar
	Cells    *CellPanel
	Training *TrainingTab

	results   *Results
	sceneNote *widget.Label // note on how the scene is shown; hidden when empty
	paths     ScenePaths
	// missing is the label and photo layer paths that the open project
	// names but that could not be read. Saving the project keeps them. A
	// layer that is present has an empty string here.
	missing  ScenePaths
	selected []string
	tabs     *container.AppTabs
}

// NewViewer builds the viewer into win: content, main menu, shortcuts and
// drop handling.
func NewViewer(win fyne.Window, svc Services) *Viewer {
	v := &Viewer{
		win:     win,
		svc:     svc,
		models:  svc.Models,
		Map:     NewMap(),
		Legend:  NewLegend(),
		Status:  NewStatusBar(),
		Jobs:    NewJobBar(),
		Cells:   NewCellPanel(),
		results: NewResults(classesOf(svc.Models.Classifier)),
	}
	v.Layers = NewLayersPanel(v.Map)
	v.Training = NewTrainingTab(svc.Trainer, svc.TrainerNote)
	v.Map.SetResults(v.results)
	v.wire()
	v.applyModels(svc.Models)
	win.SetContent(v.layout())
	win.SetMainMenu(v.mainMenu())
	v.addShortcuts()
	win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
		if len(uris) > 0 {
			v.Open(uris[0].Path())
		}
	})
	return v
}

func classesOf(c Classifier) []Class {
	if c == nil {
		return nil
	}
	return c.Classes()
}

// Close stops the map's render worker, cancels running work and releases
// the scene's files.
func (v *Viewer) Close() {
	// The map's render worker stops first, so that none of its frames is
	// laid out while the panels are cleared.
	v.Map.Close()
	v.Jobs.Cancel()
	v.Cells.Clear()
	v.Training.Cancel()
	if s := v.Map.Scene(); s != nil && s.Closer != nil {
		s.Closer.Close()
	}
}

// Results returns the land-use results of the scene shown.
func (v *Viewer) Results() *Results { return v.results }

// Window returns the window the viewer is in.
func (v *Viewer) Window() fyne.Window { return v.win }

func (v *Viewer) wire() {
	v.Map.OnCellTapped = v.cellTapped
	v.Map.OnCursor = func(info *CursorInfo) {
		var src SourceInfo
		if s := v.Map.Scene(); s != nil {
			src = s.Source.Info()
		}
		v.Status.SetCursor(info, src)
	}
	v.Map.OnViewChanged = v.viewChanged
	v.Map.onShares = func(shares []classShare) {
		v.Legend.SetShares(shares)
		v.Layers.syncNotes()
	}
	v.Cells.ChooseFolder = v.chooseFolder
	v.Cells.OnError = v.showError
	v.Training.ChooseFolder = v.chooseFolder
	v.Training.OnError = v.showError
	v.Training.OnUseModels = v.useModels
}

func (v *Viewer) layout() fyne.CanvasObject {
	v.sceneNote = widget.NewLabel("")
	v.sceneNote.Wrapping = fyne.TextWrapWord
	v.sceneNote.Importance = widget.WarningImportance
	v.sceneNote.Hide()
	side := container.NewVScroll(container.NewVBox(v.sceneNote, v.Layers, widget.NewSeparator(), v.Legend))
	mapAndCell := container.NewHSplit(v.Map, v.Cells)
	mapAndCell.Offset = 0.68
	main := container.NewHSplit(side, mapAndCell)
	main.Offset = 0.2
	bottom := container.NewVBox(v.Jobs, widget.NewSeparator(), v.Status)
	mapTab := container.NewBorder(v.toolbar(), bottom, nil, nil, main)
	v.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Map", theme.GridIcon(), mapTab),
		container.NewTabItemWithIcon("Training", theme.ComputerIcon(), v.Training),
	)
	return v.tabs
}

func (v *Viewer) toolbar() fyne.CanvasObject {
	return container.NewHBox(
		widget.NewButtonWithIcon("Open…", theme.FolderOpenIcon(), v.showOpenDialog),
		widget.NewButtonWithIcon("Save project…", theme.DocumentSaveIcon(), v.showSaveProjectDialog),
		widget.NewSeparator(),
		widget.NewButtonWithIcon("", theme.ZoomInIcon(), v.Map.ZoomIn),
		widget.NewButtonWithIcon("", theme.ZoomOutIcon(), v.Map.ZoomOut),
		widget.NewButtonWithIcon("Full extent", theme.ZoomFitIcon(), v.Map.FullExtent),
		widget.NewSeparator(),
		widget.NewButtonWithIcon("Land use: view", theme.MediaPlayIcon(), func() { v.RunLandUse(false) }),
		widget.NewButtonWithIcon("Land use: scene", theme.MediaFastForwardIcon(), func() { v.RunLandUse(true) }),
		widget.NewButtonWithIcon("Export…", theme.DownloadIcon(), v.showExportDialog),
	)
}

func (v *Viewer) viewChanged() {
	if s := v.Map.Scene(); s != nil {
		_, scale := v.Map.ViewState()
		v.Status.SetResolution(s.Source.Info(), scale)
	}
}

func (v *Viewer) cellTapped(cell Cell, at MapPoint) {
	v.Map.Select(&cell)
	v.selected = appendUnique(v.selected, cell.ID)
	v.Cells.ShowCell(cell, at)
}

func appendUnique(list []string, s string) []string {
	for i, x := range list {
		if x == s {
			return append(append(list[:i:i], list[i+1:]...), s)
		}
	}
	return append(list, s)
}

// SetModels switches the generator and classifier; land-use results of
// the old classifier are dropped because its classes may differ.
func (v *Viewer) SetModels(m Models) { v.applyModels(m) }

func (v *Viewer) applyModels(m Models) {
	v.models = m
	v.Cells.SetModels(m.Generator, m.Classifier, m.Note)
	v.Status.SetRuntime(m.Status)
	v.results.SetClasses(classesOf(m.Classifier))
	v.Layers.Sync()
}

func (v *Viewer) useModels(dir string) error {
	if v.svc.UseModels == nil {
		return errors.New("this build cannot load model sets")
	}
	m, err := v.svc.UseModels(dir)
	if err != nil {
		return err
	}
	v.applyModels(m)
	return nil
}

// Open opens path in the background: a project file (.json), a label layer
// (.shp, .gpkg, .geojson), a folder of ground photos, or a raster.
func (v *Viewer) Open(path string) {
	info, err := os.Stat(path)
	if err != nil {
		v.showError(fmt.Errorf("open %s: %w", path, err))
		return
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case info.IsDir():
		v.LoadPhotos(path)
	case ext == ".json":
		v.LoadProject(path)
	case ext == ".shp" || ext == ".gpkg" || ext == ".geojson":
		v.LoadLabels(path)
	default:
		v.OpenScene(ScenePaths{Imagery: path}, OpenOptions{}, nil)
	}
}

// OpenScene opens a raster with optional labels and photos in the
// background and shows it; then runs after on the UI goroutine, if not nil.
func (v *Viewer) OpenScene(paths ScenePaths, opt OpenOptions, after func(*Scene)) {
	if v.svc.OpenScene == nil {
		v.showError(errors.New("this build cannot open rasters"))
		return
	}
	job, err := v.Jobs.Start(context.Background(), "Opening "+filepath.Base(paths.Imagery), 0)
	if err != nil {
		v.showError(err)
		return
	}
	go func() {
		scene, err := v.openAll(job.Context(), paths, opt)
		job.Finish(err)
		doOnUI(func() {
			if err == nil {
				v.setScene(scene, paths)
				if after != nil {
					after(scene)
				}
			} else {
				v.showError(err)
			}
			if v.OnSceneOpened != nil {
				v.OnSceneOpened(err)
			}
		})
	}()
}

// openAll opens the imagery and then the optional layers on it.
func (v *Viewer) openAll(ctx context.Context, paths ScenePaths, opt OpenOptions) (*Scene, error) {
	scene, err := v.svc.OpenScene(ctx, paths.Imagery, opt)
	if err != nil {
		return nil, err
	}
	if paths.Labels != "" && v.svc.OpenLabels != nil {
		labels, err := v.svc.OpenLabels(ctx, paths.Labels, scene)
		if err != nil {
			closeScene(scene)
			return nil, err
		}
		scene.Labels = labels
	}
	if paths.Photos != "" && v.svc.OpenPhotos != nil {
		photos, err := v.svc.OpenPhotos(ctx, paths.Photos, scene)
		if err != nil {
			closeScene(scene)
			return nil, err
		}
		scene.Photos = photos
	}
	return scene, nil
}

func closeScene(s *Scene) {
	if s != nil && s.Closer != nil {
		s.Closer.Close()
	}
}

// setScene shows scene and releases the previous one.
func (v *Viewer) setScene(scene *Scene, paths ScenePaths) {
	old := v.Map.Scene()
	v.paths = paths
	v.missing = ScenePaths{}
	v.selected = nil
	v.results.Clear()
	v.Map.SetScene(scene)
	v.Cells.SetScene(scene, v.results)
	v.Layers.Sync()
	v.syncLabelLegend()
	v.win.SetTitle("Down There - " + scene.Source.Info().Name)
	v.setSceneNote(scene.Source.Info().Note)
	v.viewChanged()
	if old != nil && old != scene {
		// Closing waits for work still reading the old scene, such as a
		// frame being rendered, so it runs off the UI goroutine.
		go closeScene(old)
	}
	if scene.Source.Info().NeedsOverviews && v.svc.BuildOverviews != nil {
		v.offerOverviews(paths)
	}
}

// setSceneNote shows note above the layers, or hides the label when note
// is empty.
func (v *Viewer) setSceneNote(note string) {
	v.sceneNote.SetText(note)
	if note == "" {
		v.sceneNote.Hide()
	} else {
		v.sceneNote.Show()
	}
}

// SceneNote returns the note shown about the scene, for tests.
func (v *Viewer) SceneNote() string { return v.sceneNote.Text }

// overviewSteps is the resolution of the overview job's progress bar.
const overviewSteps = 1000

// offerOverviews offers to build overviews for a large raster that has
// none, builds them as a job and reopens the scene at the same view.
func (v *Viewer) offerOverviews(paths ScenePaths) {
	info := v.Map.Scene().Source.Info()
	msg := fmt.Sprintf("%s (%d x %d pixels) has no overviews, so every zoomed-out view reads the whole raster. "+
		"Build overviews now? They are written beside the file as %s.ovr; the raster itself is not changed.",
		info.Name, info.Width, info.Height, info.Name)
	dialog.ShowConfirm("Build overviews?", msg, func(ok bool) {
		if ok {
			v.buildOverviews(paths)
		}
	}, v.win)
}

func (v *Viewer) buildOverviews(paths ScenePaths) {
	job, err := v.Jobs.Start(context.Background(), "Building overviews of "+filepath.Base(paths.Imagery), overviewSteps)
	if err != nil {
		v.showError(err)
		return
	}
	go func() {
		err := v.svc.BuildOverviews(job.Context(), paths.Imagery, func(done float64) {
			job.Progress(int(done * overviewSteps))
		})
		job.Finish(err)
		doOnUI(func() {
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					v.showError(err)
				}
				return
			}
			center, scale := v.Map.ViewState()
			v.OpenScene(paths, OpenOptions{}, func(*Scene) { v.Map.SetViewState(center, scale) })
		})
	}()
}

func (v *Viewer) syncLabelLegend() {
	if s := v.Map.Scene(); s != nil && s.Labels != nil {
		v.Legend.SetLabelClasses(s.Labels.Classes())
	} else {
		v.Legend.SetLabelClasses(nil)
	}
}

// LoadLabels opens a label layer on the scene shown, in the background.
func (v *Viewer) LoadLabels(path string) {
	scene := v.Map.Scene()
	if scene == nil || v.svc.OpenLabels == nil {
		v.showError(fmt.Errorf("load labels %s: open a raster first", path))
		return
	}
	v.runOpen("Loading labels "+filepath.Base(path), func(ctx context.Context) (func(), error) {
		l, err := v.svc.OpenLabels(ctx, path, scene)
		return func() {
			v.paths.Labels = path
			v.Map.SetLabels(l)
			st := v.Map.LayerStyle(LayerLabels)
			st.Visible = true
			v.Map.SetLayerStyle(LayerLabels, st)
			v.Layers.Sync()
			v.syncLabelLegend()
		}, err
	})
}

// LoadPhotos opens a folder of geotagged photos on the scene shown, in the
// background.
func (v *Viewer) LoadPhotos(dir string) {
	scene := v.Map.Scene()
	if scene == nil || v.svc.OpenPhotos == nil {
		v.showError(fmt.Errorf("load photos %s: open a raster first", dir))
		return
	}
	v.runOpen("Loading photos "+filepath.Base(dir), func(ctx context.Context) (func(), error) {
		p, err := v.svc.OpenPhotos(ctx, dir, scene)
		return func() {
			v.paths.Photos = dir
			v.Map.SetPhotos(p)
			v.Cells.SetPhotos(p)
			v.Layers.Sync()
		}, err
	})
}

// runOpen runs load as a job and applies its result on the UI goroutine.
func (v *Viewer) runOpen(name string, load func(ctx context.Context) (apply func(), err error)) {
	job, err := v.Jobs.Start(context.Background(), name, 0)
	if err != nil {
		v.showError(err)
		return
	}
	go func() {
		apply, err := load(job.Context())
		job.Finish(err)
		doOnUI(func() {
			if err != nil {
				v.showError(err)
				return
			}
			apply()
		})
	}()
}

// ShowError shows err in a dialog.
func (v *Viewer) ShowError(err error) { v.showError(err) }

func (v *Viewer) showError(err error) {
	if err == nil {
		return
	}
	dialog.ShowError(err, v.win)
}
