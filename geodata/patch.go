package geodata

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"

	"github.com/airbusgeo/godal"
)

// maxPatchSize bounds the patch edge in pixels.
const maxPatchSize = 4096

// PatchSpec is the overhead input a model expects. It mirrors the
// encoder's manifest: patch_size, ground_resolution_m and normalization.
type PatchSpec struct {
	Size int // pixels along each edge
	// GroundResolutionM is the ground size of one patch pixel in metres.
	// Zero makes the patch cover exactly its cell (cell size / Size).
	GroundResolutionM float64
	// Mean and Std normalise 8-bit channel values v as
	// (v/255 - Mean[c]) / Std[c], one entry per channel (R, G, B). Empty
	// means v/255.
	Mean, Std []float32
}

// Validate checks the spec's fields.
func (s PatchSpec) Validate() error {
	if s.Size <= 0 || s.Size > maxPatchSize {
		return fmt.Errorf("patch size %d px is invalid: expected 1 to %d", s.Size, maxPatchSize)
	}
	if s.GroundResolutionM < 0 || math.IsNaN(s.GroundResolutionM) || math.IsInf(s.GroundResolutionM, 0) {
		return fmt.Errorf("patch ground resolution %v m is invalid: expected a positive number of metres per pixel, or 0 to cover the cell", s.GroundResolutionM)
	}
	if len(s.Mean) != len(s.Std) || (len(s.Mean) != 0 && len(s.Mean) != 3) {
		return fmt.Errorf("patch normalisation has %d means and %d standard deviations: expected 3 of each (R, G, B) or none", len(s.Mean), len(s.Std))
	}
	for _, v := range s.Std {
		if v == 0 || v != v {
			return fmt.Errorf("patch normalisation standard deviation %v is invalid: expected a non-zero number", v)
		}
	}
	return nil
}

// Patch is the overhead image of one cell, resampled to a model's input.
type Patch struct {
	Cell   Cell
	CellID string
	Size   int // pixels along each edge
	// RGB holds Size*Size pixels, row by row from the north, 3 bytes each,
	// coloured as the map shows the scene (same bands and stretch).
	// Invalid pixels are 0.
	RGB []uint8
	// Valid is false for pixels with no data: outside the scene, nodata,
	// masked or transparent.
	Valid []bool
	// NoDataFraction is the share of invalid pixels, 0..1.
	NoDataFraction float64
	// Edge is true when the patch reaches beyond the scene footprint.
	Edge bool
	// Footprint is the ground the patch covers, in the grid CRS.
	Footprint Bounds
}

// CHW returns the patch as float32 channels-first (3 x Size x Size),
// normalised with spec's Mean and Std. Invalid pixels become 0 in every
// channel, the normalised value of the channel mean.
func (p *Patch) CHW(spec PatchSpec) []float32 {
	return p.AppendCHW(nil, spec)
}

// AppendCHW appends the CHW tensor of the patch to dst, for building a
// batch (N x 3 x Size x Size) without copies.
func (p *Patch) AppendCHW(dst []float32, spec PatchSpec) []float32 {
	n := p.Size * p.Size
	start := len(dst)
	dst = append(dst, make([]float32, 3*n)...)
	out := dst[start:]
	for c := 0; c < 3; c++ {
		mean, std := float32(0), float32(1)
		if len(spec.Mean) == 3 {
			mean, std = spec.Mean[c], spec.Std[c]
		}
		plane := out[c*n : (c+1)*n]
		for i := 0; i < n; i++ {
			if !p.Valid[i] {
				continue
			}
			plane[i] = (float32(p.RGB[i*3+c])/255 - mean) / std
		}
	}
	return dst
}

// PatchReader cuts per-cell patches out of a dataset. It owns a GDAL
// handle on the dataset's file, separate from the dataset's pool, and
// serialises its reads with a mutex. Close it when done.
type PatchReader struct {
	mu     sync.Mutex
	grid   *Grid
	spec   PatchSpec
	style  Style
	h      *handle
	src    *godal.Dataset // VRT of the style bands, mask from the alpha band
	resamp string
	path   string
}

// NewPatchReader prepares patches of ds on grid g. The bands, stretch and
// palette come from style, which should be the style of the map layer
// (Layer.Style), so that models see the scene as the user does.
func NewPatchReader(ds *Dataset, g *Grid, spec PatchSpec, style Style) (*PatchReader, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if err := checkPatchStyle(ds.Info(), style); err != nil {
		return nil, fmt.Errorf("patches of %s: %w", ds.Path(), err)
	}
	h, err := ds.opener()
	if err != nil {
		return nil, err
	}
	r := &PatchReader{grid: g, spec: spec, style: style, h: h, path: ds.Path()}
	if err := r.prepareSource(ds.Info()); err != nil {
		r.Close()
		return nil, fmt.Errorf("patches of %s: %w", ds.Path(), err)
	}
	r.resamp = r.chooseResampling(ds.Info())
	return r, nil
}

