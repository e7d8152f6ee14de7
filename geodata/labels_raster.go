package geodata

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/airbusgeo/godal"
)

// maxRasterSupersample bounds the samples per cell edge chosen for a class
// raster much finer than the grid (100 x 100 = 10,000 samples per cell).
const maxRasterSupersample = 100

// rasterLabelNoData is the nodata value of the warped class samples.
const rasterLabelNoData = math.MinInt32

// RasterLabelOptions configure reading class labels from a class raster.
type RasterLabelOptions struct {
	Band int // 1-based band number; 0 means band 1
	// Values maps pixel values to class names. Values it does not list stay
	// unlabelled and are counted in LabelLayer.Unmapped. A nil Values makes
	// every value its own class, named by its number.
	Values map[int]string
	// Classes fixes the class order. Empty means the sorted class names of
	// Values, or the values found in numeric order when Values is nil.
	Classes []string
	// Supersample is the number of samples along each cell edge; 0 chooses
	// one sample per class-raster pixel (at most 100 per cell edge).
	Supersample int
}

// ReadRasterLabels samples a class raster on the grid's cells and returns
// each cell's class coverage. The raster is warped to the grid CRS with
// nearest-neighbour resampling at Supersample x Supersample samples per
// cell. Its nodata pixels and the area outside it stay unlabelled.
func ReadRasterLabels(ctx context.Context, path string, g *Grid, opts RasterLabelOptions) (*LabelLayer, error) {
	godalInit()
	src, err := openClassBand(path, opts.Band)
	if err != nil {
		return nil, fmt.Errorf("read labels %s: %w", path, err)
	}
	defer src.Close()

	if err := checkRasterCRS(src, g); err != nil {
		return nil, fmt.Errorf("read labels %s: %w", path, err)
	}
	s := opts.Supersample
	if s <= 0 {
		s = rasterSupersample(src, g)
	}

	counts := newValueCounter(g, s)
	for r0 := 0; r0 < g.Rows(); r0 += counts.bandRows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r1 := min(r0+counts.bandRows, g.Rows())
		samples, err := warpClassBand(src, g, r0, r1, s)
		if err != nil {
			return nil, fmt.Errorf("read labels %s: %w", path, err)
		}
		counts.add(samples, r0, r1)
	}
	return counts.labelLayer(path, opts), nil
}

// openClassBand opens the raster and, for a band other than the only one,
// a VRT holding just that band (gdalwarp in GDAL 3.6 cannot pick bands).
func openClassBand(path string, band int) (*godal.Dataset, error) {
	ds, err := godal.Open(path, godal.RasterOnly(), godal.ErrLogger(gdalFailures()))
	if err != nil {
		return nil, err
	}
	n := len(ds.Bands())
	if band <= 0 {
		band = 1
	}
	if band > n {
		ds.Close()
		return nil, fmt.Errorf("band %d does not exist; the raster has %d bands", band, n)
	}
	if n == 1 {
		return ds, nil
	}
	defer ds.Close()
	vrt, err := ds.Translate("", []string{"-of", "VRT", "-b", strconv.Itoa(band)}, godal.ErrLogger(gdalFailures()))
	if err != nil {
		return nil, fmt.Errorf("select band %d: %w", band, err)
	}
	return vrt, nil
}

// checkRasterCRS rejects a raster and grid of which only one has a CRS.
func checkRasterCRS(src *godal.Dataset, g *Grid) error {
	has := src.Projection() != ""
	switch {
	case has && g.CRS() == "":
		return fmt.Errorf("the class raster has a CRS but the scene has none, so the two cannot be aligned")
	case !has && g.CRS() != "":
		return fmt.Errorf("the class raster has no CRS, so it cannot be placed on the grid in %s; assign its CRS (for example with gdal_edit.py -a_srs)", g.CRSName())
	}
	return nil
}

// rasterSupersample returns the samples per cell edge that put about one
// sample on each class-raster pixel, measured at the raster's centre in
// the grid CRS.
func rasterSupersample(src *godal.Dataset, g *Grid) int {
	gt, err := src.GeoTransform(godal.ErrLogger(gdalFailures()))
	if err != nil {
		return DefaultLabelSupersample
	}
	st := src.Structure()
	cx, cy := float64(st.SizeX)/2, float64(st.SizeY)/2
	geo := GeoTransform(gt)
	x0, y0 := geo.PixelToMap(cx, cy)
	x1, y1 := geo.PixelToMap(cx+1, cy)
	x2, y2 := geo.PixelToMap(cx, cy+1)
	xs, ys := []float64{x0, x1, x2}, []float64{y0, y1, y2}

	if g.CRS() != "" {
		srcSR, err := spatialRefFromWKT(src.Projection())
		if err != nil {
			return DefaultLabelSupersample
		}
		defer srcSR.Close()
		gridSR, err := spatialRefFromWKT(g.CRS())
		if err != nil {
			return DefaultLabelSupersample
		}
		defer gridSR.Close()
		r, err := newGridReprojector(srcSR, gridSR)
		if err != nil {
			return DefaultLabelSupersample
		}
		defer r.close()
		if r.apply(xs, ys) != nil {
			return DefaultLabelSupersample
		}
	}

	pixel := math.Min(math.Hypot(xs[1]-xs[0], ys[1]-ys[0]), math.Hypot(xs[2]-xs[0], ys[2]-ys[0]))
	if !(pixel > 0) {
		return DefaultLabelSupersample
	}
	return max(1, min(maxRasterSupersample, int(math.Ceil(g.CellSize()/pixel-1e-9))))
}

