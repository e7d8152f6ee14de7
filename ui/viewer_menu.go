package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
)

// rasterExtensions are offered by the Open dialog; GDAL reads many more,
// and drag and drop accepts any file.
var rasterExtensions = []string{".tif", ".tiff", ".vrt", ".img", ".jp2", ".png", ".jpg", ".jpeg", ".nc", ".hdf", ".ecw", ".json", ".shp", ".gpkg", ".geojson"}

func (v *Viewer) mainMenu() *fyne.MainMenu {
	file := fyne.NewMenu("File",
		fyne.NewMenuItem("Open raster or project…", v.showOpenDialog),
		fyne.NewMenuItem("Load labels…", v.showLabelsDialog),
		fyne.NewMenuItem("Load ground photos…", v.showPhotosDialog),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Save project…", v.showSaveProjectDialog),
		fyne.NewMenuItem("Export…", v.showExportDialog),
	)
	view := fyne.NewMenu("View",
		fyne.NewMenuItem("Zoom in", v.Map.ZoomIn),
		fyne.NewMenuItem("Zoom out", v.Map.ZoomOut),
		fyne.NewMenuItem("Full extent", v.Map.FullExtent),
	)
	analysis := fyne.NewMenu("Analysis",
		fyne.NewMenuItem("Land use over the view", func() { v.RunLandUse(false) }),
		fyne.NewMenuItem("Land use over the whole scene", func() { v.RunLandUse(true) }),
		fyne.NewMenuItem("Cancel the running job", v.Jobs.Cancel),
		fyne.NewMenuItem("Clear land use", func() { v.results.Clear(); v.Layers.Sync() }),
	)
	help := fyne.NewMenu("Help",
		fyne.NewMenuItem("Keyboard shortcuts", func() { showShortcuts(v.win) }),
		fyne.NewMenuItem("About", v.showAbout),
	)
	return fyne.NewMainMenu(file, view, analysis, help)
}

func (v *Viewer) addShortcuts() {
	c := v.win.Canvas()
	ctrl := func(key fyne.KeyName, mod fyne.KeyModifier, f func()) {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault | mod}, func(fyne.Shortcut) { f() })
	}
	ctrl(fyne.KeyO, 0, v.showOpenDialog)
	ctrl(fyne.KeyS, 0, v.showSaveProjectDialog)
	ctrl(fyne.KeyE, 0, v.showExportDialog)
	ctrl(fyne.KeyL, 0, func() { v.RunLandUse(false) })
	ctrl(fyne.KeyL, fyne.KeyModifierShift, func() { v.RunLandUse(true) })
	ctrl(fyne.KeyQ, 0, v.win.Close) // as File > Quit, which Fyne adds to the menu

	// Keys typed while no widget has the focus go to the map, so arrows
	// and +/- work without clicking the map first.
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if !v.Map.HandleKey(ev.Name) {
			v.windowKey(ev)
		}
	})
	c.SetOnTypedRune(v.Map.TypedRune)
	v.Map.OnOtherKey = v.windowKey
}

// windowKey handles the keys that work anywhere in the window.
func (v *Viewer) windowKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		v.Jobs.Cancel()
	case fyne.KeyF1:
		showShortcuts(v.win)
	}
}

// showOpenDialog opens a raster, label layer or project file.
func (v *Viewer) showOpenDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			v.showError(err)
			return
		}
		if r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		v.Open(path)
	}, v.win)
	d.SetFilter(storage.NewExtensionFileFilter(rasterExtensions))
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

func (v *Viewer) showLabelsDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			v.showError(err)
			return
		}
		path := r.URI().Path()
		r.Close()
		v.LoadLabels(path)
	}, v.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".shp", ".gpkg", ".geojson"}))
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

func (v *Viewer) showPhotosDialog() {
	v.chooseFolder(v.LoadPhotos)
}

// chooseFolder lets the user pick a folder and calls use with its path.
func (v *Viewer) chooseFolder(use func(dir string)) {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			v.showError(err)
			return
		}
		if u != nil {
			use(u.Path())
		}
	}, v.win)
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

func (v *Viewer) showSaveProjectDialog() {
	if v.Map.Scene() == nil {
		v.showError(fmt.Errorf("save project: open a raster first"))
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			v.showError(err)
			return
		}
		if w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		removeIfEmpty(path)
		if !strings.HasSuffix(strings.ToLower(path), ".json") {
			path += ".json"
		}
		v.SaveProjectTo(path, func(err error) {
			if err != nil {
				v.showError(err)
				return
			}
			v.Jobs.label.SetText("Project saved to " + path)
		})
	}, v.win)
	d.SetFileName("project.json")
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

func (v *Viewer) showAbout() {
	rs := v.models.Status
	lines := []string{
		"Down There " + v.svc.AppVersion,
		"Ground-level views of overhead imagery with a conditional GAN, and land-use classification from its discriminator features.",
		"",
		formatProviderFull(rs),
		formatModelSet(rs),
	}
	if v.models.Note != "" {
		lines = append(lines, "Models: "+v.models.Note)
	}
	if s := v.Map.Scene(); s != nil {
		info := s.Source.Info()
		bands := "bands"
		if info.Bands == 1 {
			bands = "band"
		}
		lines = append(lines, "", "Scene: "+info.Path, fmt.Sprintf("%d x %d pixels, %d %s, %s", info.Width, info.Height, info.Bands, bands, info.CRS))
		if info.Note != "" {
			lines = append(lines, info.Note)
		}
	}
	l := widget.NewLabel(strings.Join(lines, "\n"))
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("About Down There", "Close", l, v.win)
	d.Resize(fyne.NewSize(560, 360))
	d.Show()
}
