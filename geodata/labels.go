package geodata

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/airbusgeo/godal"
)

// DefaultLabelSupersample is the number of sub-cells along each cell edge
// at which polygon labels are rasterized: 20 x 20 = 400 samples per cell,
// so coverage fractions come in steps of 1/400.
const DefaultLabelSupersample = 20

// maxLabelBandPixels bounds the sub-cell raster held in memory at once.
// Larger grids are rasterized in bands of cell rows.
const maxLabelBandPixels = 16 << 20

// labelNone marks a sub-cell sample with no label.
const labelNone = -1

// CellLabel holds the label coverage of one cell.
type CellLabel struct {
	// Fractions is the share of the cell's area covered by each class, in
	// the order of LabelLayer.Classes.
	Fractions []float64
	// Unlabelled is the share covered by no class; with Fractions it adds
	// up to 1.
	Unlabelled float64
}

// Labelled reports whether any class covers part of the cell.
func (l CellLabel) Labelled() bool { return l.Unlabelled < 1 }

// Coverage returns the share of the cell covered by any class.
func (l CellLabel) Coverage() float64 { return 1 - l.Unlabelled }

// Class returns the majority class of the cell when classes cover at least
// minCoverage of it, else -1 (unlabelled).
func (l CellLabel) Class(minCoverage float64) int {
	if l.Coverage() < minCoverage || !l.Labelled() {
		return -1
	}
	class, _ := l.Majority()
	return class
}

// Majority returns the index of the class covering most of the cell and
// its fraction, or -1 and 0 for an unlabelled cell. Ties go to the class
// listed first.
func (l CellLabel) Majority() (class int, fraction float64) {
	class = -1
	for i, f := range l.Fractions {
		if f > fraction {
			class, fraction = i, f
		}
	}
	return class, fraction
}

// LabelLayer holds the label coverage of every cell of a grid.
type LabelLayer struct {
	Source  string   // file the labels came from
	Classes []string // class names; indices into CellLabel.Fractions
	// Supersample is the number of samples along each cell edge.
	Supersample int
	// Features is the number of polygons (or, for a class raster, pixels
	// sampled) that carried a mapped class.
	Features int
	// Unmapped counts the attribute or pixel values that the mapping does
	// not name, with how many features or samples had each. They are left
	// unlabelled.
	Unmapped map[string]int
	// Skipped counts features without a usable geometry.
	Skipped int

	rows, cols int
	cells      []CellLabel
}

// Label returns the label coverage of c; an unlabelled CellLabel outside
// the grid.
func (l *LabelLayer) Label(c Cell) CellLabel {
	if c.Row < 0 || c.Row >= l.rows || c.Col < 0 || c.Col >= l.cols {
		return CellLabel{Fractions: make([]float64, len(l.Classes)), Unlabelled: 1}
	}
	return l.cells[c.Row*l.cols+c.Col]
}

// DefaultMinLabelCoverage is the share of a cell that classes must cover
// for the cell to take their majority class as its label.
const DefaultMinLabelCoverage = 0.5

// LabelledCells returns the number of cells whose classes cover at least
// minCoverage of the cell (any coverage at all when minCoverage is 0).
func (l *LabelLayer) LabelledCells(minCoverage float64) int {
	n := 0
	for _, c := range l.cells {
		if c.Class(minCoverage) >= 0 {
			n++
		}
	}
	return n
}

// PolygonLabelOptions configure reading class labels from a polygon layer.
type PolygonLabelOptions struct {
	Layer string // layer name; empty for the first layer
	Field string // attribute that holds the class value, such as "TIPO"
	// Mapping maps attribute values (compared after trimming spaces) to
	// class names. Values it does not list stay unlabelled and are counted
	// in LabelLayer.Unmapped. A nil Mapping makes every value its own
	// class.
	Mapping map[string]string
	// Classes fixes the class order. Empty means the sorted class names of
	// Mapping, or of the values found when Mapping is nil.
	Classes []string
	// Supersample is the number of samples along each cell edge; 0 means
	// DefaultLabelSupersample.
	Supersample int
}

// OlindaTractLabels reads the IBGE 2010 census tracts of Olinda
// (olinda1.shp), whose TIPO field is URBANO or RURAL, as the classes urban
// and rural.
var OlindaTractLabels = PolygonLabelOptions{
	Field:   "TIPO",
	Mapping: map[string]string{"URBANO": "urban", "RURAL": "rural"},
	Classes: []string{"urban", "rural"},
}

