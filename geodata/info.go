package geodata

import (
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/airbusgeo/godal"
)

// Georef is the source of a raster's placement on the map.
type Georef string

// The ways a raster can be georeferenced.
const (
	// GeorefGeoTransform: the file has an affine geotransform (north-up,
	// south-up, rotated or sheared).
	GeorefGeoTransform Georef = "geotransform"
	// GeorefGCPs: the file has only ground control points. It is displayed
	// through their least-squares affine fit.
	GeorefGCPs Georef = "gcps"
	// GeorefNone: the file has neither. It is displayed in its own pixel
	// grid (PixelGridTransform) with no CRS.
	GeorefNone Georef = "none"
)

// Info describes a raster as GDAL reads it.
type Info struct {
	Path           string `json:"path"`
	Driver         string `json:"driver"` // GDAL short name, e.g. "GTiff"
	DriverLongName string `json:"driver_long_name"`
	Width          int    `json:"width"`  // pixels
	Height         int    `json:"height"` // pixels

	Bands []BandInfo `json:"bands"`

	Georef Georef `json:"georeferencing"`
	// GeoTransform maps pixel to map coordinates for display: the file's
	// own for GeorefGeoTransform, the GCP fit for GeorefGCPs and
	// PixelGridTransform for GeorefNone.
	GeoTransform GeoTransform `json:"geotransform"`
	// CRS of the map coordinates. Kind is CRSNone for GeorefNone, even when
	// the file declares a CRS without any way to place the pixels.
	CRS CRS `json:"crs"`
	// GCPs as stored in the file (pixel/line and map x,y in the GCP CRS).
	GCPs []GCP `json:"gcps,omitempty"`
	// GCPFitMaxResidual is the largest distance, in pixels, between a GCP
	// and where the affine fit puts it. Zero unless Georef is GeorefGCPs.
	GCPFitMaxResidual float64 `json:"gcp_fit_max_residual_pixels,omitempty"`
	// AreaOrPoint is the file's AREA_OR_POINT metadata ("Area", "Point" or
	// empty). GDAL already accounts for it in the geotransform.
	AreaOrPoint string `json:"area_or_point,omitempty"`
	// Extent is the map-coordinate box around the whole raster.
	Extent Bounds `json:"extent"`
	// LonLatExtent is the longitude/latitude box around the raster, nil when
	// the CRS has no geographic meaning. MinX > MaxX means the box crosses
	// the antimeridian (as in RFC 7946 bounding boxes).
	LonLatExtent *Bounds `json:"lonlat_extent,omitempty"`

	MetadataDomains []string `json:"metadata_domains,omitempty"`
	// Notes explain how the raster will be shown when that is not obvious
	// (no georeferencing, GCP fit, local CRS).
	Notes []string `json:"notes,omitempty"`
	// Warnings are GDAL's warnings while opening and describing the file.
	Warnings []string `json:"warnings,omitempty"`
}

// GCP is one ground control point: a pixel position and its map position
// in the GCP CRS.
type GCP struct {
	ID    string  `json:"id,omitempty"`
	Col   float64 `json:"col"`
	Row   float64 `json:"row"`
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	Z     float64 `json:"z,omitempty"`
	Label string  `json:"label,omitempty"`
}

// BandInfo describes one band.
type BandInfo struct {
	Number      int    `json:"number"`    // 1-based, as in GDAL
	DataType    string `json:"data_type"` // GDAL name: "Byte", "UInt16", "Float32", ...
	ColorInterp string `json:"color_interp"`
	Description string `json:"description,omitempty"`
	NoData      NoData `json:"nodata"`
	// MaskFlags are GDAL's mask flags for this band (RFC 15).
	MaskFlags   MaskFlags `json:"mask_flags"`
	BlockWidth  int       `json:"block_width"`
	BlockHeight int       `json:"block_height"`
	Overviews   []Size    `json:"overviews,omitempty"`
	Scale       float64   `json:"scale"`
	Offset      float64   `json:"offset"`
	// ColorTable is the band's palette, RGBA not premultiplied, empty when
	// the band has none. Grey, CMYK and HLS tables are converted to RGB.
	ColorTable []color.NRGBA `json:"-"`
	// ColorTableEntries is len(ColorTable), for JSON output.
	ColorTableEntries int `json:"color_table_entries,omitempty"`

	dataType    godal.DataType
	colorInterp godal.ColorInterp
}