// warpClassBand warps the class raster over cell rows r0..r1-1 into s x s
// samples per cell and returns the sampled values row by row, with
// rasterLabelNoData for nodata and uncovered samples.
func warpClassBand(src *godal.Dataset, g *Grid, r0, r1, s int) ([]int32, error) {
	ox, oy := g.Origin()
	cs := g.CellSize()
	width, height := g.Cols()*s, (r1-r0)*s
	switches := []string{
		"-of", "MEM", "-r", "near", "-ot", "Int32",
		"-dstnodata", strconv.Itoa(rasterLabelNoData),
		"-te", ftoa(ox), ftoa(oy - float64(r1)*cs), ftoa(ox + float64(g.Cols())*cs), ftoa(oy - float64(r0)*cs),
		"-ts", strconv.Itoa(width), strconv.Itoa(height),
	}
	if g.CRS() != "" {
		switches = append(switches, "-t_srs", g.CRS())
	}

	warped, err := src.Warp("", switches, godal.ErrLogger(gdalFailures()))
	if err != nil {
		return nil, fmt.Errorf("warp class raster to the grid: %w", err)
	}
	defer warped.Close()

	samples := make([]int32, width*height)
	if err := warped.Bands()[0].Read(0, 0, samples, width, height, godal.ErrLogger(gdalFailures())); err != nil {
		return nil, fmt.Errorf("read warped class raster: %w", err)
	}
	return samples, nil
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// valueCounter sums class-raster samples per cell and pixel value.
type valueCounter struct {
	rows, cols int
	s          int
	bandRows   int
	counts     map[int32][]int32 // value -> samples per cell
}

func newValueCounter(g *Grid, s int) *valueCounter {
	rowPixels := g.Cols() * s * s
	return &valueCounter{
		rows: g.Rows(), cols: g.Cols(), s: s,
		bandRows: max(1, maxLabelBandPixels/max(1, rowPixels)),
		counts:   map[int32][]int32{},
	}
}

func (c *valueCounter) add(samples []int32, r0, r1 int) {
	width := c.cols * c.s
	for y := 0; y < (r1-r0)*c.s; y++ {
		row := r0 + y/c.s
		for x := 0; x < width; x++ {
			v := samples[y*width+x]
			if v == rasterLabelNoData {
				continue
			}
			perCell, ok := c.counts[v]
			if !ok {
				perCell = make([]int32, c.rows*c.cols)
				c.counts[v] = perCell
			}
			perCell[row*c.cols+x/c.s]++
		}
	}
}

// labelLayer applies the value mapping to the counts.
func (c *valueCounter) labelLayer(path string, opts RasterLabelOptions) *LabelLayer {
	values := make([]int32, 0, len(c.counts))
	for v := range c.counts {
		values = append(values, v)
	}
	sort.Slice(values, func(i, j int) bool { return values[i] < values[j] })

	names := map[int32]string{}
	for _, v := range values {
		if opts.Values == nil {
			names[v] = strconv.Itoa(int(v))
		} else if name, ok := opts.Values[int(v)]; ok {
			names[v] = name
		}
	}
	classes := rasterClasses(opts, values, names)

	labels := &LabelLayer{
		Source: path, Classes: classes, Supersample: c.s,
		Unmapped: map[string]int{}, rows: c.rows, cols: c.cols,
	}
	counter := &labelCounter{labels: labels, s: c.s, counts: make([]int, c.rows*c.cols*len(classes))}
	for _, v := range values {
		class := classIndex(names[v], nil, classes)
		total := 0
		for cell, n := range c.counts[v] {
			total += int(n)
			if class != labelNone {
				counter.counts[cell*len(classes)+class] += int(n)
			}
		}
		if class == labelNone {
			labels.Unmapped[strconv.Itoa(int(v))] += total
		} else {
			labels.Features += total
		}
	}
	counter.finish()
	return labels
}

func rasterClasses(opts RasterLabelOptions, values []int32, names map[int32]string) []string {
	if len(opts.Classes) > 0 {
		return opts.Classes
	}
	if opts.Values == nil {
		classes := make([]string, 0, len(values))
		for _, v := range values {
			classes = append(classes, names[v])
		}
		return classes
	}
	seen := map[string]bool{}
	var classes []string
	for _, name := range opts.Values {
		if !seen[name] {
			seen[name] = true
			classes = append(classes, name)
		}
	}
	sort.Strings(classes)
	return classes
}
