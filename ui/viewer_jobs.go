package ui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// largeJobCells is the cell count above which the viewer asks before
// starting a land-use job.
const largeJobCells = 20000

// RunLandUse classifies the cells in view (or all cells of the scene) that
// have no result yet, as a job whose results are painted as they arrive.
func (v *Viewer) RunLandUse(wholeScene bool) {
	scene := v.Map.Scene()
	switch {
	case scene == nil || scene.Grid == nil:
		v.showError(errors.New("land use: open a raster first"))
		return
	case v.models.Classifier == nil:
		v.showError(fmt.Errorf("land use: no classifier is loaded (%s)", v.models.Note))
		return
	}
	cells := v.pendingCells(scene.Grid, wholeScene)
	scope := "view"
	if wholeScene {
		scope = "scene"
	}
	if len(cells) == 0 {
		v.Jobs.label.SetText(fmt.Sprintf("Land use (%s): every cell is already classified", scope))
		return
	}
	start := func() { v.startLandUse(cells, scope) }
	if len(cells) > largeJobCells {
		dialog.ShowConfirm("Large land-use job",
			fmt.Sprintf("%d cells will be classified. The job bar shows the time left once the first cells are done, and Cancel keeps the cells finished so far. Start?",
				len(cells)), func(ok bool) {
				if ok {
					start()
				}
			}, v.win)
		return
	}
	start()
}

// pendingCells lists the cells in view (or in the grid) without a result,
// row by row.
func (v *Viewer) pendingCells(g Grid, wholeScene bool) []Cell {
	cols, rows := g.Dims()
	c0, r0, c1, r1 := 0, 0, cols-1, rows-1
	if !wholeScene {
		var ok bool
		c0, r0, c1, r1, ok = g.Span(v.Map.DeviceView().Extent())
		if !ok {
			return nil
		}
	}
	var cells []Cell
	for row := r0; row <= r1; row++ {
		for col := c0; col <= c1; col++ {
			if _, done := v.results.Get(col, row); !done {
				cells = append(cells, g.Cell(col, row))
			}
		}
	}
	return cells
}

func (v *Viewer) startLandUse(cells []Cell, scope string) {
	job, err := v.Jobs.Start(context.Background(), "Land use ("+scope+")", len(cells))
	if err != nil {
		v.showError(err)
		return
	}
	st := v.Map.LayerStyle(LayerLandUse)
	st.Visible = true
	v.Map.SetLayerStyle(LayerLandUse, st)
	v.Layers.Sync()
	cls, results, scene := v.models.Classifier, v.results, v.Map.Scene()
	go func() {
		var mu sync.Mutex
		done := 0
		err := cls.Classify(job.Context(), scene, cells, func(r CellResult) {
			results.Add(r)
			mu.Lock()
			done++
			n := done
			mu.Unlock()
			job.Progress(n)
		})
		job.Finish(err)
		doOnUI(func() {
			v.Layers.Sync()
			if err != nil && !errors.Is(err, context.Canceled) {
				v.showError(fmt.Errorf("land use: %w", err))
			}
		})
	}()
}

// exportFormats lists the formats of the exporter and the map image.
func (v *Viewer) exportFormats() []ExportFormat {
	var out []ExportFormat
	if v.svc.Exporter != nil {
		out = append(out, v.svc.Exporter.Formats()...)
	}
	return append(out, MapPNGFormat)
}

// exportFormatsFor returns the export formats that can hold a scene:
// without longitude/latitude, those that need them are left out.
func (v *Viewer) exportFormatsFor(info SourceInfo) []ExportFormat {
	formats := v.exportFormats()
	if !info.HasLonLat {
		formats = slices.DeleteFunc(formats, func(f ExportFormat) bool { return f.NeedsLonLat })
	}
	return formats
}

