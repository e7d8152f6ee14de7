package geodata

import (
	"fmt"
	"math"

	"github.com/airbusgeo/godal"
)

// Window is a rectangle of whole pixels of a raster.
type Window struct {
	Col, Row, Width, Height int
}

// Samples are band values read from a window, resampled to Width x Height.
type Samples struct {
	Width, Height int
	Bands         []int       // 1-based band numbers, in the order of Values
	Values        [][]float32 // per band, row-major, Width*Height values
	// Valid is false where the pixel has no data. That is where the dataset
	// mask or the alpha band is 0, or where every band in Bands contains its
	// nodata value, NaN, an infinity or a magnitude above 1e38 (such as
	// -3.4e38).
	Valid []bool
}

// hugeValue is the magnitude above which a float sample is treated as a
// nodata sentinel even when no nodata value is declared (for example
// -3.4028235e38, float32's lowest value).
const hugeValue = 1e38

// badFloat reports a NaN, an infinity or a nodata sentinel.
func badFloat(v float32) bool {
	return v != v || v > hugeValue || v < -hugeValue
}

// nodataTest compares samples with one band's nodata value in float32.
type nodataTest struct {
	set   bool
	isNaN bool
	value float32
}

func newNodataTest(n NoData) nodataTest {
	if !n.Set {
		return nodataTest{}
	}
	return nodataTest{set: true, isNaN: math.IsNaN(n.Value), value: float32(n.Value)}
}

func (t nodataTest) matches(v float32) bool {
	if !t.set {
		return false
	}
	if t.isNaN {
		return v != v
	}
	return v == t.value
}

// validityRules decide which pixels of a read have data, following GDAL's
// mask rules (RFC 15). A per-dataset mask or an alpha band applies to all
// bands. Per-band nodata removes a pixel only when every shown band is
// nodata, so one band's nodata value never hides a valid colour.
type validityRules struct {
	nodata      []nodataTest // per shown band
	alphaBand   int          // 0 when there is none
	alphaScale  float32      // multiplies alpha samples to 0..255
	datasetMask bool         // read GDAL's per-dataset mask of maskBand
	maskBand    int
}

func newValidityRules(info Info, bands []int, alphaBand int) validityRules {
	rules := validityRules{alphaBand: alphaBand, alphaScale: 1, maskBand: bands[0]}
	for _, b := range bands {
		rules.nodata = append(rules.nodata, newNodataTest(info.Bands[b-1].NoData))
	}
	if alphaBand > 0 && info.Bands[alphaBand-1].dataType == godal.UInt16 {
		rules.alphaScale = 255.0 / 65535
	}
	flags := info.Bands[bands[0]-1].MaskFlags
	rules.datasetMask = flags&MaskPerDataset != 0 && flags&MaskAlpha == 0
	return rules
}

// rawRead is one RasterIO result: the shown bands (and the alpha band, last)
// band-interleaved as bytes or float32, plus the dataset mask.
type rawRead struct {
	width, height int
	bytes         []uint8
	floats        []float32
	mask          []uint8 // per-dataset mask (0 = no data), or nil
}

// readRaw reads win of h into a buffer of bufW x bufH with nearest-neighbour
// resampling, so GDAL serves it from an overview when one matches.
func readRaw(h *godal.Dataset, win Window, bufW, bufH int, bands []int, asBytes bool, rules validityRules) (*rawRead, error) {
	zeroBased := make([]int, len(bands))
	for i, b := range bands {
		zeroBased[i] = b - 1
	}
	call := &gdalCall{}
	opts := []godal.DatasetIOOption{
		godal.Window(win.Width, win.Height), godal.Bands(zeroBased...),
		godal.BandInterleaved(), godal.Resampling(godal.Nearest), call.option(),
	}
	raw := &rawRead{width: bufW, height: bufH}
	var buffer any
	if asBytes {
		raw.bytes = make([]uint8, bufW*bufH*len(bands))
		buffer = raw.bytes
	} else {
		raw.floats = make([]float32, bufW*bufH*len(bands))
		buffer = raw.floats
	}
	if err := h.Read(win.Col, win.Row, buffer, bufW, bufH, opts...); err != nil {
		return nil, err
	}
	if rules.datasetMask {
		raw.mask = make([]uint8, bufW*bufH)
		mask := h.Bands()[rules.maskBand-1].MaskBand()
		err := mask.Read(win.Col, win.Row, raw.mask, bufW, bufH,
			godal.Window(win.Width, win.Height), godal.Resampling(godal.Nearest), call.option())
		if err != nil {
			return nil, fmt.Errorf("mask band: %w", err)
		}
	}
	return raw, nil
}

// clipWindow clips win to a raster of width x height.
func clipWindow(win Window, width, height int) Window {
	c0, r0 := max(win.Col, 0), max(win.Row, 0)
	c1, r1 := min(win.Col+win.Width, width), min(win.Row+win.Height, height)
	return Window{Col: c0, Row: r0, Width: max(c1-c0, 0), Height: max(r1-r0, 0)}
}