// Size is a width and height in pixels.
type Size struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// IsAlpha reports whether GDAL marks the band as alpha (transparency).
func (b BandInfo) IsAlpha() bool { return b.colorInterp == godal.CIAlpha }

// IsPalette reports whether the band's values index its colour table.
func (b BandInfo) IsPalette() bool {
	return b.colorInterp == godal.CIPalette && len(b.ColorTable) > 0
}

// IsComplex reports whether the band holds complex numbers.
func (b BandInfo) IsComplex() bool {
	switch b.dataType {
	case godal.CInt16, godal.CInt32, godal.CFloat32, godal.CFloat64:
		return true
	}
	return false
}

// NoData is a band's nodata value. Set is false when the band has none.
type NoData struct {
	Set   bool
	Value float64
}

// MarshalJSON writes null, a number, or "nan", "inf", "-inf", which JSON
// numbers cannot hold.
func (n NoData) MarshalJSON() ([]byte, error) {
	switch {
	case !n.Set:
		return []byte("null"), nil
	case math.IsNaN(n.Value):
		return []byte(`"nan"`), nil
	case math.IsInf(n.Value, 1):
		return []byte(`"inf"`), nil
	case math.IsInf(n.Value, -1):
		return []byte(`"-inf"`), nil
	}
	return json.Marshal(n.Value)
}

// String returns "none" or the value in Go's shortest form.
func (n NoData) String() string {
	if !n.Set {
		return "none"
	}
	return strconv.FormatFloat(n.Value, 'g', -1, 64)
}

// MaskFlags are GDAL's band mask flags (GMF_*).
type MaskFlags int

// GDAL's mask flags, as in gdal.h.
const (
	MaskAllValid   MaskFlags = 0x01 // no mask: every pixel is valid
	MaskPerDataset MaskFlags = 0x02 // one mask shared by all bands
	MaskAlpha      MaskFlags = 0x04 // the mask comes from an alpha band
	MaskNoData     MaskFlags = 0x08 // the mask comes from the nodata value
)

// Names returns the set flags as GDAL's gdalinfo prints them.
func (m MaskFlags) Names() []string {
	names := []string{}
	for _, f := range []struct {
		flag MaskFlags
		name string
	}{{MaskAllValid, "ALL_VALID"}, {MaskPerDataset, "PER_DATASET"}, {MaskAlpha, "ALPHA"}, {MaskNoData, "NODATA"}} {
		if m&f.flag != 0 {
			names = append(names, f.name)
		}
	}
	return names
}

// String joins Names with commas.
func (m MaskFlags) String() string { return strings.Join(m.Names(), ",") }

// MarshalJSON writes the flag names as a list.
func (m MaskFlags) MarshalJSON() ([]byte, error) { return json.Marshal(m.Names()) }

// Rotated reports whether the raster's geotransform rotates or shears it.
func (i Info) Rotated() bool { return i.GeoTransform.IsRotated() }

// SouthUp reports whether the raster's first row is its southern edge.
func (i Info) SouthUp() bool { return i.GeoTransform.IsSouthUp() }

// AlphaBand returns the number of the first band marked alpha, or 0.
func (i Info) AlphaBand() int {
	for _, b := range i.Bands {
		if b.IsAlpha() {
			return b.Number
		}
	}
	return 0
}

// readInfo describes the dataset h opened from path.
func readInfo(path string, h *godal.Dataset) (Info, error) {
	call := &gdalCall{}
	st := h.Structure()
	info := Info{
		Path:           path,
		Driver:         h.Driver().ShortName(),
		DriverLongName: h.Driver().LongName(),
		Width:          st.SizeX,
		Height:         st.SizeY,
		AreaOrPoint:    h.Metadata("AREA_OR_POINT"),
	}
	if st.NBands == 0 {
		return Info{}, fmt.Errorf("open raster %s: %w", path, ErrNoBands)
	}
	if st.SizeX <= 0 || st.SizeY <= 0 {
		return Info{}, fmt.Errorf("open raster %s: %w: size %dx%d", path, ErrCorrupt, st.SizeX, st.SizeY)
	}
	for i, band := range h.Bands() {
		info.Bands = append(info.Bands, readBandInfo(i+1, band))
	}
	info.MetadataDomains = h.MetadataDomains()
	readGeoreferencing(&info, h, call)
	info.Extent = info.GeoTransform.PixelBounds(0, 0, float64(info.Width), float64(info.Height))
	info.LonLatExtent = lonLatExtent(info)
	info.Warnings = append(info.Warnings, call.warnings...)
	info.Warnings = append(info.Warnings, TakeGDALMessages()...)
	return info, nil
}