func (v *Viewer) showExportDialog() {
	scene := v.Map.Scene()
	if scene == nil {
		v.showError(errors.New("export: open a raster first"))
		return
	}
	formats := v.exportFormatsFor(scene.Source.Info())
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.Name
	}

	pathEntry := widget.NewEntry()
	base := exportBase(scene.Source.Info().Path)
	sel := widget.NewSelect(names, func(name string) {
		if f, ok := formatByName(formats, name); ok {
			pathEntry.SetText(base + f.Ext)
		}
	})
	sel.SetSelectedIndex(0)
	// Fyne's save dialog confirms before it replaces a file, and then
	// creates or empties the file chosen. The empty file is removed, so no
	// stray file is left when the export is cancelled. The path the dialog
	// returned needs no second confirmation.
	var browsed string
	browse := widget.NewButton("Browse…", func() {
		d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			browsed = w.URI().Path()
			w.Close()
			removeIfEmpty(browsed)
			pathEntry.SetText(browsed)
		}, v.win)
		d.SetFileName(filepath.Base(pathEntry.Text))
		d.Show()
	})

	cols, rows := scene.Grid.Dims()
	note := widget.NewLabel(exportCoverage(v.results.Len(), cols*rows))
	note.Wrapping = fyne.TextWrapWord
	items := []*widget.FormItem{
		widget.NewFormItem("Format", sel),
		widget.NewFormItem("File", container.NewBorder(nil, nil, nil, browse, pathEntry)),
		widget.NewFormItem("", note),
	}

	d := dialog.NewForm("Export land use", "Export", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		f, _ := formatByName(formats, sel.Selected)
		path := strings.TrimSpace(pathEntry.Text)
		if path == browsed {
			v.Export(f, path)
			return
		}
		v.confirmOverwrite(path, func() { v.Export(f, path) })
	}, v.win)
	d.Resize(fyne.NewSize(620, 300))
	d.Show()
}

// exportCoverage returns the export dialog's line on how many cells have
// a land-use result.
func exportCoverage(classified, cells int) string {
	if classified >= cells {
		return fmt.Sprintf("All %d cells are classified.", cells)
	}
	return fmt.Sprintf("%d of %d cells are classified; unclassified cells are written as no data. Run Land use over the whole scene first to export every cell.",
		classified, cells)
}

// removeIfEmpty removes the empty regular file that Fyne's save dialog
// creates (or empties) at the path it returns, before the viewer writes
// the real file atomically, so that a cancelled or failed save leaves no
// empty file behind.
// NOTE: an existing file the user agreed to replace in that dialog is
// already emptied by Fyne, so a failed save still loses its old content.
func removeIfEmpty(path string) {
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Size() == 0 {
		os.Remove(path)
	}
}

// exportBase returns the export file name without extension proposed for
// a scene: <scene>_landuse beside the scene, or in the home folder when the
// scene lies in the user's cache folder (the extracted default scene).
func exportBase(scenePath string) string {
	base := strings.TrimSuffix(scenePath, filepath.Ext(scenePath)) + "_landuse"
	if !inUserCache(scenePath) {
		return base
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, filepath.Base(base))
	}
	return base
}

// confirmOverwrite runs then at once when path does not exist, and after
// the user agrees to replace the file when it does.
func (v *Viewer) confirmOverwrite(path string, then func()) {
	st, err := os.Stat(path)
	if err != nil {
		then() // absent, or unreadable: the export reports why it fails
		return
	}
	if st.IsDir() {
		v.showError(fmt.Errorf("export: %s is a folder; add a file name to the path", path))
		return
	}
	dialog.ShowConfirm("Replace file?", fmt.Sprintf("%s already exists. Replace it?", path), func(ok bool) {
		if ok {
			then()
		}
	}, v.win)
}

func formatByName(formats []ExportFormat, name string) (ExportFormat, bool) {
	for _, f := range formats {
		if f.Name == name {
			return f, true
		}
	}
	return ExportFormat{}, false
}

// Export writes the land-use results (or the map image) to path as a job.
func (v *Viewer) Export(f ExportFormat, path string) {
	if path == "" {
		v.showError(errors.New("export: choose a file name"))
		return
	}
	if f.ID == MapPNGFormat.ID {
		img := v.Map.Snapshot()
		if img == nil {
			v.showError(errors.New("export map image: the map has not been drawn yet"))
			return
		}
		v.runExport(f, path, func(ctx context.Context, _ func(int, int)) error { return writePNG(path, img) })
		return
	}
	if v.svc.Exporter == nil {
		v.showError(errors.New("export: this build has no exporter"))
		return
	}
	req := ExportRequest{Scene: v.Map.Scene(), Format: f.ID, Path: path, Classes: v.results.Classes(), Results: v.results.All()}
	if len(req.Results) == 0 {
		v.showError(errors.New("export: no cell is classified yet; run Land use first"))
		return
	}
	v.runExport(f, path, func(ctx context.Context, progress func(int, int)) error {
		return v.svc.Exporter.Export(ctx, req, progress)
	})
}