// ReadWindow reads the given bands of win (1-based, nil for all) as
// float32 values with a validity mask. The values are resampled with
// nearest neighbour to bufW x bufH, which GDAL serves from overviews when
// they exist. The window must lie inside the raster.
func (d *Dataset) ReadWindow(win Window, bufW, bufH int, bands []int) (*Samples, error) {
	info := d.info
	if bands == nil {
		for _, b := range info.Bands {
			bands = append(bands, b.Number)
		}
	}
	if err := checkRead(info, win, bufW, bufH, bands); err != nil {
		return nil, err
	}
	alpha := info.AlphaBand()
	readBands := bands
	if alpha > 0 {
		readBands = append(append([]int{}, bands...), alpha)
	}
	rules := newValidityRules(info, bands, alpha)

	var raw *rawRead
	err := d.WithHandle(func(h *godal.Dataset) error {
		var err error
		raw, err = readRaw(h, win, bufW, bufH, readBands, false, rules)
		return err
	})
	if err != nil {
		return nil, classifyReadError(d.path, fmt.Sprintf("window %+v", win), err)
	}
	return samplesFromRaw(raw, bands, alpha > 0, rules), nil
}

func checkRead(info Info, win Window, bufW, bufH int, bands []int) error {
	if win.Width <= 0 || win.Height <= 0 || win != clipWindow(win, info.Width, info.Height) {
		return fmt.Errorf("read %s: window %+v is empty or outside the raster (%dx%d)", info.Path, win, info.Width, info.Height)
	}
	if bufW <= 0 || bufH <= 0 {
		return fmt.Errorf("read %s: buffer size %dx%d must be positive", info.Path, bufW, bufH)
	}
	for _, b := range bands {
		if b < 1 || b > len(info.Bands) {
			return fmt.Errorf("read %s: band %d does not exist (bands 1 to %d)", info.Path, b, len(info.Bands))
		}
		if info.Bands[b-1].IsComplex() {
			return fmt.Errorf("read %s band %d (%s): %w", info.Path, b, info.Bands[b-1].DataType, ErrUnsupportedDataType)
		}
	}
	return nil
}

func samplesFromRaw(raw *rawRead, bands []int, hasAlpha bool, rules validityRules) *Samples {
	n := raw.width * raw.height
	s := &Samples{Width: raw.width, Height: raw.height, Bands: bands, Valid: make([]bool, n)}
	for i := range bands {
		s.Values = append(s.Values, raw.floats[i*n:(i+1)*n])
	}
	var alpha []float32
	if hasAlpha {
		alpha = raw.floats[len(bands)*n : (len(bands)+1)*n]
	}
	for p := 0; p < n; p++ {
		s.Valid[p] = pixelHasData(s.Values, p, rules, raw.mask, alpha)
	}
	return s
}

func pixelHasData(values [][]float32, p int, rules validityRules, mask []uint8, alpha []float32) bool {
	if mask != nil && mask[p] == 0 {
		return false
	}
	if alpha != nil && alpha[p] <= 0 {
		return false
	}
	for b, v := range values {
		if !badFloat(v[p]) && !rules.nodata[b].matches(v[p]) {
			return true
		}
	}
	return false
}

// PixelValue is one band's raw value at a pixel, for an inspector.
type PixelValue struct {
	Band   int     `json:"band"`
	Value  float64 `json:"value"`
	NoData bool    `json:"nodata"` // the value is the band's nodata value, NaN or a sentinel
}

// PixelValues returns every band's raw value at pixel (col, row), and
// whether the pixel has data under the dataset mask and alpha band.
func (d *Dataset) PixelValues(col, row int) ([]PixelValue, bool, error) {
	info := d.info
	if col < 0 || row < 0 || col >= info.Width || row >= info.Height {
		return nil, false, fmt.Errorf("pixel (%d, %d) is outside %s (%dx%d)", col, row, d.path, info.Width, info.Height)
	}
	var values []float64
	var maskValue uint8 = 255
	err := d.WithHandle(func(h *godal.Dataset) error {
		call := &gdalCall{}
		values = make([]float64, len(info.Bands))
		for i, band := range h.Bands() {
			buf := make([]float64, 1)
			if err := band.Read(col, row, buf, 1, 1, call.option()); err != nil {
				return err
			}
			values[i] = buf[0]
		}
		flags := info.Bands[0].MaskFlags
		if flags&MaskPerDataset != 0 {
			buf := []uint8{0}
			if err := h.Bands()[0].MaskBand().Read(col, row, buf, 1, 1, call.option()); err != nil {
				return err
			}
			maskValue = buf[0]
		}
		return nil
	})
	if err != nil {
		return nil, false, classifyReadError(d.path, fmt.Sprintf("pixel (%d, %d)", col, row), err)
	}
	out := make([]PixelValue, len(values))
	for i, v := range values {
		nd := newNodataTest(info.Bands[i].NoData)
		bad := badFloat(float32(v)) || nd.matches(float32(v))
		out[i] = PixelValue{Band: i + 1, Value: v, NoData: bad}
	}
	return out, maskValue != 0, nil
}
