package inference

import (
	"fmt"
	"image"
	"image/color"

	"github.com/downthere/downthere/models"
)

// PatchFromRGB converts an 8-bit RGB patch, PatchSize x PatchSize pixels
// stored row by row with 3 bytes per pixel, into the encoder's input:
// float32 in channel, row, column order, normalised as the encoder's
// manifest specifies. A manifest without normalisation gives v/255.
func (s *ModelSet) PatchFromRGB(rgb []uint8) ([]float32, error) {
	p := s.PatchSize()
	if len(rgb) != 3*p*p {
		return nil, fmt.Errorf("patch from RGB: %d bytes, want %d (%dx%d pixels, 3 bytes each)", len(rgb), 3*p*p, p, p)
	}
	return normalizeRGB(rgb, p*p, s.Manifest(models.RoleEncoder).Normalization), nil
}

// normalizeRGB converts pixels interleaved RGB bytes into planar float32
// (v/255 - mean[c]) / std[c]. A normalisation with one entry applies it to
// every channel; checkSet allows only one or three.
func normalizeRGB(rgb []uint8, pixels int, norm *models.Normalization) []float32 {
	var scale, offset [3]float32
	for c := range 3 {
		scale[c], offset[c] = 1.0/255, 0
		if norm != nil && len(norm.Mean) > 0 {
			k := min(c, len(norm.Mean)-1)
			scale[c] = 1 / (255 * norm.Std[k])
			offset[c] = -norm.Mean[k] / norm.Std[k]
		}
	}

	out := make([]float32, 3*pixels)
	for i := range pixels {
		for c := range 3 {
			out[c*pixels+i] = float32(rgb[3*i+c])*scale[c] + offset[c]
		}
	}
	return out
}

// ImageToRGBA converts a generated view (3 x height x width float32 in
// [-1, 1], channel, row, column order) to an RGBA image, mapping -1 to 0
// and 1 to 255 and clamping values outside [-1, 1].
func ImageToRGBA(view []float32, height, width int) (*image.RGBA, error) {
	if len(view) != 3*height*width {
		return nil, fmt.Errorf("image to RGBA: %d values, want %d (3x%dx%d)", len(view), 3*height*width, height, width)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	plane := height * width
	for y := range height {
		for x := range width {
			i := y*width + x
			img.SetRGBA(x, y, color.RGBA{
				R: toByte(view[i]),
				G: toByte(view[plane+i]),
				B: toByte(view[2*plane+i]),
				A: 255,
			})
		}
	}
	return img, nil
}

func toByte(v float32) uint8 {
	x := (v + 1) * 127.5
	switch {
	case x <= 0 || x != x: // NaN maps to 0
		return 0
	case x >= 255:
		return 255
	}
	return uint8(x + 0.5)
}