// ReadPolygonLabels rasterizes the polygons of a vector file onto the
// grid's cells and returns each cell's class coverage. Polygons in another
// CRS are reprojected to the grid CRS. Each cell is sampled at the centres
// of Supersample x Supersample sub-cells (GDAL's rasterizer); where
// polygons overlap, the one read last wins.
func ReadPolygonLabels(ctx context.Context, path string, g *Grid, opts PolygonLabelOptions) (*LabelLayer, error) {
	godalInit()
	if opts.Field == "" {
		return nil, fmt.Errorf("read labels %s: class attribute missing: name the field that holds the class (such as TIPO)", path)
	}
	ds, err := godal.Open(path, godal.VectorOnly(), godal.ErrLogger(gdalFailures()))
	if err != nil {
		return nil, fmt.Errorf("read labels %s: %w", path, err)
	}
	defer ds.Close()

	layer, err := pickLayer(ds, opts.Layer)
	if err != nil {
		return nil, fmt.Errorf("read labels %s: %w", path, err)
	}
	polys, err := readLabelPolygons(ctx, layer, g, opts)
	if err != nil {
		return nil, fmt.Errorf("read labels %s: %w", path, err)
	}
	defer polys.close()

	labels := polys.newLayer(path, g, opts)
	if err := rasterizeLabelPolygons(ctx, polys, g, labels, opts.Mapping); err != nil {
		return nil, fmt.Errorf("read labels %s: %w", path, err)
	}
	return labels, nil
}

func pickLayer(ds *godal.Dataset, name string) (godal.Layer, error) {
	layers := ds.Layers()
	if len(layers) == 0 {
		return godal.Layer{}, fmt.Errorf("the file has no vector layers")
	}
	if name == "" {
		return layers[0], nil
	}
	var names []string
	for _, l := range layers {
		if l.Name() == name {
			return l, nil
		}
		names = append(names, l.Name())
	}
	return godal.Layer{}, fmt.Errorf("no layer %q; the file has %s", name, strings.Join(names, ", "))
}

// labelPolygons are a layer's polygons in the grid CRS with their class
// values.
type labelPolygons struct {
	geoms    []*godal.Geometry
	bounds   []Bounds
	values   []string // attribute value per geometry
	unmapped map[string]int
	skipped  int
}

func (p *labelPolygons) close() {
	for _, g := range p.geoms {
		g.Close()
	}
	p.geoms = nil
}

func readLabelPolygons(ctx context.Context, layer godal.Layer, g *Grid, opts PolygonLabelOptions) (*labelPolygons, error) {
	toGrid, err := layerToGrid(layer, g)
	if err != nil {
		return nil, err
	}
	defer toGrid.close()

	p := &labelPolygons{unmapped: map[string]int{}}
	layer.ResetReading()
	for n := 0; ; n++ {
		if n%256 == 0 && ctx.Err() != nil {
			p.close()
			return nil, ctx.Err()
		}
		f := layer.NextFeature()
		if f == nil {
			break
		}
		err := p.add(f, toGrid, opts)
		f.Close()
		if err != nil {
			p.close()
			return nil, err
		}
	}
	return p, nil
}

// add reprojects one feature's polygon and keeps it with its class value.
func (p *labelPolygons) add(f *godal.Feature, toGrid *layerTransform, opts PolygonLabelOptions) error {
	fld, ok := f.Fields()[opts.Field]
	if !ok {
		return fmt.Errorf("the layer has no attribute %q", opts.Field)
	}
	value := strings.TrimSpace(fld.String())
	if opts.Mapping != nil {
		if _, mapped := opts.Mapping[value]; !mapped {
			p.unmapped[value]++
			return nil
		}
	}

	geom, err := ownedGeometry(f.Geometry())
	if err != nil || geom == nil {
		p.skipped++
		return nil
	}
	if toGrid != nil {
		if err := geom.Transform(toGrid.t, godal.ErrLogger(gdalFailures())); err != nil {
			geom.Close()
			p.skipped++
			return nil
		}
	}
	b, err := geom.Bounds()
	if err != nil {
		geom.Close()
		p.skipped++
		return nil
	}

	p.geoms = append(p.geoms, geom)
	p.bounds = append(p.bounds, Bounds{MinX: b[0], MinY: b[1], MaxX: b[2], MaxY: b[3]})
	p.values = append(p.values, value)
	return nil
}

