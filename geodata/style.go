package geodata

import (
	"fmt"
	"image/color"
	"slices"

	"github.com/airbusgeo/godal"
)

// RenderMode is the rule that turns band values into colours.
type RenderMode string

// The render modes.
const (
	ModeRGB     RenderMode = "rgb"     // three bands stretched to red, green, blue
	ModeGrey    RenderMode = "grey"    // one band stretched to grey
	ModePalette RenderMode = "palette" // one band's values index its colour table
)

// Style is the resolved display of a layer: which bands, how they are
// stretched, and where transparency comes from.
type Style struct {
	Mode RenderMode `json:"mode"`
	// Bands are the 1-based band numbers shown: red, green, blue for
	// ModeRGB, one band otherwise.
	Bands []int `json:"bands"`
	// Ranges hold, per shown band, the values drawn as 0 and as 255; values
	// between are scaled linearly and values outside are clamped. Nil for
	// ModePalette.
	Ranges [][2]float64 `json:"ranges,omitempty"`
	// AlphaBand is the band whose colour interpretation is alpha, or 0. No
	// other band is ever used as alpha.
	AlphaBand int `json:"alpha_band,omitempty"`
	// Palette is the colour table used in ModePalette.
	Palette []color.NRGBA `json:"-"`
	// Notes explain choices a user may question (an all-nodata sample).
	Notes []string `json:"notes,omitempty"`
}

// StyleOptions choose how a layer is displayed. The zero value gives the
// default display.
type StyleOptions struct {
	// Bands overrides the band choice: three band numbers for RGB or one for
	// grey (or palette, when that band has a colour table).
	Bands []int
	// LowPercent and HighPercent set the percentile stretch; 0 and 0 mean
	// the default 2 and 98.
	LowPercent, HighPercent float64
	// NoStretch shows values as they are: 0..255 for Byte bands and the
	// type's full range otherwise.
	NoStretch bool
}

// DefaultBands returns the default display of info, the first rule that
// applies:
//  1. the first non-alpha band through its colour table, when it is a
//     palette band;
//  2. the bands marked red, green and blue;
//  3. bands 3,2,1 of a 6- or 7-band Landsat-like raster;
//  4. bands 1,2,3 of a raster with three or more non-alpha bands, so band 4
//     of an RGB+NIR raster is never used;
//  5. the first non-alpha band in grey.
func DefaultBands(info Info) (RenderMode, []int) {
	colour := info.colourBands()
	if len(colour) > 0 && info.Bands[colour[0]-1].IsPalette() {
		return ModePalette, []int{colour[0]}
	}
	if rgb := info.bandsByInterp(godal.CIRed, godal.CIGreen, godal.CIBlue); rgb != nil {
		return ModeRGB, rgb
	}
	switch {
	case len(colour) == 6 || len(colour) == 7:
		return ModeRGB, []int{colour[2], colour[1], colour[0]}
	case len(colour) >= 3:
		return ModeRGB, colour[:3]
	case len(colour) >= 1:
		return ModeGrey, colour[:1]
	}
	return ModeGrey, []int{1}
}

// colourBands returns the numbers of the bands that are not alpha.
func (i Info) colourBands() []int {
	var out []int
	for _, b := range i.Bands {
		if !b.IsAlpha() {
			out = append(out, b.Number)
		}
	}
	return out
}

// bandsByInterp returns the first band with each interpretation, or nil
// when one is missing.
func (i Info) bandsByInterp(interps ...godal.ColorInterp) []int {
	out := make([]int, 0, len(interps))
	for _, want := range interps {
		found := 0
		for _, b := range i.Bands {
			if b.colorInterp == want {
				found = b.Number
				break
			}
		}
		if found == 0 {
			return nil
		}
		out = append(out, found)
	}
	return out
}

// resolveBands checks opts.Bands against info, or picks the default.
func resolveBands(info Info, opts StyleOptions) (RenderMode, []int, error) {
	if len(opts.Bands) == 0 {
		mode, bands := DefaultBands(info)
		return mode, bands, nil
	}
	for _, b := range opts.Bands {
		if b < 1 || b > len(info.Bands) {
			return "", nil, fmt.Errorf("band %d does not exist in %s (bands 1 to %d)", b, info.Path, len(info.Bands))
		}
	}
	switch len(opts.Bands) {
	case 1:
		if info.Bands[opts.Bands[0]-1].IsPalette() {
			return ModePalette, slices.Clone(opts.Bands), nil
		}
		return ModeGrey, slices.Clone(opts.Bands), nil
	case 3:
		return ModeRGB, slices.Clone(opts.Bands), nil
	}
	return "", nil, fmt.Errorf("display needs 1 or 3 bands, got %d (%v)", len(opts.Bands), opts.Bands)
}

// typeRange returns the full value range of a data type, used with
// NoStretch.
func typeRange(dt godal.DataType) [2]float64 {
	switch dt {
	case godal.Byte:
		return [2]float64{0, 255}
	case godal.UInt16:
		return [2]float64{0, 65535}
	case godal.Int16:
		return [2]float64{-32768, 32767}
	case godal.UInt32:
		return [2]float64{0, 4294967295}
	case godal.Int32:
		return [2]float64{-2147483648, 2147483647}
	}
	return [2]float64{0, 1}
}
