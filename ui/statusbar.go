package ui

import (
	"fmt"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

var _ fyne.Widget = (*StatusBar)(nil)

// StatusBar shows where the cursor is (longitude/latitude, native
// coordinates, raster pixel, grid cell), the ground resolution, and how
// models are run.
type StatusBar struct {
	widget.BaseWidget

	lonLat     *widget.Label
	native     *widget.Label
	pixel      *widget.Label
	cell       *widget.Label
	resolution *widget.Label
	provider   *widget.Label
	models     *widget.Label
}

// NewStatusBar returns an empty status bar.
func NewStatusBar() *StatusBar {
	b := &StatusBar{
		lonLat:     widget.NewLabel(""),
		native:     widget.NewLabel(""),
		pixel:      widget.NewLabel(""),
		cell:       widget.NewLabel(""),
		resolution: widget.NewLabel(""),
		provider:   widget.NewLabel(""),
		models:     widget.NewLabel(""),
	}
	b.provider.Truncation = fyne.TextTruncateEllipsis
	b.models.Truncation = fyne.TextTruncateEllipsis
	b.ExtendBaseWidget(b)
	b.SetCursor(nil, SourceInfo{})
	return b
}

// CreateRenderer is part of fyne.Widget.
func (b *StatusBar) CreateRenderer() fyne.WidgetRenderer {
	cursor := container.NewHBox(b.lonLat, b.native, b.pixel, b.cell)
	runtime := container.NewBorder(nil, nil, b.resolution, nil, container.NewGridWithColumns(2, b.provider, b.models))
	return widget.NewSimpleRenderer(container.NewVBox(cursor, runtime))
}

// SetCursor shows the position under the cursor; info is nil when the
// cursor is off the map.
func (b *StatusBar) SetCursor(info *CursorInfo, src SourceInfo) {
	if info == nil {
		b.lonLat.SetText("Lon/lat: -")
		b.native.SetText("")
		b.pixel.SetText("")
		b.cell.SetText("")
		return
	}
	b.lonLat.SetText(formatLonLat(info.Point))
	b.native.SetText(formatNative(info.At, src))
	b.pixel.SetText(formatPixel(info.Point))
	if info.InCell {
		b.cell.SetText("Cell " + info.Cell.ID)
	} else {
		b.cell.SetText("No cell")
	}
}

// SetResolution shows the raster's ground resolution and the map units per
// screen pixel of the current view.
func (b *StatusBar) SetResolution(src SourceInfo, unitsPerPixel float64) {
	b.resolution.SetText(formatResolution(src, unitsPerPixel))
}

// SetRuntime shows the execution provider and the model set.
func (b *StatusBar) SetRuntime(rs RuntimeStatus) {
	b.provider.SetText(formatProvider(rs))
	b.models.SetText(formatModelSet(rs))
}

// Texts returns the label texts, for tests and screenshots checks.
func (b *StatusBar) Texts() []string {
	return []string{b.lonLat.Text, b.native.Text, b.pixel.Text, b.cell.Text, b.resolution.Text, b.provider.Text, b.models.Text}
}

func formatLonLat(p PointInfo) string {
	if !p.HasLonLat {
		return "Lon/lat: n/a (no geographic CRS)"
	}
	ns, ew := "N", "E"
	if p.Lat < 0 {
		ns = "S"
	}
	if p.Lon < 0 {
		ew = "W"
	}
	return fmt.Sprintf("%.5f°%s %.5f°%s", math.Abs(p.Lat), ns, math.Abs(p.Lon), ew)
}

func formatNative(at MapPoint, src SourceInfo) string {
	crs := src.CRS
	if crs == "" {
		crs = "no CRS"
	}
	switch src.Units {
	case "m":
		return fmt.Sprintf("E %.1f N %.1f m (%s)", at.X, at.Y, crs)
	case "deg":
		return fmt.Sprintf("x %.6f y %.6f ° (%s)", at.X, at.Y, crs)
	default:
		return fmt.Sprintf("x %.2f y %.2f %s (%s)", at.X, at.Y, src.Units, crs)
	}
}

func formatPixel(p PointInfo) string {
	if !p.Inside {
		return "Outside raster"
	}
	return fmt.Sprintf("Row %d, col %d", p.Row, p.Col)
}

func formatResolution(src SourceInfo, unitsPerPixel float64) string {
	if src.PixelSize <= 0 {
		return ""
	}
	unit := src.Units
	if unit == "deg" {
		unit = "°"
	}
	return fmt.Sprintf("%s %s/px (view %s %s/px)", formatNumber(src.PixelSize), unit, formatNumber(unitsPerPixel), unit)
}

// formatNumber prints v with about four significant digits.
func formatNumber(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// formatProvider describes the execution provider in one line for the
// status bar, with the first clause of a fallback reason.
func formatProvider(rs RuntimeStatus) string {
	return formatProviderReason(rs, shortReason(rs.Reason))
}

// formatProviderFull is formatProvider with the whole fallback reason,
// for Help > About.
func formatProviderFull(rs RuntimeStatus) string {
	return formatProviderReason(rs, rs.Reason)
}

func formatProviderReason(rs RuntimeStatus, reason string) string {
	if rs.Provider == "" {
		return "Models: not loaded"
	}
	if reason == "" {
		return "Runs on " + rs.Provider
	}
	return fmt.Sprintf("Runs on %s (%s requested: %s)", rs.Provider, rs.Requested, reason)
}

// shortReason returns the first clause of a provider fallback reason, up
// to its first colon, so that the status bar keeps to one line. Help >
// About and the log give the whole reason with its fix.
func shortReason(reason string) string {
	if i := strings.Index(reason, ":"); i > 0 {
		return reason[:i] + "; see Help > About"
	}
	return reason
}

func formatModelSet(rs RuntimeStatus) string {
	if rs.ModelSet == "" {
		return "No model set"
	}
	if rs.ModelHash == "" {
		return "Model set " + rs.ModelSet
	}
	return fmt.Sprintf("Model set %s (%s)", rs.ModelSet, rs.ModelHash)
}
