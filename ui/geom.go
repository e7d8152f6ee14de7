package ui

import (
	"fmt"
	"math"
)

// MapPoint is a position in the scene's map coordinates: x east, y north, in
// the units of the scene's CRS (metres for UTM, degrees for EPSG:4326, or
// pixels for a raster without georeferencing).
type MapPoint struct {
	X, Y float64
}

// MapRect is an axis-aligned rectangle in map coordinates.
type MapRect struct {
	MinX, MinY, MaxX, MaxY float64
}

// Width returns MaxX - MinX.
func (r MapRect) Width() float64 { return r.MaxX - r.MinX }

// Height returns MaxY - MinY.
func (r MapRect) Height() float64 { return r.MaxY - r.MinY }

// Empty reports whether r holds no area.
func (r MapRect) Empty() bool { return !(r.MaxX > r.MinX && r.MaxY > r.MinY) }

// Center returns the middle of r.
func (r MapRect) Center() MapPoint {
	return MapPoint{X: (r.MinX + r.MaxX) / 2, Y: (r.MinY + r.MaxY) / 2}
}

// Contains reports whether p lies in r, edges included.
func (r MapRect) Contains(p MapPoint) bool {
	return p.X >= r.MinX && p.X <= r.MaxX && p.Y >= r.MinY && p.Y <= r.MaxY
}

// Intersect returns the overlap of r and o; it is Empty when they do not
// overlap.
func (r MapRect) Intersect(o MapRect) MapRect {
	return MapRect{
		MinX: math.Max(r.MinX, o.MinX), MinY: math.Max(r.MinY, o.MinY),
		MaxX: math.Min(r.MaxX, o.MaxX), MaxY: math.Min(r.MaxY, o.MaxY),
	}
}

// View is the part of the map that a frame shows: the map point at the
// centre of the frame, the map units per device pixel, and the frame size
// in device pixels. Views are north-up.
type View struct {
	Center MapPoint
	Scale  float64 // map units per device pixel, > 0
	Width  int     // device pixels
	Height int     // device pixels
}

// Valid reports whether v can be rendered: a positive finite scale, a
// finite centre and a non-empty size.
func (v View) Valid() bool {
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	return v.Scale > 0 && finite(v.Scale) && finite(v.Center.X) && finite(v.Center.Y) &&
		v.Width > 0 && v.Height > 0
}

// String formats v for logs and error messages.
func (v View) String() string {
	return fmt.Sprintf("centre (%.3f, %.3f), %.6g units/px, %dx%d px", v.Center.X, v.Center.Y, v.Scale, v.Width, v.Height)
}

// ToMap converts device pixel coordinates (0,0 at the top-left corner of
// the frame, y down) to map coordinates.
func (v View) ToMap(x, y float64) MapPoint {
	return MapPoint{
		X: v.Center.X + (x-float64(v.Width)/2)*v.Scale,
		Y: v.Center.Y - (y-float64(v.Height)/2)*v.Scale,
	}
}

// ToScreen converts map coordinates to device pixel coordinates.
func (v View) ToScreen(p MapPoint) (x, y float64) {
	x = (p.X-v.Center.X)/v.Scale + float64(v.Width)/2
	y = -(p.Y-v.Center.Y)/v.Scale + float64(v.Height)/2
	return x, y
}

// Extent returns the map rectangle that the frame covers.
func (v View) Extent() MapRect {
	halfW := float64(v.Width) / 2 * v.Scale
	halfH := float64(v.Height) / 2 * v.Scale
	return MapRect{
		MinX: v.Center.X - halfW, MinY: v.Center.Y - halfH,
		MaxX: v.Center.X + halfW, MaxY: v.Center.Y + halfH,
	}
}

// Pan moves the view by dx, dy device pixels, as when the map is dragged by
// that amount: dragging right (dx > 0) moves the centre west.
func (v View) Pan(dx, dy float64) View {
	v.Center.X -= dx * v.Scale
	v.Center.Y += dy * v.Scale
	return v
}

// ZoomAt scales the view by factor (> 1 zooms in) while keeping the map
// point under device pixel (x, y) in place.
func (v View) ZoomAt(factor, x, y float64) View {
	if factor <= 0 || math.IsNaN(factor) || math.IsInf(factor, 0) {
		return v
	}
	anchor := v.ToMap(x, y)
	v.Scale /= factor
	after := v.ToMap(x, y)
	v.Center.X += anchor.X - after.X
	v.Center.Y += anchor.Y - after.Y
	return v
}

// Resized returns v with a new size in device pixels, keeping its centre
// and scale.
func (v View) Resized(width, height int) View {
	v.Width, v.Height = width, height
	return v
}

// FitView returns the view of size width x height device pixels that shows
// all of extent, centred, with a margin of 2 % on the tighter side.
func FitView(extent MapRect, width, height int) View {
	v := View{Center: extent.Center(), Width: width, Height: height, Scale: 1}
	if width <= 0 || height <= 0 || extent.Empty() {
		return v
	}
	sx := extent.Width() / float64(width)
	sy := extent.Height() / float64(height)
	v.Scale = math.Max(sx, sy) * 1.02
	return v
}

// screenRect is a rectangle in device pixels, as floats because a frame
// that is being shifted or scaled lands on fractional positions.
type screenRect struct {
	X, Y, W, H float64
}

// screenRectOf returns where map rectangle r lands in view v.
func screenRectOf(v View, r MapRect) screenRect {
	x0, y0 := v.ToScreen(MapPoint{X: r.MinX, Y: r.MaxY})
	x1, y1 := v.ToScreen(MapPoint{X: r.MaxX, Y: r.MinY})
	return screenRect{X: x0, Y: y0, W: x1 - x0, H: y1 - y0}
}

// clampCenter keeps p inside extent, so the scene cannot be panned out of
// sight: at worst its edge reaches the middle of the widget.
func clampCenter(p MapPoint, extent MapRect) MapPoint {
	if extent.Empty() {
		return p
	}
	p.X = math.Min(math.Max(p.X, extent.MinX), extent.MaxX)
	p.Y = math.Min(math.Max(p.Y, extent.MinY), extent.MaxY)
	return p
}
