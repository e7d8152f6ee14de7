package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// Shortcut is one keyboard or mouse action listed under Help.
type Shortcut struct {
	Keys   string
	Action string
}

// Shortcuts lists every keyboard and mouse action of the viewer.
var Shortcuts = []Shortcut{
	{"Drag", "Pan the map"},
	{"Mouse wheel, trackpad scroll", "Zoom about the pointer"},
	{"Arrow keys", "Pan by an eighth of the view"},
	{"+ or =", "Zoom in"},
	{"-", "Zoom out"},
	{"Home", "Zoom to the whole scene"},
	{"Click a cell", "Generate ground-level views of the cell"},
	{"Ctrl+O", "Open a raster, label layer, photo folder or project"},
	{"Ctrl+S", "Save the project"},
	{"Ctrl+L", "Land use over the visible area"},
	{"Ctrl+Shift+L", "Land use over the whole scene"},
	{"Ctrl+E", "Export the land-use layer"},
	{"Escape", "Cancel the running job"},
	{"Ctrl+Q", "Quit"},
	{"F1", "Show this list"},
}

// showShortcuts shows the keyboard shortcuts in a dialog.
func showShortcuts(win fyne.Window) {
	grid := container.NewGridWithColumns(2)
	for _, s := range Shortcuts {
		grid.Add(widget.NewLabelWithStyle(s.Keys, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		grid.Add(widget.NewLabel(s.Action))
	}
	d := dialog.NewCustom("Keyboard shortcuts", "Close", grid, win)
	d.Show()
}
