package ui

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

var _ fyne.Widget = (*LossPlot)(nil)

// maxPlotPoints bounds the line segments drawn per series; longer series
// are averaged into this many buckets.
const maxPlotPoints = 200

// seriesColors are the colours of the plotted losses, in order of first
// appearance (Okabe-Ito palette, distinguishable by colour-blind users).
var seriesColors = []color.NRGBA{
	{R: 0x00, G: 0x72, B: 0xb2, A: 0xff},
	{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff},
	{R: 0x00, G: 0x9e, B: 0x73, A: 0xff},
	{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff},
	{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff},
}

// plotPoint is one loss value at a training step.
type plotPoint struct {
	Step  int
	Value float64
}

// LossPlot draws training losses against the step, one line per loss.
type LossPlot struct {
	widget.BaseWidget

	names  []string
	series map[string][]plotPoint
}

// NewLossPlot returns an empty plot.
func NewLossPlot() *LossPlot {
	p := &LossPlot{series: map[string][]plotPoint{}}
	p.ExtendBaseWidget(p)
	return p
}

// Add appends the losses of one step; non-finite values are skipped.
func (p *LossPlot) Add(step int, losses map[string]float64) {
	names := make([]string, 0, len(losses))
	for name := range losses {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := losses[name]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if _, ok := p.series[name]; !ok {
			p.names = append(p.names, name)
		}
		p.series[name] = append(p.series[name], plotPoint{Step: step, Value: v})
	}
	p.Refresh()
}

// Reset removes every series.
func (p *LossPlot) Reset() {
	p.names = nil
	p.series = map[string][]plotPoint{}
	p.Refresh()
}

// Len returns the number of points of series name.
func (p *LossPlot) Len(name string) int { return len(p.series[name]) }

// CreateRenderer is part of fyne.Widget.
func (p *LossPlot) CreateRenderer() fyne.WidgetRenderer {
	r := &lossPlotRenderer{p: p}
	r.frame = canvas.NewRectangle(color.Transparent)
	r.frame.StrokeColor = theme.Color(theme.ColorNameForeground)
	r.frame.StrokeWidth = 1
	r.top = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.bottom = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.steps = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.top.TextSize, r.bottom.TextSize, r.steps.TextSize = 11, 11, 11
	r.rebuild()
	return r
}

type lossPlotRenderer struct {
	p       *LossPlot
	frame   *canvas.Rectangle
	top     *canvas.Text
	bottom  *canvas.Text
	steps   *canvas.Text
	lines   []*canvas.Line
	keys    []*canvas.Text
	objects []fyne.CanvasObject
}

func (r *lossPlotRenderer) Destroy() {}

func (r *lossPlotRenderer) MinSize() fyne.Size { return fyne.NewSize(320, 180) }

func (r *lossPlotRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *lossPlotRenderer) Refresh() {
	r.rebuild()
	r.Layout(r.p.Size())
	canvas.Refresh(r.p)
}

// rebuild makes one line object per segment and one key per series.
func (r *lossPlotRenderer) rebuild() {
	r.lines = r.lines[:0]
	r.keys = r.keys[:0]
	for i, name := range r.p.names {
		c := seriesColors[i%len(seriesColors)]
		pts := bucketPoints(r.p.series[name], maxPlotPoints)
		for j := 1; j < len(pts); j++ {
			l := canvas.NewLine(c)
			l.StrokeWidth = 1.5
			r.lines = append(r.lines, l)
		}
		key := canvas.NewText(name, c)
		key.TextSize = 11
		key.TextStyle.Bold = true
		r.keys = append(r.keys, key)
	}
	r.objects = []fyne.CanvasObject{r.frame, r.top, r.bottom, r.steps}
	for _, l := range r.lines {
		r.objects = append(r.objects, l)
	}
	for _, k := range r.keys {
		r.objects = append(r.objects, k)
	}
}

// plotBounds returns the step and value ranges over every series.
func (p *LossPlot) plotBounds() (s0, s1 int, v0, v1 float64, ok bool) {
	first := true
	for _, pts := range p.series {
		for _, pt := range pts {
			if first {
				s0, s1, v0, v1, first = pt.Step, pt.Step, pt.Value, pt.Value, false
				continue
			}
			s0, s1 = min(s0, pt.Step), max(s1, pt.Step)
			v0, v1 = math.Min(v0, pt.Value), math.Max(v1, pt.Value)
		}
	}
	if first {
		return 0, 0, 0, 0, false
	}
	if s1 == s0 {
		s1 = s0 + 1
	}
	if v1 == v0 {
		v0, v1 = v0-0.5, v1+0.5
	}
	return s0, s1, v0, v1, true
}

func (r *lossPlotRenderer) Layout(size fyne.Size) {
	const left, right, top, bottom = 48, 8, 18, 18
	plotW, plotH := size.Width-left-right, size.Height-top-bottom
	r.frame.Move(fyne.NewPos(left, top))
	r.frame.Resize(fyne.NewSize(plotW, plotH))
	s0, s1, v0, v1, ok := r.p.plotBounds()
	if !ok {
		r.top.Text, r.bottom.Text, r.steps.Text = "", "", "No losses yet"
		r.steps.Move(fyne.NewPos(left+4, top+4))
		return
	}
	r.top.Text = formatNumber(v1)
	r.bottom.Text = formatNumber(v0)
	r.steps.Text = fmt.Sprintf("step %d to %d", s0, s1)
	r.top.Move(fyne.NewPos(2, top-6))
	r.bottom.Move(fyne.NewPos(2, top+plotH-12))
	r.steps.Move(fyne.NewPos(left, top+plotH+2))

	toPos := func(pt plotPoint) fyne.Position {
		x := left + plotW*float32(pt.Step-s0)/float32(s1-s0)
		y := top + plotH*float32((v1-pt.Value)/(v1-v0))
		return fyne.NewPos(x, y)
	}
	li := 0
	keyX := float32(left + 4)
	for i, name := range r.p.names {
		pts := bucketPoints(r.p.series[name], maxPlotPoints)
		for j := 1; j < len(pts) && li < len(r.lines); j++ {
			r.lines[li].Position1 = toPos(pts[j-1])
			r.lines[li].Position2 = toPos(pts[j])
			li++
		}
		k := r.keys[i]
		k.Move(fyne.NewPos(keyX, 2))
		keyX += k.MinSize().Width + 12
	}
}

// bucketPoints averages pts into at most n points, keeping the last step
// of each bucket, so a long run still draws quickly.
func bucketPoints(pts []plotPoint, n int) []plotPoint {
	if len(pts) <= n {
		return pts
	}
	out := make([]plotPoint, 0, n)
	for b := 0; b < n; b++ {
		lo, hi := b*len(pts)/n, (b+1)*len(pts)/n
		sum := 0.0
		for _, pt := range pts[lo:hi] {
			sum += pt.Value
		}
		out = append(out, plotPoint{Step: pts[hi-1].Step, Value: sum / float64(hi-lo)})
	}
	return out
}