// ownedGeometry copies a feature's geometry through WKB, so that it
// outlives the feature. It returns nil for a missing or empty geometry.
func ownedGeometry(g *godal.Geometry) (*godal.Geometry, error) {
	if g == nil || g.Empty() {
		return nil, nil
	}
	wkb, err := g.WKB(godal.ErrLogger(gdalFailures()))
	if err != nil {
		return nil, err
	}
	return godal.NewGeometryFromWKB(wkb, g.SpatialRef(), godal.ErrLogger(gdalFailures()))
}

// layerTransform is a transformation from a layer CRS to the grid CRS,
// with the target CRS that godal's Geometry.Transform assigns to each
// geometry, which must therefore live as long as the transformation.
type layerTransform struct {
	t      *godal.Transform
	gridSR *godal.SpatialRef
}

func (lt *layerTransform) close() {
	if lt == nil {
		return
	}
	if lt.t != nil {
		lt.t.Close()
	}
	if lt.gridSR != nil {
		lt.gridSR.Close()
	}
}

// layerToGrid returns the transformation from the layer CRS to the grid
// CRS, or nil when they are the same.
func layerToGrid(layer godal.Layer, g *Grid) (*layerTransform, error) {
	layerSR := layer.SpatialRef()
	hasCRS := layerSR != nil && layerCRSDefined(layerSR)
	switch {
	case !hasCRS && g.CRS() == "":
		return nil, nil
	case !hasCRS:
		return nil, fmt.Errorf("the layer has no CRS, so it cannot be placed on the grid in %s; assign its CRS (for example with ogr2ogr -a_srs)", g.CRSName())
	case g.CRS() == "":
		return nil, fmt.Errorf("the layer has a CRS but the scene has none, so the two cannot be aligned")
	}

	gridSR, err := spatialRefFromWKT(g.CRS())
	if err != nil {
		return nil, err
	}
	if layerSR.IsSame(gridSR) {
		gridSR.Close()
		return nil, nil
	}
	t, err := godal.NewTransform(layerSR, gridSR, godal.ErrLogger(gdalFailures()))
	if err != nil {
		gridSR.Close()
		return nil, fmt.Errorf("transform layer CRS %s to grid CRS %s: %w", crsLabel(layerSR), g.CRSName(), err)
	}
	return &layerTransform{t: t, gridSR: gridSR}, nil
}

// layerCRSDefined reports whether a layer has a CRS. godal returns a
// SpatialRef with a null handle when it has none, which GDAL's C API
// rejects with an error rather than a crash.
func layerCRSDefined(sr *godal.SpatialRef) bool {
	wkt, err := sr.WKT(godal.ErrLogger(gdalFailures()))
	return err == nil && wkt != ""
}

// newLayer creates the label layer with its class list.
func (p *labelPolygons) newLayer(path string, g *Grid, opts PolygonLabelOptions) *LabelLayer {
	classes := opts.Classes
	if len(classes) == 0 {
		classes = distinctClasses(p.values, opts.Mapping)
	}
	s := opts.Supersample
	if s <= 0 {
		s = DefaultLabelSupersample
	}
	return &LabelLayer{
		Source: path, Classes: classes, Supersample: s,
		Features: len(p.geoms), Unmapped: p.unmapped, Skipped: p.skipped,
		rows: g.Rows(), cols: g.Cols(),
	}
}

