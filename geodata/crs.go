package geodata

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/airbusgeo/godal"
)

// CRSKind classifies a coordinate reference system.
type CRSKind string

// The kinds of CRS a raster can have.
const (
	CRSNone       CRSKind = "none"       // no CRS at all
	CRSGeographic CRSKind = "geographic" // longitude/latitude in angular units
	CRSProjected  CRSKind = "projected"  // easting/northing in linear units
	CRSLocal      CRSKind = "local"      // local or engineering CRS: no link to the Earth
	CRSOther      CRSKind = "other"      // geocentric, vertical or anything else
)

// CRS describes a coordinate reference system.
type CRS struct {
	Kind  CRSKind `json:"kind"`
	Name  string  `json:"name,omitempty"`
	EPSG  int     `json:"epsg,omitempty"`  // 0 when the CRS has no EPSG code
	Units string  `json:"units,omitempty"` // unit of the map axes, e.g. "metre", "degree"
	WKT   string  `json:"wkt,omitempty"`   // OGC WKT 1 as GDAL reports it
}

// IsLocal reports whether the CRS is a local (engineering) CRS, whose
// coordinates cannot be converted to longitude/latitude.
func (c CRS) IsLocal() bool { return c.Kind == CRSLocal }

// HasLonLat reports whether map coordinates in c can be converted to
// longitude/latitude.
func (c CRS) HasLonLat() bool {
	return c.Kind == CRSGeographic || c.Kind == CRSProjected || c.Kind == CRSOther
}

// String returns "EPSG:n" when there is a code, else the name, else the kind.
func (c CRS) String() string {
	switch {
	case c.EPSG != 0:
		return "EPSG:" + strconv.Itoa(c.EPSG)
	case c.Name != "":
		return c.Name
	}
	return string(c.Kind)
}

// ParseCRS describes a CRS given in any form GDAL's OSRSetFromUserInput
// accepts: "EPSG:32633", WKT 1 or 2, PROJJSON or a PROJ string. An empty
// string returns the CRSNone kind.
func ParseCRS(definition string) (CRS, error) {
	if strings.TrimSpace(definition) == "" {
		return CRS{Kind: CRSNone}, nil
	}
	call := &gdalCall{}
	sr, err := godal.NewSpatialRef(definition, call.option())
	if err != nil {
		return CRS{}, fmt.Errorf("parse CRS %q: %w", shorten(definition, 80), err)
	}
	defer sr.Close()
	wkt, err := sr.WKT(call.option())
	if err != nil {
		return CRS{}, fmt.Errorf("export CRS %q as WKT: %w", shorten(definition, 80), err)
	}
	return describeCRS(wkt), nil
}

// describeCRS builds a CRS from GDAL's WKT 1 string. A WKT that OSR cannot
// parse still yields its name and kind from the text.
func describeCRS(wkt string) CRS {
	wkt = strings.TrimSpace(wkt)
	if wkt == "" {
		return CRS{Kind: CRSNone}
	}
	root, name := wktRoot(wkt)
	crs := CRS{Kind: kindOfWKTRoot(root), Name: name, WKT: wkt}

	sr, err := godal.NewSpatialRefFromWKT(wkt, (&gdalCall{}).option())
	if err != nil {
		return crs
	}
	defer sr.Close()
	if crs.Kind == CRSOther {
		switch {
		case sr.Projected():
			crs.Kind = CRSProjected
		case sr.Geographic():
			crs.Kind = CRSGeographic
		}
	}
	crs.EPSG = epsgCode(sr)
	crs.Units = unitsOf(sr, root)
	return crs
}

// wktRoot returns the root keyword and the first quoted name of a WKT.
func wktRoot(wkt string) (root, name string) {
	open := strings.IndexAny(wkt, "[(")
	if open < 0 {
		return strings.ToUpper(wkt), ""
	}
	root = strings.ToUpper(strings.TrimSpace(wkt[:open]))
	rest := wkt[open+1:]
	if q := strings.IndexByte(rest, '"'); q >= 0 {
		if end := strings.IndexByte(rest[q+1:], '"'); end >= 0 {
			name = rest[q+1 : q+1+end]
		}
	}
	return root, name
}

func kindOfWKTRoot(root string) CRSKind {
	switch root {
	case "PROJCS", "PROJCRS", "PROJECTEDCRS":
		return CRSProjected
	case "GEOGCS", "GEOGCRS", "GEOGRAPHICCRS":
		return CRSGeographic
	case "LOCAL_CS", "ENGCRS", "ENGINEERINGCRS":
		return CRSLocal
	}
	return CRSOther
}