func (v *Viewer) runExport(f ExportFormat, path string, run func(ctx context.Context, progress func(done, total int)) error) {
	job, err := v.Jobs.Start(context.Background(), "Export "+filepath.Base(path), 0)
	if err != nil {
		v.showError(err)
		return
	}
	go func() {
		err := run(job.Context(), func(done, total int) {
			job.SetTotal(total)
			job.Progress(done)
		})
		job.Finish(err)
		if err != nil && !errors.Is(err, context.Canceled) {
			doOnUI(func() { v.showError(fmt.Errorf("export %s as %s: %w", path, f.Name, err)) })
		}
	}()
}

// Project returns the project file content for the current state; file
// hashes are left empty (SaveProjectTo fills them).
func (v *Viewer) Project() (Project, error) {
	scene := v.Map.Scene()
	if scene == nil {
		return Project{}, errors.New("save project: open a raster first")
	}
	info := scene.Source.Info()
	center, scale := v.Map.ViewState()
	p := Project{
		Version: ProjectVersion,
		Imagery: DataRef{Path: absPath(v.paths.Imagery), SHA256: scene.SHA256},
		View:    ProjectView{CenterX: center.X, CenterY: center.Y, UnitsPerPixel: scale, CRS: info.CRS},
		Layers:  map[string]LayerStyle{},
		Seeds:   v.Cells.Seeds(),

		ViewVariety: v.Cells.Variety(),
	}

	if scene.Grid != nil {
		cw, ch := scene.Grid.CellSize()
		cols, rows := scene.Grid.Dims()
		p.Grid = ProjectGrid{CellWidth: cw, CellHeight: ch, Cols: cols, Rows: rows, Units: info.Units}
	}
	if path := cmp.Or(v.paths.Labels, v.missing.Labels); path != "" {
		p.Labels = &DataRef{Path: absPath(path)}
	}
	if path := cmp.Or(v.paths.Photos, v.missing.Photos); path != "" {
		p.Photos = &DataRef{Path: absPath(path)}
	}

	for id := LayerID(0); id < layerCount; id++ {
		p.Layers[id.String()] = v.Map.LayerStyle(id)
	}
	p.SelectedCells = append([]string(nil), v.selected...)
	if cell, at, ok := v.Cells.Shown(); ok {
		p.ShownCell = &ProjectClick{Cell: cell.ID, X: at.X, Y: at.Y}
	}
	p.ModelSet = v.models.Status.ModelSet
	return p, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// SaveProjectTo writes the project file, hashing the data files first. It
// reads whole files, so it runs in the background and calls done on the UI
// goroutine.
func (v *Viewer) SaveProjectTo(path string, done func(error)) {
	p, err := v.Project()
	if err != nil {
		done(err)
		return
	}
	go func() {
		err := hashRefs(&p)
		if err == nil {
			err = SaveProject(path, p)
		}
		doOnUI(func() { done(err) })
	}()
}

// hashRefs fills the sha256 of the imagery and the label layer. A label
// layer that no longer exists (kept from a project that opened without
// it) keeps an empty sha256.
func hashRefs(p *Project) error {
	for _, ref := range []*DataRef{&p.Imagery, p.Labels} {
		if ref == nil || ref.SHA256 != "" {
			continue
		}
		sum, err := FileSHA256(ref.Path)
		if ref == p.Labels && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("save project: %w", err)
		}
		ref.SHA256 = sum
	}
	return nil
}

// LoadProject opens a project file and restores its data, view, styles,
// seeds and selected cell, in the background.
func (v *Viewer) LoadProject(path string) {
	p, err := LoadProject(path)
	if err != nil {
		v.showError(err)
		return
	}
	paths := ScenePaths{Imagery: p.Imagery.Path}
	if p.Labels != nil {
		paths.Labels = p.Labels.Path
	}
	if p.Photos != nil {
		paths.Photos = p.Photos.Path
	}
	go func() {
		var warnings []string
		named := paths
		paths.Labels = optionalLayer(path, "labels", paths.Labels, &warnings)
		paths.Photos = optionalLayer(path, "photos", paths.Photos, &warnings)
		refs := []*DataRef{&p.Imagery}
		if paths.Labels != "" {
			refs = append(refs, p.Labels)
		}
		for _, ref := range refs {
			w, err := CheckRef(*ref)
			if err != nil {
				warnings = append(warnings, err.Error())
			} else if w != "" {
				warnings = append(warnings, w)
			}
		}
		doOnUI(func() {
			v.OpenScene(paths, OpenOptions{CellSize: p.Grid.CellWidth}, func(s *Scene) {
				if paths.Labels == "" {
					v.missing.Labels = named.Labels
				}
				if paths.Photos == "" {
					v.missing.Photos = named.Photos
				}
				if note := v.restoreProject(p, s); note != "" {
					warnings = append(warnings, note)
				}
				if len(warnings) > 0 {
					dialog.ShowInformation("Project opened with warnings", strings.Join(warnings, "\n"), v.win)
				}
			})
		})
	}()
}

