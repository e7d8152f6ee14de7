package ui

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

var (
	_ fyne.Widget = (*LayersPanel)(nil)
	_ fyne.Widget = (*Legend)(nil)
)

// LayersPanel lists the map's layers, each with a visibility check box and
// an inline opacity slider, and a note for layers with no data loaded.
type LayersPanel struct {
	widget.BaseWidget

	m       *Map
	checks  [layerCount]*widget.Check
	sliders [layerCount]*widget.Slider
	notes   [layerCount]*widget.Label
	rows    *fyne.Container
	syncing bool // Sync is writing the controls: do not write them back
}

// NewLayersPanel returns the layers panel that controls m.
func NewLayersPanel(m *Map) *LayersPanel {
	p := &LayersPanel{m: m}
	p.rows = container.NewVBox()
	for id := LayerID(0); id < layerCount; id++ {
		p.addRow(id)
	}
	p.ExtendBaseWidget(p)
	return p
}

func (p *LayersPanel) addRow(id LayerID) {
	st := p.m.LayerStyle(id)
	check := widget.NewCheck(id.String(), func(on bool) {
		if p.syncing {
			return
		}
		s := p.m.LayerStyle(id)
		s.Visible = on
		p.m.SetLayerStyle(id, s)
	})
	check.SetChecked(st.Visible)
	slider := widget.NewSlider(0, 1)
	slider.Step = 0.05
	slider.SetValue(st.Opacity)
	slider.OnChanged = func(v float64) {
		if p.syncing {
			return
		}
		s := p.m.LayerStyle(id)
		s.Opacity = v
		p.m.SetLayerStyle(id, s)
	}
	note := widget.NewLabel("")
	note.TextStyle = fyne.TextStyle{Italic: true}
	note.Wrapping = fyne.TextWrapWord
	note.Hide()
	p.checks[id], p.sliders[id], p.notes[id] = check, slider, note
	p.rows.Add(container.NewBorder(nil, nil, check, nil, slider))
	p.rows.Add(note)
}

// Sync updates the check boxes and sliders from the map's layer styles and
// notes which layers have nothing loaded.
func (p *LayersPanel) Sync() {
	p.syncing = true
	defer func() { p.syncing = false }()
	s := p.m.Scene()
	for id := LayerID(0); id < layerCount; id++ {
		st := p.m.LayerStyle(id)
		p.checks[id].SetChecked(st.Visible)
		p.sliders[id].SetValue(st.Opacity)
	}
	p.syncNotes()
	if s != nil && s.Labels != nil {
		p.checks[LayerLabels].Text = "Labels: " + s.Labels.Name()
	} else {
		p.checks[LayerLabels].Text = LayerLabels.String()
	}
	p.checks[LayerLabels].Refresh()
}

// syncNotes shows, under each layer, why it shows nothing.
func (p *LayersPanel) syncNotes() {
	s := p.m.Scene()
	for id := LayerID(0); id < layerCount; id++ {
		note := layerNote(id, s, p.m.resultsStore())
		if p.notes[id].Text != note {
			p.notes[id].SetText(note)
		}
		if note == "" {
			p.notes[id].Hide()
		} else {
			p.notes[id].Show()
		}
	}
}

// layerNote returns the reason a layer shows nothing, or "".
func layerNote(id LayerID, s *Scene, r *Results) string {
	switch {
	case s == nil:
		return ""
	case id == LayerLabels && s.Labels == nil:
		return "No label layer loaded (File > Load labels)"
	case id == LayerPhotos && s.Photos == nil:
		return "No ground photos loaded (File > Load photos)"
	case (id == LayerLandUse || id == LayerConfidence) && (r == nil || r.Len() == 0):
		return "Not computed yet (Analysis > Land use)"
	}
	return ""
}

// CreateRenderer is part of fyne.Widget.
func (p *LayersPanel) CreateRenderer() fyne.WidgetRenderer {
	title := widget.NewLabelWithStyle("Layers", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return widget.NewSimpleRenderer(container.NewVBox(title, p.rows))
}

// resultsStore returns the results the map shows.
func (m *Map) resultsStore() *Results {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.results
}

// Legend shows the land-use classes with their colours and each class's
// share of the classified cells in view, the confidence ramp, and the label
// classes.
type Legend struct {
	widget.BaseWidget

	box    *fyne.Container
	shares []classShare
	labels []Class
}

// NewLegend returns an empty legend.
func NewLegend() *Legend {
	l := &Legend{box: container.NewVBox()}
	l.ExtendBaseWidget(l)
	l.rebuild()
	return l
}

// SetShares shows the classes and their shares of the view.
func (l *Legend) SetShares(shares []classShare) {
	l.shares = shares
	l.rebuild()
}

// SetLabelClasses shows the classes of the label layer; nil hides them.
func (l *Legend) SetLabelClasses(classes []Class) {
	l.labels = classes
	l.rebuild()
}

// Rows returns the legend's text lines, for tests.
func (l *Legend) Rows() []string {
	var out []string
	for _, o := range l.box.Objects {
		out = append(out, textsOf(o)...)
	}
	return out
}

func textsOf(o fyne.CanvasObject) []string {
	switch v := o.(type) {
	case *widget.Label:
		return []string{v.Text}
	case *fyne.Container:
		var out []string
		for _, c := range v.Objects {
			out = append(out, textsOf(c)...)
		}
		return out
	}
	return nil
}

func (l *Legend) rebuild() {
	l.box.RemoveAll()
	l.box.Add(widget.NewLabelWithStyle("Legend", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	total := 0
	for _, s := range l.shares {
		total += s.Cells
	}
	if len(l.shares) == 0 {
		l.box.Add(widget.NewLabel("Land use: not computed"))
	} else {
		l.box.Add(widget.NewLabel(fmt.Sprintf("Land use in view (%s)", plural(total, "cell", "cells"))))
		for _, s := range l.shares {
			text := fmt.Sprintf("%s  %.0f %%", s.Class.Name, 100*s.Share)
			if total == 0 {
				text = s.Class.Name + "  -"
			}
			l.box.Add(swatchRow(s.Class.Color, text))
		}
		l.box.Add(confidenceRow())
	}
	if len(l.labels) > 0 {
		l.box.Add(widget.NewLabel("Labels"))
		for _, c := range l.labels {
			l.box.Add(swatchRow(c.Color, c.Name))
		}
	}
	l.box.Refresh()
}

// plural formats n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func swatchRow(c color.Color, text string) fyne.CanvasObject {
	sw := canvas.NewRectangle(c)
	sw.SetMinSize(fyne.NewSize(16, 16))
	sw.StrokeColor = theme.Color(theme.ColorNameForeground)
	sw.StrokeWidth = 0.5
	return container.NewHBox(container.NewCenter(sw), widget.NewLabel(text))
}

func confidenceRow() fyne.CanvasObject {
	low := canvas.NewHorizontalGradient(confidenceStops[0], confidenceStops[1])
	high := canvas.NewHorizontalGradient(confidenceStops[1], confidenceStops[2])
	low.SetMinSize(fyne.NewSize(30, 12))
	high.SetMinSize(fyne.NewSize(30, 12))
	ramp := container.New(layout.NewGridLayoutWithColumns(2), low, high)
	return container.NewHBox(widget.NewLabel("Confidence: low"), container.NewCenter(ramp), widget.NewLabel("high"))
}

// CreateRenderer is part of fyne.Widget.
func (l *Legend) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(l.box)
}