func readBandInfo(number int, band godal.Band) BandInfo {
	st := band.Structure()
	bi := BandInfo{
		Number:      number,
		DataType:    st.DataType.String(),
		ColorInterp: band.ColorInterp().Name(),
		Description: band.Description(),
		MaskFlags:   MaskFlags(band.MaskFlags()),
		BlockWidth:  st.BlockSizeX,
		BlockHeight: st.BlockSizeY,
		Scale:       st.Scale,
		Offset:      st.Offset,
		dataType:    st.DataType,
		colorInterp: band.ColorInterp(),
	}
	if v, ok := band.NoData(); ok {
		bi.NoData = NoData{Set: true, Value: v}
	}
	for _, ovr := range band.Overviews() {
		os := ovr.Structure()
		bi.Overviews = append(bi.Overviews, Size{Width: os.SizeX, Height: os.SizeY})
	}
	bi.ColorTable = paletteColors(band.ColorTable())
	bi.ColorTableEntries = len(bi.ColorTable)
	return bi
}

// paletteColors converts a GDAL colour table to RGBA colours.
func paletteColors(ct godal.ColorTable) []color.NRGBA {
	if len(ct.Entries) == 0 {
		return nil
	}
	out := make([]color.NRGBA, len(ct.Entries))
	for i, e := range ct.Entries {
		out[i] = paletteEntryColor(ct.PaletteInterp, e)
	}
	return out
}

func paletteEntryColor(interp godal.PaletteInterp, e [4]int16) color.NRGBA {
	c := func(v int16) uint8 { return uint8(max(0, min(255, int(v)))) }
	switch interp {
	case godal.GrayscalePalette:
		return color.NRGBA{c(e[0]), c(e[0]), c(e[0]), 255}
	case godal.CMYKPalette:
		k := 255 - int(c(e[3]))
		return color.NRGBA{uint8((255 - int(c(e[0]))) * k / 255), uint8((255 - int(c(e[1]))) * k / 255), uint8((255 - int(c(e[2]))) * k / 255), 255}
	case godal.HLSPalette:
		r, g, b := hlsToRGB(float64(c(e[0]))/255, float64(c(e[1]))/255, float64(c(e[2]))/255)
		return color.NRGBA{r, g, b, 255}
	}
	return color.NRGBA{c(e[0]), c(e[1]), c(e[2]), c(e[3])}
}

func hlsToRGB(h, l, s float64) (uint8, uint8, uint8) {
	if s == 0 {
		v := uint8(math.Round(l * 255))
		return v, v, v
	}
	q := l * (1 + s)
	if l >= 0.5 {
		q = l + s - l*s
	}
	p := 2*l - q
	channel := func(t float64) uint8 {
		t = t - math.Floor(t)
		var v float64
		switch {
		case t < 1.0/6:
			v = p + (q-p)*6*t
		case t < 0.5:
			v = q
		case t < 2.0/3:
			v = p + (q-p)*(2.0/3-t)*6
		default:
			v = p
		}
		return uint8(math.Round(v * 255))
	}
	return channel(h + 1.0/3), channel(h), channel(h - 1.0/3)
}

// readGeoreferencing fills Georef, GeoTransform, CRS, GCPs and Notes.
func readGeoreferencing(info *Info, h *godal.Dataset, call *gdalCall) {
	declared := describeCRS(h.Projection())
	gt, err := h.GeoTransform(call.option())
	if err == nil && (GeoTransform(gt) != GeoTransform{0, 1, 0, 0, 0, 1} || declared.Kind != CRSNone) && GeoTransform(gt).Invertible() {
		info.Georef = GeorefGeoTransform
		info.GeoTransform = GeoTransform(gt)
		info.CRS = declared
		noteCRS(info)
		return
	}
	if fitGCPs(info, h) {
		noteCRS(info)
		return
	}
	info.Georef = GeorefNone
	info.GeoTransform = PixelGridTransform
	info.CRS = CRS{Kind: CRSNone}
	note := "no georeferencing: shown in pixel coordinates (x = column, y = -row), with no CRS"
	if declared.Kind != CRSNone {
		note += fmt.Sprintf("; the file declares the CRS %s but no geotransform or GCPs to place the pixels", declared)
	}
	info.Notes = append(info.Notes, note)
}

