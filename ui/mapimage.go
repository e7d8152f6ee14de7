package ui

import (
	"fmt"
	"image"
	"image/color"
	"math"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// MapPNGFormat is the export format the ui package writes itself: the map
// as shown, with a legend and a scale bar.
var MapPNGFormat = ExportFormat{ID: "png-map", Name: "PNG image of the map (legend and scale bar)", Ext: ".png"}

// Snapshot composes the frame on screen into one image at device
// resolution, with each layer's opacity applied, and adds the legend of the
// classes in view and a scale bar. It returns nil before the first frame.
func (m *Map) Snapshot() *image.RGBA {
	f := m.shown
	if f == nil {
		return nil
	}
	v := f.job.view
	out := image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
	xdraw.Draw(out, out.Bounds(), image.NewUniform(color.NRGBA{R: 0x20, G: 0x22, B: 0x26, A: 0xff}), image.Point{}, xdraw.Src)
	styles := m.stylesSnapshot()

	if f.imagery != nil {
		drawWithOpacity(out, out.Bounds(), f.imagery, styles[LayerImagery].Opacity)
	}
	for _, id := range []LayerID{LayerLandUse, LayerConfidence, LayerLabels} {
		ci := f.cells[id]
		if ci.img == nil {
			continue
		}
		sr := screenRectOf(v, ci.bounds)
		dst := image.Rect(int(math.Round(sr.X)), int(math.Round(sr.Y)), int(math.Round(sr.X+sr.W)), int(math.Round(sr.Y+sr.H)))
		scaled := image.NewNRGBA(image.Rect(0, 0, dst.Dx(), dst.Dy()))
		xdraw.NearestNeighbor.Scale(scaled, scaled.Bounds(), ci.img, ci.img.Bounds(), xdraw.Src, nil)
		drawWithOpacity(out, dst, scaled, styles[id].Opacity)
	}
	if f.vector != nil {
		drawWithOpacity(out, out.Bounds(), f.vector, 1)
	}
	if s := m.Scene(); s != nil {
		drawScaleBar(out, v.Scale, s.Source.Info().Units)
	}
	drawLegendBox(out, f.shares)
	return out
}

func drawWithOpacity(dst *image.RGBA, r image.Rectangle, src image.Image, opacity float64) {
	mask := image.NewUniform(color.Alpha{A: uint8(math.Round(255 * clampOpacity(opacity)))})
	xdraw.DrawMask(dst, r, src, src.Bounds().Min, mask, image.Point{}, xdraw.Over)
}

// niceLength returns the largest 1, 2 or 5 times a power of ten not above
// limit.
func niceLength(limit float64) float64 {
	if !(limit > 0) {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(limit)))
	for _, k := range []float64{5, 2, 1} {
		if k*p <= limit {
			return k * p
		}
	}
	return p
}

// scaleBarLabel formats a length in map units, switching metres to
// kilometres from 1000 m.
func scaleBarLabel(length float64, units string) string {
	switch units {
	case "m":
		if length >= 1000 {
			return fmt.Sprintf("%g km", length/1000)
		}
		return fmt.Sprintf("%g m", length)
	case "deg":
		return fmt.Sprintf("%g°", length)
	default:
		return fmt.Sprintf("%g %s", length, units)
	}
}

// drawScaleBar draws a bar of a round length, at most a fifth of the image
// wide, in the bottom-right corner.
func drawScaleBar(dst *image.RGBA, unitsPerPixel float64, units string) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	length := niceLength(float64(w) / 5 * unitsPerPixel)
	if length == 0 {
		return
	}
	px := int(math.Round(length / unitsPerPixel))
	label := scaleBarLabel(length, units)
	x1 := w - 12
	x0 := x1 - px
	y := h - 12
	box := image.Rect(x0-6, y-22, x1+6, y+6)
	xdraw.Draw(dst, box, image.NewUniform(color.NRGBA{R: 255, G: 255, B: 255, A: 210}), image.Point{}, xdraw.Over)
	black := color.NRGBA{A: 255}
	for dy := 0; dy < 3; dy++ {
		hline(dst, x0, x1, y-dy, black)
	}
	for dy := 0; dy < 8; dy++ {
		blend(dst, x0, y-dy, black)
		blend(dst, x1, y-dy, black)
	}
	drawText(dst, x0, y-10, label, black)
}

// drawLegendBox draws the classes with their colours and shares in the
// bottom-left corner.
func drawLegendBox(dst *image.RGBA, shares []classShare) {
	if len(shares) == 0 {
		return
	}
	const lineH, pad, sw = 16, 6, 12
	h := dst.Rect.Dy()
	width := 0
	lines := make([]string, len(shares))
	for i, s := range shares {
		lines[i] = fmt.Sprintf("%s %.0f %%", s.Class.Name, 100*s.Share)
		width = max(width, font.MeasureString(basicfont.Face7x13, lines[i]).Ceil())
	}
	title := "Land use in view"
	width = max(width+sw+pad, font.MeasureString(basicfont.Face7x13, title).Ceil())
	boxH := lineH*(len(shares)+1) + 2*pad
	box := image.Rect(10, h-10-boxH, 10+width+2*pad, h-10)
	xdraw.Draw(dst, box, image.NewUniform(color.NRGBA{R: 255, G: 255, B: 255, A: 220}), image.Point{}, xdraw.Over)
	black := color.NRGBA{A: 255}
	drawText(dst, box.Min.X+pad, box.Min.Y+pad+11, title, black)
	for i, s := range shares {
		y := box.Min.Y + pad + lineH*(i+1)
		swatch := image.Rect(box.Min.X+pad, y+2, box.Min.X+pad+sw, y+2+sw)
		c := s.Class.Color
		c.A = 255
		xdraw.Draw(dst, swatch, image.NewUniform(c), image.Point{}, xdraw.Src)
		drawText(dst, swatch.Max.X+pad, y+12, lines[i], black)
	}
}

// drawText draws s with its baseline at y.
func drawText(dst *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
