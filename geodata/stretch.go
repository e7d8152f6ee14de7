package geodata

import (
	"fmt"
	"math"
)

// Default percentiles of the display stretch.
const (
	DefaultLowPercent  = 2
	DefaultHighPercent = 98
)

// statsSampleSide is the long side, in pixels, of the reduced read that the
// stretch statistics come from: at most 512 x 512 = 262,144 samples, about
// QGIS's default sample size of 250,000 for cumulative count cuts.
const statsSampleSide = 512

// histogramBins is the number of bins used for percentiles of float data.
// A percentile is then within 1/4096 of the data range of the exact value.
const histogramBins = 4096

// computeRanges returns, per band, the values drawn as 0 and 255.
func computeRanges(ds *Dataset, bands []int, opts StyleOptions) ([][2]float64, []string, error) {
	info := ds.Info()
	low, high := opts.LowPercent, opts.HighPercent
	if low == 0 && high == 0 {
		low, high = DefaultLowPercent, DefaultHighPercent
	}
	if opts.NoStretch {
		low, high = 0, 100
	}
	if !(low >= 0 && high <= 100 && low < high) {
		return nil, nil, fmt.Errorf("stretch percentiles %g-%g: need 0 <= low < high <= 100", low, high)
	}
	if opts.NoStretch && allIntegerBands(info, bands) {
		ranges := make([][2]float64, len(bands))
		for i, b := range bands {
			ranges[i] = typeRange(info.Bands[b-1].dataType)
		}
		return ranges, nil, nil
	}

	values, err := sampleBandValues(ds, bands)
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	ranges := make([][2]float64, len(bands))
	for i, v := range values {
		if len(v) == 0 {
			ranges[i] = typeRange(info.Bands[bands[i]-1].dataType)
			notes = append(notes, fmt.Sprintf("band %d has no valid pixels in the statistics sample; shown with its type's range", bands[i]))
			continue
		}
		ranges[i] = percentileRange(v, low, high)
	}
	return ranges, notes, nil
}

func allIntegerBands(info Info, bands []int) bool {
	for _, b := range bands {
		if typeRange(info.Bands[b-1].dataType) == [2]float64{0, 1} {
			return false
		}
	}
	return true
}

// percentileRange returns the low and high percentiles of v from a
// histogram: one bin per integer for integer data spanning at most 65,536
// values, else histogramBins bins between the minimum and maximum. The
// range is widened to at least one unit (or a relative 1e-6 for tiny float
// ranges) so a constant band still maps to a grey.
func percentileRange(v []float32, low, high float64) [2]float64 {
	minV, maxV, integer := v[0], v[0], true
	for _, x := range v {
		minV, maxV = min(minV, x), max(maxV, x)
		integer = integer && x == float32(math.Trunc(float64(x)))
	}
	bins, width := histogramBins, (float64(maxV)-float64(minV))/histogramBins
	if integer && float64(maxV)-float64(minV) < 65536 {
		bins, width = int(maxV-minV)+1, 1
	}
	lo, hi := float64(minV), float64(maxV)
	if width > 0 {
		counts := make([]int, bins)
		for _, x := range v {
			counts[min(int((float64(x)-float64(minV))/width), bins-1)]++
		}
		lo = float64(minV) + width*float64(binAtRank(counts, low/100*float64(len(v)-1)))
		hi = float64(minV) + width*float64(binAtRank(counts, high/100*float64(len(v)-1)))
	}
	if hi <= lo {
		gap := math.Max(1e-6*math.Abs(lo), 1e-12)
		if integer {
			gap = 1
		}
		hi = lo + gap
	}
	return [2]float64{lo, hi}
}

// binAtRank returns the index of the bin that holds the value of the given
// rank (0-based, rounded) in the sorted data.
func binAtRank(counts []int, rank float64) int {
	target := int(math.Round(rank))
	seen := 0
	for i, c := range counts {
		seen += c
		if seen > target {
			return i
		}
	}
	return len(counts) - 1
}

// sampleBandValues returns the valid values of each band from a reduced
// read. When GDAL can serve it from overviews, or the raster is small, the
// whole raster is read at most statsSampleSide pixels across. Otherwise an
// 8 x 8 grid of full-resolution 128 x 128 windows is read, so a large
// raster without overviews is never read in full.
func sampleBandValues(ds *Dataset, bands []int) ([][]float32, error) {
	info := ds.Info()
	values := make([][]float32, len(bands))
	for _, w := range statsWindows(info, bands) {
		s, err := ds.ReadWindow(w.win, w.bufW, w.bufH, bands)
		if err != nil {
			return nil, fmt.Errorf("stretch statistics: %w", err)
		}
		appendValid(values, s, newValidityRules(info, bands, info.AlphaBand()))
	}
	return values, nil
}

type statsWindow struct {
	win        Window
	bufW, bufH int
}

func statsWindows(info Info, bands []int) []statsWindow {
	long := max(info.Width, info.Height)
	hasOverviews := len(info.Bands[bands[0]-1].Overviews) > 0
	if long <= 4*statsSampleSide || hasOverviews {
		scale := math.Min(1, float64(statsSampleSide)/float64(long))
		bufW := max(1, int(math.Round(float64(info.Width)*scale)))
		bufH := max(1, int(math.Round(float64(info.Height)*scale)))
		return []statsWindow{{Window{0, 0, info.Width, info.Height}, bufW, bufH}}
	}
	const grid, side = 8, 128
	var out []statsWindow
	for gy := 0; gy < grid; gy++ {
		for gx := 0; gx < grid; gx++ {
			col := (info.Width - side) * gx / (grid - 1)
			row := (info.Height - side) * gy / (grid - 1)
			win := clipWindow(Window{col, row, side, side}, info.Width, info.Height)
			out = append(out, statsWindow{win, win.Width, win.Height})
		}
	}
	return out
}

// appendValid appends, per band, the values of pixels that have data and
// where that band itself is not nodata.
func appendValid(values [][]float32, s *Samples, rules validityRules) {
	for b := range s.Bands {
		for p, v := range s.Values[b] {
			if s.Valid[p] && !badFloat(v) && !rules.nodata[b].matches(v) {
				values[b] = append(values[b], v)
			}
		}
	}
}