// optionalLayer returns the path of a project's optional layer (field
// labels or photos), or "" with a warning when the file no longer exists,
// so that the project opens without it. GDAL virtual paths (/vsizip/ and
// the like) are left to the layer reader.
func optionalLayer(project, field, path string, warnings *[]string) string {
	if path == "" || strings.HasPrefix(path, "/vsi") {
		return path
	}
	if _, err := os.Stat(path); err != nil {
		item := map[string]string{"labels": "Load labels…", "photos": "Load ground photos…"}[field]
		*warnings = append(*warnings, fmt.Sprintf("The %s layer of project %s could not be read (%v), so the project opens without it. Load it again with File > %s, or correct %s.path in the project file; saving the project keeps the path it names.",
			field, project, err, item, field))
		return ""
	}
	return path
}

// restoreProject applies a project's view, styles, seeds and selection to
// the freshly opened scene s. It returns a note for the user when the
// project's shown cell could not be restored, or "".
func (v *Viewer) restoreProject(p Project, s *Scene) string {
	for name, st := range p.Layers {
		if id := layerByName(name); id >= 0 {
			v.Map.SetLayerStyle(id, st)
		}
	}
	v.Map.SetViewState(MapPoint{X: p.View.CenterX, Y: p.View.CenterY}, p.View.UnitsPerPixel)
	v.Cells.SetSeeds(p.Seeds)
	v.Cells.SetVariety(p.ViewVariety)
	v.Layers.Sync()
	if p.ModelSet != "" && p.ModelSet != v.models.Status.ModelSet {
		dialog.ShowInformation("Different model set",
			fmt.Sprintf("The project was saved with model set %s; this viewer uses %s. Generated views and land use may differ.", p.ModelSet, v.models.Status.ModelSet), v.win)
	}
	v.selected = nil
	var last *Cell
	for _, id := range p.SelectedCells {
		if cell, ok := cellByID(s.Grid, id); ok {
			v.selected = appendUnique(v.selected, cell.ID)
			last = &cell
		}
	}
	return v.restoreShownCell(p.ShownCell, s.Grid, last)
}

// restoreShownCell shows the project's shown cell at its clicked point,
// or, when the project has none that lies on the grid, the last selected
// cell at its centre. It returns a note when the project named a shown
// cell that could not be shown.
func (v *Viewer) restoreShownCell(c *ProjectClick, g Grid, last *Cell) string {
	var note string
	if c != nil {
		at := MapPoint{X: c.X, Y: c.Y}
		cell, ok := cellByID(g, c.Cell)
		if ok && cell.Bounds.Contains(at) {
			v.cellTapped(cell, at)
			return ""
		}
		note = fmt.Sprintf("The project's shown cell %s is not a cell of this grid, so it was not restored.", c.Cell)
		if ok {
			note = fmt.Sprintf("The project's clicked point x %g, y %g lies outside its shown cell %s, so the cell was not restored.", c.X, c.Y, c.Cell)
		}
	}
	if last != nil {
		v.Map.Select(last)
		v.selected = appendUnique(v.selected, last.ID)
		v.Cells.ShowCellCentre(*last)
	}
	return note
}

// cellByID finds a cell by its id with a scan of the grid, which takes
// about a second per million cells.
func cellByID(g Grid, id string) (Cell, bool) {
	if g == nil {
		return Cell{}, false
	}
	cols, rows := g.Dims()
	for row := 0; row < rows; row++ {
		for col := 0; col < cols; col++ {
			if c := g.Cell(col, row); c.ID == id {
				return c, true
			}
		}
	}
	return Cell{}, false
}