// DefaultPatchStyle returns the style the map layer of ds gets by default
// (DefaultBands and the 2-98 % stretch), for callers without a layer.
func DefaultPatchStyle(ds *Dataset) (Style, error) {
	l, err := NewLayer(ds, LayerOptions{Cache: NewTileCache(1)})
	if err != nil {
		return Style{}, err
	}
	defer l.Close()
	return l.Style(), nil
}

func checkPatchStyle(info Info, style Style) error {
	switch {
	case style.Mode == ModeRGB && len(style.Bands) == 3 && len(style.Ranges) == 3:
	case style.Mode == ModeGrey && len(style.Bands) == 1 && len(style.Ranges) == 1:
	case style.Mode == ModePalette && len(style.Bands) == 1 && len(style.Palette) > 0:
	default:
		return fmt.Errorf("style %s with bands %v and %d ranges cannot colour a patch; use the map layer's Style", style.Mode, style.Bands, len(style.Ranges))
	}
	for _, b := range style.Bands {
		if b < 1 || b > len(info.Bands) {
			return fmt.Errorf("style band %d does not exist (bands 1 to %d)", b, len(info.Bands))
		}
	}
	return nil
}

// prepareSource builds an in-memory VRT with the style bands, the
// dataset's alpha band as its mask, and the geotransform Info reports (so
// rasters without georeferencing use the same pixel grid as the map).
func (r *PatchReader) prepareSource(info Info) error {
	switches := []string{"-of", "VRT"}
	for _, b := range r.style.Bands {
		switches = append(switches, "-b", strconv.Itoa(b))
	}
	if a := info.AlphaBand(); a > 0 {
		switches = append(switches, "-mask", strconv.Itoa(a))
	}
	vrt, err := r.h.ds.Translate("", switches, godal.ErrLogger(gdalFailures()))
	if err != nil {
		return fmt.Errorf("select bands %v: %w", r.style.Bands, err)
	}
	r.src = vrt
	if info.Georef == GeorefNone {
		if err := vrt.SetGeoTransform(info.GeoTransform, godal.ErrLogger(gdalFailures())); err != nil {
			return fmt.Errorf("set pixel-grid geotransform: %w", err)
		}
	}
	return nil
}

// chooseResampling averages when a patch pixel covers two or more scene
// pixels, interpolates bilinearly otherwise, and keeps palette indices
// with nearest neighbour.
func (r *PatchReader) chooseResampling(info Info) string {
	if r.style.Mode == ModePalette {
		return "near"
	}
	scenePixel := r.grid.scenePixelSize(info)
	if scenePixel > 0 && r.patchResolution() >= 2*scenePixel {
		return "average"
	}
	return "bilinear"
}

// patchResolution returns the patch pixel size in grid CRS units.
func (r *PatchReader) patchResolution() float64 {
	if r.spec.GroundResolutionM == 0 {
		return r.grid.CellSize() / float64(r.spec.Size)
	}
	return r.spec.GroundResolutionM * r.grid.CellSize() / r.grid.CellSizeM()
}

// scenePixelSize returns the scene's pixel size in grid CRS units at the
// scene centre, or 0 when it cannot be measured.
func (g *Grid) scenePixelSize(info Info) float64 {
	gt := info.GeoTransform
	cx, cy := float64(info.Width)/2, float64(info.Height)/2
	x0, y0 := gt.PixelToMap(cx, cy)
	x1, y1 := gt.PixelToMap(cx+1, cy)
	xs, ys := []float64{x0, x1}, []float64{y0, y1}
	if g.toGrid.apply(xs, ys) != nil {
		return 0
	}
	return math.Hypot(xs[1]-xs[0], ys[1]-ys[0])
}

// Close releases the reader's GDAL handles. It is safe to call more than
// once.
func (r *PatchReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	if r.src != nil {
		errs = append(errs, r.src.Close(godal.ErrLogger(gdalFailures())))
		r.src = nil
	}
	if r.h != nil {
		errs = append(errs, r.h.close())
		r.h = nil
	}
	return errors.Join(errs...)
}

// Spec returns the reader's patch spec.
func (r *PatchReader) Spec() PatchSpec { return r.spec }

