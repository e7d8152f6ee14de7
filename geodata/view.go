package geodata

import (
	"errors"
	"fmt"
	"math"
)

// View is a north-up window onto map coordinates, shown on a screen of
// Width x Height pixels. Zoom is continuous: Resolution is any positive
// number of map units per screen pixel. View is a plain value: its methods
// return new Views and never change the receiver.
//
// Screen coordinates follow image conventions. (0,0) is the top-left
// corner of the top-left screen pixel, y grows downwards, and the centre
// of screen pixel (i,j) is (i+0.5, j+0.5). The map point (CenterX, CenterY) is
// at screen point (Width/2, Height/2).
type View struct {
	CenterX, CenterY float64 // map units in the view's CRS
	Resolution       float64 // map units per screen pixel
	Width, Height    int     // screen pixels
}

// LonLatConverter converts between map coordinates and WGS 84
// longitude/latitude. *Dataset implements it.
type LonLatConverter interface {
	MapToLonLat(x, y float64) (lon, lat float64, err error)
	LonLatToMap(lon, lat float64) (x, y float64, err error)
}

// Validate reports a view that cannot be drawn.
func (v View) Validate() error {
	switch {
	case v.Width <= 0 || v.Height <= 0:
		return fmt.Errorf("invalid view: screen size %dx%d, both must be positive", v.Width, v.Height)
	case !(v.Resolution > 0) || math.IsInf(v.Resolution, 0):
		return fmt.Errorf("invalid view: resolution %g map units per pixel, must be positive and finite", v.Resolution)
	case math.IsNaN(v.CenterX) || math.IsNaN(v.CenterY) || math.IsInf(v.CenterX, 0) || math.IsInf(v.CenterY, 0):
		return fmt.Errorf("invalid view: centre (%g, %g) must be finite", v.CenterX, v.CenterY)
	}
	return nil
}

// FitView returns the view of width x height screen pixels that shows the
// whole extent, centred, with the largest resolution that fits.
func FitView(extent Bounds, width, height int) (View, error) {
	if width <= 0 || height <= 0 {
		return View{}, fmt.Errorf("fit view: screen size %dx%d, both must be positive", width, height)
	}
	if extent.Empty() || math.IsInf(extent.Width(), 0) || math.IsInf(extent.Height(), 0) {
		return View{}, fmt.Errorf("fit view: extent %+v has no area", extent)
	}
	res := math.Max(extent.Width()/float64(width), extent.Height()/float64(height))
	return View{
		CenterX:    (extent.MinX + extent.MaxX) / 2,
		CenterY:    (extent.MinY + extent.MaxY) / 2,
		Resolution: res,
		Width:      width,
		Height:     height,
	}, nil
}

// GeoTransform returns the affine transform from screen coordinates to map
// coordinates, in GDAL's six-coefficient form.
func (v View) GeoTransform() GeoTransform {
	return GeoTransform{
		v.CenterX - float64(v.Width)/2*v.Resolution, v.Resolution, 0,
		v.CenterY + float64(v.Height)/2*v.Resolution, 0, -v.Resolution,
	}
}

// ScreenToMap converts a screen point to map coordinates.
func (v View) ScreenToMap(sx, sy float64) (x, y float64) {
	x = v.CenterX + (sx-float64(v.Width)/2)*v.Resolution
	y = v.CenterY - (sy-float64(v.Height)/2)*v.Resolution
	return x, y
}

// MapToScreen converts map coordinates to a screen point (possibly outside
// the screen).
func (v View) MapToScreen(x, y float64) (sx, sy float64) {
	sx = (x-v.CenterX)/v.Resolution + float64(v.Width)/2
	sy = (v.CenterY-y)/v.Resolution + float64(v.Height)/2
	return sx, sy
}

// Extent returns the map bounds covered by the screen.
func (v View) Extent() Bounds {
	halfW := float64(v.Width) / 2 * v.Resolution
	halfH := float64(v.Height) / 2 * v.Resolution
	return Bounds{MinX: v.CenterX - halfW, MinY: v.CenterY - halfH, MaxX: v.CenterX + halfW, MaxY: v.CenterY + halfH}
}