// epsgCode returns the EPSG code of sr's root, identifying it from the
// definition when the WKT carries no authority (OSRAutoIdentifyEPSG).
func epsgCode(sr *godal.SpatialRef) int {
	if strings.EqualFold(sr.AuthorityName(""), "EPSG") {
		if code, err := strconv.Atoi(sr.AuthorityCode("")); err == nil {
			return code
		}
	}
	if err := sr.AutoIdentifyEPSG(); err != nil {
		return 0
	}
	if strings.EqualFold(sr.AuthorityName(""), "EPSG") {
		if code, err := strconv.Atoi(sr.AuthorityCode("")); err == nil {
			return code
		}
	}
	return 0
}

func unitsOf(sr *godal.SpatialRef, root string) string {
	if unit, ok := sr.AttrValue(root+"|UNIT", 0); ok {
		return unit
	}
	return ""
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// CRSTransform converts coordinates between two CRSs with OSR (PROJ), in
// x,y (longitude,latitude) order for both. Calls are serialised by a
// mutex, because GDAL's coordinate transformations are not thread-safe.
type CRSTransform struct {
	mu     sync.Mutex
	tr     *godal.Transform
	toLonL bool // target is EPSG:4326: wrap longitudes into [-180,180]
}

// NewCRSTransform returns a transform from one CRS to another. Both must
// have a WKT and must not be local CRSs.
func NewCRSTransform(from, to CRS) (*CRSTransform, error) {
	for _, c := range []CRS{from, to} {
		if c.WKT == "" || c.IsLocal() {
			return nil, fmt.Errorf("transform %s to %s: %w (%s CRS)", from, to, ErrNoGeographicCRS, c.Kind)
		}
	}
	src, err := godal.NewSpatialRefFromWKT(from.WKT, (&gdalCall{}).option())
	if err != nil {
		return nil, fmt.Errorf("parse CRS %s: %w", from, err)
	}
	defer src.Close()
	dst, err := godal.NewSpatialRefFromWKT(to.WKT, (&gdalCall{}).option())
	if err != nil {
		return nil, fmt.Errorf("parse CRS %s: %w", to, err)
	}
	defer dst.Close()
	tr, err := godal.NewTransform(src, dst, (&gdalCall{}).option())
	if err != nil {
		return nil, fmt.Errorf("create transform %s to %s: %w", from, to, err)
	}
	return &CRSTransform{tr: tr, toLonL: to.Kind == CRSGeographic}, nil
}

// Transform converts one point.
func (t *CRSTransform) Transform(x, y float64) (float64, float64, error) {
	xs, ys := []float64{x}, []float64{y}
	if err := t.TransformPoints(xs, ys); err != nil {
		return 0, 0, err
	}
	return xs[0], ys[0], nil
}

// TransformPoints converts points in place. It fails when any point cannot
// be converted (outside the projection's domain); the points that could
// not be converted are set to NaN.
func (t *CRSTransform) TransformPoints(xs, ys []float64) error {
	if len(xs) != len(ys) {
		return fmt.Errorf("transform points: %d x values but %d y values", len(xs), len(ys))
	}
	if len(xs) == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tr == nil {
		return fmt.Errorf("transform points: %w", ErrClosed)
	}
	ok := make([]bool, len(xs))
	err := t.tr.TransformEx(xs, ys, nil, ok)
	failed := 0
	for i := range ok {
		if !ok[i] || math.IsInf(xs[i], 0) || math.IsInf(ys[i], 0) {
			xs[i], ys[i] = math.NaN(), math.NaN()
			failed++
		} else if t.toLonL {
			xs[i] = wrapLongitude(xs[i])
		}
	}
	if failed > 0 || err != nil {
		return fmt.Errorf("transform points: %d of %d points are outside the CRS's domain: %w", failed, len(xs), errors.Join(err, errOutsideDomain))
	}
	return nil
}

var errOutsideDomain = errors.New("coordinate transformation failed")

// Close releases the transform. It is safe to call more than once.
func (t *CRSTransform) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tr != nil {
		t.tr.Close()
		t.tr = nil
	}
	return nil
}

// wrapLongitude maps a longitude into [-180, 180).
func wrapLongitude(lon float64) float64 {
	if lon >= -180 && lon < 180 {
		return lon
	}
	return math.Mod(math.Mod(lon+180, 360)+360, 360) - 180
}

var (
	wgs84Once sync.Once
	wgs84CRS  CRS
	wgs84Err  error
)

// WGS84 returns the geographic CRS of longitude/latitude (EPSG:4326), read
// once from the PROJ database.
func WGS84() (CRS, error) {
	wgs84Once.Do(func() {
		godalInit()
		wgs84CRS, wgs84Err = ParseCRS("EPSG:4326")
	})
	return wgs84CRS, wgs84Err
}