func distinctClasses(values []string, mapping map[string]string) []string {
	seen := map[string]bool{}
	if mapping != nil {
		for _, c := range mapping {
			seen[c] = true
		}
	} else {
		for _, v := range values {
			seen[v] = true
		}
	}
	classes := make([]string, 0, len(seen))
	for c := range seen {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	return classes
}

// classIndex maps an attribute value to its class index, or labelNone.
func classIndex(value string, mapping map[string]string, classes []string) int {
	name := value
	if mapping != nil {
		name = mapping[value]
	}
	for i, c := range classes {
		if c == name {
			return i
		}
	}
	return labelNone
}

// rasterizeLabelPolygons burns the polygons into sub-cell rasters, one
// band of cell rows at a time, and counts the samples per cell and class.
func rasterizeLabelPolygons(ctx context.Context, p *labelPolygons, g *Grid, labels *LabelLayer, mapping map[string]string) error {
	classOf := make([]int, len(p.values))
	for i, v := range p.values {
		classOf[i] = classIndex(v, mapping, labels.Classes)
	}

	counter := newLabelCounter(g, labels)
	for r0 := 0; r0 < g.Rows(); r0 += counter.bandRows {
		if err := ctx.Err(); err != nil {
			return err
		}
		r1 := min(r0+counter.bandRows, g.Rows())
		samples, err := burnBand(p, classOf, g, r0, r1, labels.Supersample)
		if err != nil {
			return err
		}
		counter.add(samples, r0, r1)
	}
	counter.finish()
	return nil
}

// burnBand rasterizes the polygons over cell rows r0..r1-1 at s samples
// per cell edge and returns the class index of every sample (labelNone
// where no polygon covers it), row by row.
func burnBand(p *labelPolygons, classOf []int, g *Grid, r0, r1, s int) ([]int32, error) {
	width, height := g.Cols()*s, (r1-r0)*s
	mem, err := godal.Create(godal.Memory, "", 1, godal.UInt16, width, height, godal.ErrLogger(gdalFailures()))
	if err != nil {
		return nil, fmt.Errorf("create %dx%d label raster: %w", width, height, err)
	}
	defer mem.Close()

	ox, oy := g.Origin()
	step := g.CellSize() / float64(s)
	top := oy - float64(r0)*g.CellSize()
	if err := mem.SetGeoTransform([6]float64{ox, step, 0, top, 0, -step}, godal.ErrLogger(gdalFailures())); err != nil {
		return nil, fmt.Errorf("set label raster geotransform: %w", err)
	}

	extent := Bounds{MinX: ox, MaxX: ox + float64(g.Cols())*g.CellSize(), MinY: oy - float64(r1)*g.CellSize(), MaxY: top}
	for i, geom := range p.geoms {
		if classOf[i] == labelNone || extent.Intersect(p.bounds[i]).Empty() {
			continue
		}
		if err := mem.RasterizeGeometry(geom, godal.Values(float64(classOf[i]+1)), godal.ErrLogger(gdalFailures())); err != nil {
			return nil, fmt.Errorf("rasterize polygon %d: %w", i, err)
		}
	}

	buf := make([]uint16, width*height)
	if err := mem.Bands()[0].Read(0, 0, buf, width, height, godal.ErrLogger(gdalFailures())); err != nil {
		return nil, fmt.Errorf("read label raster: %w", err)
	}
	samples := make([]int32, len(buf))
	for i, v := range buf {
		samples[i] = int32(v) - 1
	}
	return samples, nil
}

// labelCounter sums sub-cell samples per cell and class.
type labelCounter struct {
	labels   *LabelLayer
	s        int
	bandRows int   // cell rows per band
	counts   []int // [cell*classes + class]
}

func newLabelCounter(g *Grid, labels *LabelLayer) *labelCounter {
	s := labels.Supersample
	rowPixels := g.Cols() * s * s
	bandRows := max(1, maxLabelBandPixels/max(1, rowPixels))
	return &labelCounter{
		labels: labels, s: s, bandRows: bandRows,
		counts: make([]int, g.Len()*len(labels.Classes)),
	}
}

// add counts a band of samples covering cell rows r0..r1-1; samples holds
// one class index (or labelNone) per sample, row by row.
func (c *labelCounter) add(samples []int32, r0, r1 int) {
	cols, s, k := c.labels.cols, c.s, len(c.labels.Classes)
	width := cols * s
	for y := 0; y < (r1-r0)*s; y++ {
		row := r0 + y/s
		for x := 0; x < width; x++ {
			class := samples[y*width+x]
			if class < 0 || int(class) >= k {
				continue
			}
			cell := row*cols + x/s
			c.counts[cell*k+int(class)]++
		}
	}
}

// finish turns the counts into fractions.
func (c *labelCounter) finish() {
	k := len(c.labels.Classes)
	total := float64(c.s * c.s)
	cells := make([]CellLabel, c.labels.rows*c.labels.cols)
	for i := range cells {
		fractions := make([]float64, k)
		covered := 0
		for j := 0; j < k; j++ {
			n := c.counts[i*k+j]
			covered += n
			fractions[j] = float64(n) / total
		}
		cells[i] = CellLabel{Fractions: fractions, Unlabelled: float64(c.s*c.s-covered) / total}
	}
	c.labels.cells = cells
}
