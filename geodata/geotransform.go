package geodata

import (
	"fmt"
	"math"
)

// GeoTransform holds GDAL's six affine coefficients mapping pixel
// coordinates (col,row) to map coordinates (x,y):
//
//	x = gt[0] + col*gt[1] + row*gt[2]
//	y = gt[3] + col*gt[4] + row*gt[5]
//
// gt[2] and gt[4] are non-zero for rotated or sheared rasters; gt[5] > 0 for
// south-up rasters.
type GeoTransform [6]float64

// PixelGridTransform is the transform used for rasters with no
// georeferencing: x = col, y = -row, so the image shows upright in a
// north-up view without pretending to be anywhere on Earth.
var PixelGridTransform = GeoTransform{0, 1, 0, 0, 0, -1}

// PixelToMap converts continuous pixel coordinates to map coordinates.
func (gt GeoTransform) PixelToMap(col, row float64) (x, y float64) {
	x = gt[0] + col*gt[1] + row*gt[2]
	y = gt[3] + col*gt[4] + row*gt[5]
	return x, y
}

// Determinant returns gt[1]*gt[5] - gt[2]*gt[4], the signed area of one
// pixel in map units squared (negative for north-up rasters).
func (gt GeoTransform) Determinant() float64 {
	return gt[1]*gt[5] - gt[2]*gt[4]
}

// Invertible reports whether the transform maps pixels to a non-degenerate
// area.
func (gt GeoTransform) Invertible() bool {
	det := gt.Determinant()
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return false
	}
	scale := math.Max(math.Abs(gt[1])+math.Abs(gt[2]), math.Abs(gt[4])+math.Abs(gt[5]))
	return math.Abs(det) > 1e-15*scale*scale
}

// Inverse returns the transform from map coordinates back to pixel
// coordinates, in the same six-coefficient form (GDAL's
// GDALInvGeoTransform).
func (gt GeoTransform) Inverse() (GeoTransform, error) {
	if !gt.Invertible() {
		return GeoTransform{}, fmt.Errorf("%w: %v", ErrNotInvertible, [6]float64(gt))
	}
	det := gt.Determinant()
	inv := GeoTransform{}
	inv[1] = gt[5] / det
	inv[2] = -gt[2] / det
	inv[4] = -gt[4] / det
	inv[5] = gt[1] / det
	inv[0] = (gt[2]*gt[3] - gt[0]*gt[5]) / det
	inv[3] = (-gt[1]*gt[3] + gt[0]*gt[4]) / det
	return inv, nil
}

// MapToPixel converts map coordinates to continuous pixel coordinates.
func (gt GeoTransform) MapToPixel(x, y float64) (col, row float64, err error) {
	inv, err := gt.Inverse()
	if err != nil {
		return 0, 0, err
	}
	col, row = inv.PixelToMap(x, y)
	return col, row, nil
}

// IsNorthUp reports whether rows run north to south with no rotation.
func (gt GeoTransform) IsNorthUp() bool {
	return gt[2] == 0 && gt[4] == 0 && gt[1] > 0 && gt[5] < 0
}

// IsSouthUp reports whether rows run south to north with no rotation.
func (gt GeoTransform) IsSouthUp() bool {
	return gt[2] == 0 && gt[4] == 0 && gt[5] > 0
}

// IsRotated reports whether the transform has rotation or shear terms.
func (gt GeoTransform) IsRotated() bool {
	return gt[2] != 0 || gt[4] != 0
}

// PixelSize returns the map length of one pixel step along a row and along
// a column. Both are positive, whatever the rotation or flip.
func (gt GeoTransform) PixelSize() (alongRow, alongColumn float64) {
	return math.Hypot(gt[1], gt[4]), math.Hypot(gt[2], gt[5])
}

// Bounds is an axis-aligned rectangle in map coordinates.
type Bounds struct {
	MinX, MinY, MaxX, MaxY float64
}

// Width returns MaxX - MinX.
func (b Bounds) Width() float64 { return b.MaxX - b.MinX }

// Height returns MaxY - MinY.
func (b Bounds) Height() float64 { return b.MaxY - b.MinY }

// Empty reports whether the bounds hold no area.
func (b Bounds) Empty() bool { return !(b.MaxX > b.MinX && b.MaxY > b.MinY) }

// Intersect returns the overlap of b and o (Empty when they do not
// overlap).
func (b Bounds) Intersect(o Bounds) Bounds {
	return Bounds{
		MinX: math.Max(b.MinX, o.MinX), MinY: math.Max(b.MinY, o.MinY),
		MaxX: math.Min(b.MaxX, o.MaxX), MaxY: math.Min(b.MaxY, o.MaxY),
	}
}

// PixelBounds returns the map bounds of the pixel rectangle
// [col0,col1] x [row0,row1] under gt: the box around its four transformed
// corners.
func (gt GeoTransform) PixelBounds(col0, row0, col1, row1 float64) Bounds {
	xs := [4]float64{}
	ys := [4]float64{}
	xs[0], ys[0] = gt.PixelToMap(col0, row0)
	xs[1], ys[1] = gt.PixelToMap(col1, row0)
	xs[2], ys[2] = gt.PixelToMap(col0, row1)
	xs[3], ys[3] = gt.PixelToMap(col1, row1)
	return boundsOf(xs[:], ys[:])
}

func boundsOf(xs, ys []float64) Bounds {
	b := Bounds{MinX: math.Inf(1), MinY: math.Inf(1), MaxX: math.Inf(-1), MaxY: math.Inf(-1)}
	for i := range xs {
		b.MinX = math.Min(b.MinX, xs[i])
		b.MaxX = math.Max(b.MaxX, xs[i])
		b.MinY = math.Min(b.MinY, ys[i])
		b.MaxY = math.Max(b.MaxY, ys[i])
	}
	return b
}
