package evaluation

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Sheet layout: every tile is drawn at sheetTile pixels (64 px views
// doubled by nearest neighbour), with sheetGap pixels between tiles and a
// label column of sheetLabel pixels on the left.
const (
	sheetTile  = 128
	sheetGap   = 4
	sheetLabel = 210
)

// sheetRow is one row of a sheet: a label and its tiles, each an RGBA
// image of any size (scaled to sheetTile).
type sheetRow struct {
	Label string
	Tiles []image.Image
}

// writeSheet draws rows under a header line and writes the PNG to path
// atomically.
func writeSheet(path, header string, rows []sheetRow) error {
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r.Tiles))
	}
	const headerH = 24
	w := sheetLabel + cols*(sheetTile+sheetGap)
	h := headerH + len(rows)*(sheetTile+sheetGap)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	drawText(img, 4, 16, header)

	for i, r := range rows {
		y := headerH + i*(sheetTile+sheetGap)
		drawText(img, 4, y+sheetTile/2, r.Label)
		for j, t := range r.Tiles {
			x := sheetLabel + j*(sheetTile+sheetGap)
			draw.NearestNeighbor.Scale(img, image.Rect(x, y, x+sheetTile, y+sheetTile), t, t.Bounds(), draw.Src, nil)
		}
	}
	return writeFileAtomic(path, func(bw *bufio.Writer) error { return png.Encode(bw, img) })
}

// drawText writes s in the 7x13 basic font with its baseline at y.
func drawText(img *image.RGBA, x, y int, s string) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// viewImage turns a CHW view in [-1, 1] into an RGBA image.
func viewImage(view []float32, size int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	plane := size * size
	for y := range size {
		for x := range size {
			i := y*size + x
			img.SetRGBA(x, y, color.RGBA{R: unitByte(view[i]), G: unitByte(view[plane+i]), B: unitByte(view[2*plane+i]), A: 255})
		}
	}
	return img
}

func unitByte(v float32) uint8 {
	x := (v + 1) * 127.5
	switch {
	case x <= 0 || x != x:
		return 0
	case x >= 255:
		return 255
	}
	return uint8(x + 0.5)
}

// rgbImage turns 8-bit CHW planes into an RGBA image.
func rgbImage(chw []uint8, size int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	plane := size * size
	for y := range size {
		for x := range size {
			i := y*size + x
			img.SetRGBA(x, y, color.RGBA{R: chw[i], G: chw[plane+i], B: chw[2*plane+i], A: 255})
		}
	}
	return img
}

// hwcImage turns interleaved 8-bit RGB pixels into an RGBA image.
func hwcImage(rgb []uint8, size int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for i := range size * size {
		img.SetRGBA(i%size, i/size, color.RGBA{R: rgb[3*i], G: rgb[3*i+1], B: rgb[3*i+2], A: 255})
	}
	return img
}

func percent(v float64) string { return fmt.Sprintf("%.1f %%", 100*v) }