// fitGCPs fits an affine transform to the dataset's GCPs. It returns false
// when there are fewer than three GCPs or they are degenerate.
func fitGCPs(info *Info, h *godal.Dataset) bool {
	raw := h.GCPs()
	if len(raw) == 0 {
		return false
	}
	for _, g := range raw {
		info.GCPs = append(info.GCPs, GCP{ID: g.PszId, Label: g.PszInfo, Col: g.DfGCPPixel, Row: g.DfGCPLine, X: g.DfGCPX, Y: g.DfGCPY, Z: g.DfGCPZ})
	}
	if len(raw) < 3 {
		info.Notes = append(info.Notes, fmt.Sprintf("%d GCPs are too few to place the raster (3 needed)", len(raw)))
		return false
	}
	gt, err := godal.GCPsToGeoTransform(raw, (&gdalCall{}).option())
	if err != nil || !GeoTransform(gt).Invertible() {
		info.Notes = append(info.Notes, "the GCPs are collinear or duplicated, so no affine fit exists")
		return false
	}
	info.Georef = GeorefGCPs
	info.GeoTransform = GeoTransform(gt)
	info.CRS = describeCRS(h.GCPProjection())
	info.GCPFitMaxResidual = gcpResidual(info.GeoTransform, info.GCPs)
	info.Notes = append(info.Notes, fmt.Sprintf(
		"georeferenced by %d GCPs only: shown through their affine fit (largest residual %.3g pixels)",
		len(info.GCPs), info.GCPFitMaxResidual))
	return true
}

func gcpResidual(gt GeoTransform, gcps []GCP) float64 {
	worst := 0.0
	for _, g := range gcps {
		col, row, err := gt.MapToPixel(g.X, g.Y)
		if err != nil {
			return math.Inf(1)
		}
		worst = math.Max(worst, math.Hypot(col-g.Col, row-g.Row))
	}
	return worst
}

func noteCRS(info *Info) {
	switch info.CRS.Kind {
	case CRSNone:
		info.Notes = append(info.Notes, "placed by a geotransform but no CRS: shown in its own map units, with no longitude/latitude")
	case CRSLocal:
		info.Notes = append(info.Notes, fmt.Sprintf("local CRS %q: shown in its own coordinates, with no longitude/latitude", info.CRS.Name))
	}
}

// lonLatExtent transforms the raster's outline, 32 points per edge, to
// WGS 84. Longitudes are unwrapped along the outline, so a raster across
// the antimeridian yields MinX > MaxX.
func lonLatExtent(info Info) *Bounds {
	if !info.CRS.HasLonLat() {
		return nil
	}
	wgs, err := WGS84()
	if err != nil {
		return nil
	}
	tr, err := NewCRSTransform(info.CRS, wgs)
	if err != nil {
		return nil
	}
	defer tr.Close()
	xs, ys := outline(info, 32)
	if err := tr.TransformPoints(xs, ys); err != nil {
		return nil
	}
	unwrapLonSequence(xs)
	b := boundsOf(xs, ys)
	if b.MaxX-b.MinX >= 360 {
		b.MinX, b.MaxX = -180, 180
	} else {
		b.MinX, b.MaxX = wrapLongitude(b.MinX), wrapLongitude(b.MaxX)
		if b.MaxX == -180 {
			b.MaxX = 180
		}
	}
	return &b
}

// outline returns map coordinates of points along the raster's edges.
func outline(info Info, perEdge int) (xs, ys []float64) {
	w, h := float64(info.Width), float64(info.Height)
	add := func(col, row float64) {
		x, y := info.GeoTransform.PixelToMap(col, row)
		xs = append(xs, x)
		ys = append(ys, y)
	}
	step := func(i int) float64 { return float64(i) / float64(perEdge) }
	for i := 0; i < perEdge; i++ {
		add(step(i)*w, 0)
	}
	for i := 0; i < perEdge; i++ {
		add(w, step(i)*h)
	}
	for i := 0; i < perEdge; i++ {
		add(w-step(i)*w, h)
	}
	for i := 0; i < perEdge; i++ {
		add(0, h-step(i)*h)
	}
	return xs, ys
}

// unwrapLonSequence removes jumps of more than 180 degrees between
// consecutive points, so a ring across the antimeridian stays continuous.
func unwrapLonSequence(lons []float64) {
	for i := 1; i < len(lons); i++ {
		for lons[i]-lons[i-1] > 180 {
			lons[i] -= 360
		}
		for lons[i]-lons[i-1] < -180 {
			lons[i] += 360
		}
	}
}