// Footprint returns the ground a cell's patch covers in the grid CRS: a
// square of Size pixels at the spec's resolution, centred on the cell.
func (r *PatchReader) Footprint(c Cell) Bounds {
	cx, cy := r.grid.CellCentre(c)
	half := r.patchResolution() * float64(r.spec.Size) / 2
	return Bounds{MinX: cx - half, MinY: cy - half, MaxX: cx + half, MaxY: cy + half}
}

// Read returns the patch of cell c: the footprint warped from the scene
// into the grid CRS with GDAL, coloured with the style, and its mask.
func (r *PatchReader) Read(c Cell) (*Patch, error) {
	if !r.grid.Contains(c) {
		return nil, fmt.Errorf("patch: cell %+v is outside the %d x %d grid", c, r.grid.Rows(), r.grid.Cols())
	}
	fp := r.Footprint(c)
	values, alpha, err := r.warp(fp)
	if err != nil {
		return nil, fmt.Errorf("patch of cell %s from %s: %w", r.grid.ID(c), r.path, err)
	}

	p := &Patch{
		Cell: c, CellID: r.grid.ID(c), Size: r.spec.Size, Footprint: fp,
		Edge: !r.grid.InsideScene(fp),
	}
	r.colour(p, values, alpha)
	return p, nil
}

// warp resamples the footprint to Size x Size pixels and returns the band
// values (band after band) and the destination alpha (0 = no data).
func (r *PatchReader) warp(fp Bounds) ([]float32, []uint8, error) {
	n := r.spec.Size
	switches := []string{
		"-of", "MEM", "-ot", "Float32", "-r", r.resamp, "-dstalpha",
		"-te", ftoa(fp.MinX), ftoa(fp.MinY), ftoa(fp.MaxX), ftoa(fp.MaxY),
		"-ts", strconv.Itoa(n), strconv.Itoa(n),
	}
	if r.grid.CRS() != "" {
		switches = append(switches, "-t_srs", r.grid.CRS())
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.src == nil {
		return nil, nil, ErrClosed
	}
	out, err := r.src.Warp("", switches, godal.ErrLogger(gdalFailures()))
	if err != nil {
		return nil, nil, fmt.Errorf("warp: %w", err)
	}
	defer out.Close()

	bands := out.Bands()
	nb := len(r.style.Bands)
	values := make([]float32, nb*n*n)
	for i := 0; i < nb; i++ {
		if err := bands[i].Read(0, 0, values[i*n*n:(i+1)*n*n], n, n, godal.ErrLogger(gdalFailures())); err != nil {
			return nil, nil, fmt.Errorf("read warped band %d: %w", i+1, err)
		}
	}
	alpha := make([]uint8, n*n)
	if err := bands[nb].Read(0, 0, alpha, n, n, godal.ErrLogger(gdalFailures())); err != nil {
		return nil, nil, fmt.Errorf("read warped alpha: %w", err)
	}
	return values, alpha, nil
}

// colour fills the patch's RGB and mask from warped values.
func (r *PatchReader) colour(p *Patch, values []float32, alpha []uint8) {
	n := p.Size * p.Size
	p.RGB = make([]uint8, 3*n)
	p.Valid = make([]bool, n)
	invalid := 0
	for i := 0; i < n; i++ {
		rgb, ok := r.pixel(values, n, i)
		if alpha[i] == 0 || !ok {
			invalid++
			continue
		}
		p.Valid[i] = true
		copy(p.RGB[i*3:i*3+3], rgb[:])
	}
	p.NoDataFraction = float64(invalid) / float64(n)
}

// pixel colours pixel i with the style. It returns false for a value
// without a colour: a NaN, or a palette index outside the table.
func (r *PatchReader) pixel(values []float32, n, i int) ([3]uint8, bool) {
	s := r.style
	switch s.Mode {
	case ModeRGB:
		var rgb [3]uint8
		for c := 0; c < 3; c++ {
			v := values[c*n+i]
			if v != v {
				return rgb, false
			}
			rgb[c] = stretchValue(v, s.Ranges[c])
		}
		return rgb, true
	case ModeGrey:
		v := values[i]
		if v != v {
			return [3]uint8{}, false
		}
		g := stretchValue(v, s.Ranges[0])
		return [3]uint8{g, g, g}, true
	}
	idx := int(values[i])
	if values[i] != values[i] || idx < 0 || idx >= len(s.Palette) || s.Palette[idx].A == 0 {
		return [3]uint8{}, false
	}
	col := s.Palette[idx]
	return [3]uint8{col.R, col.G, col.B}, true
}