// Pan moves the map content by (dx, dy) screen pixels, as a drag does: a
// positive dx moves the content right, so the centre moves west.
func (v View) Pan(dx, dy float64) View {
	v.CenterX -= dx * v.Resolution
	v.CenterY += dy * v.Resolution
	return v
}

// ZoomAt zooms by factor (> 1 zooms in, < 1 zooms out) keeping the map point
// under the screen point (sx, sy) fixed, as a wheel zoom at the cursor
// does. A factor that is not positive and finite returns v unchanged.
func (v View) ZoomAt(factor, sx, sy float64) View {
	if !(factor > 0) || math.IsInf(factor, 0) {
		return v
	}
	return v.ZoomToResolutionAt(v.Resolution/factor, sx, sy)
}

// ZoomToResolutionAt sets the resolution keeping the map point under the
// screen point (sx, sy) fixed. A resolution that is not positive and
// finite returns v unchanged.
func (v View) ZoomToResolutionAt(resolution, sx, sy float64) View {
	if !(resolution > 0) || math.IsInf(resolution, 0) {
		return v
	}
	ax, ay := v.ScreenToMap(sx, sy)
	v.Resolution = resolution
	bx, by := v.ScreenToMap(sx, sy)
	v.CenterX += ax - bx
	v.CenterY += ay - by
	return v
}

// Resize changes the screen size, keeping the centre and resolution.
func (v View) Resize(width, height int) View {
	v.Width, v.Height = width, height
	return v
}

// ScreenToPixel converts a screen point to continuous pixel coordinates of
// a raster whose geotransform gt is in the view's CRS.
func (v View) ScreenToPixel(gt GeoTransform, sx, sy float64) (col, row float64, err error) {
	x, y := v.ScreenToMap(sx, sy)
	return gt.MapToPixel(x, y)
}

// PixelToScreen converts continuous pixel coordinates of a raster whose
// geotransform gt is in the view's CRS to a screen point.
func (v View) PixelToScreen(gt GeoTransform, col, row float64) (sx, sy float64) {
	x, y := gt.PixelToMap(col, row)
	return v.MapToScreen(x, y)
}

// ScreenToLonLat converts a screen point to longitude/latitude.
func (v View) ScreenToLonLat(conv LonLatConverter, sx, sy float64) (lon, lat float64, err error) {
	if conv == nil {
		return 0, 0, errors.New("screen to longitude/latitude: no converter")
	}
	x, y := v.ScreenToMap(sx, sy)
	return conv.MapToLonLat(x, y)
}

// LonLatToScreen converts longitude/latitude to a screen point.
func (v View) LonLatToScreen(conv LonLatConverter, lon, lat float64) (sx, sy float64, err error) {
	if conv == nil {
		return 0, 0, errors.New("longitude/latitude to screen: no converter")
	}
	x, y, err := conv.LonLatToMap(lon, lat)
	if err != nil {
		return 0, 0, err
	}
	sx, sy = v.MapToScreen(x, y)
	return sx, sy, nil
}

// ScreenToRasterTransform returns the affine transform from screen
// coordinates to continuous pixel coordinates of a raster with
// geotransform gt in the view's CRS.
func (v View) ScreenToRasterTransform(gt GeoTransform) (GeoTransform, error) {
	inv, err := gt.Inverse()
	if err != nil {
		return GeoTransform{}, err
	}
	return inv.Compose(v.GeoTransform()), nil
}

// Compose returns the transform that applies inner first and then gt.
func (gt GeoTransform) Compose(inner GeoTransform) GeoTransform {
	return GeoTransform{
		gt[0] + gt[1]*inner[0] + gt[2]*inner[3],
		gt[1]*inner[1] + gt[2]*inner[4],
		gt[1]*inner[2] + gt[2]*inner[5],
		gt[3] + gt[4]*inner[0] + gt[5]*inner[3],
		gt[4]*inner[1] + gt[5]*inner[4],
		gt[4]*inner[2] + gt[5]*inner[5],
	}
}
