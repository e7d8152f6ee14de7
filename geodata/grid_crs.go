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

// wgs84EPSG is the EPSG code of WGS 84 longitude/latitude. godal creates
// every spatial reference with the traditional GIS axis order, so points in
// it are always longitude, latitude.
const wgs84EPSG = 4326

// gridReprojector converts x,y coordinates from one CRS to another. A nil
// *gridReprojector is the identity. It is safe for concurrent use because
// GDAL's coordinate transformations are not.
type gridReprojector struct {
	mu sync.Mutex
	t  *godal.Transform
}

func newGridReprojector(src, dst *godal.SpatialRef) (*gridReprojector, error) {
	var call gdalCall
	t, err := godal.NewTransform(src, dst, call.option())
	if err != nil {
		return nil, fmt.Errorf("create coordinate transformation: %w", err)
	}
	return &gridReprojector{t: t}, nil
}

// errPointNotTransformed means a point has no position in the target CRS,
// for example a point on the far side of the globe for a UTM zone.
var errPointNotTransformed = errors.New("point cannot be transformed to the target CRS")

// apply transforms xs, ys in place. It fails when any point fails.
func (r *gridReprojector) apply(xs, ys []float64) error {
	if r == nil || len(xs) == 0 {
		return nil
	}
	ok := make([]bool, len(xs))

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.t == nil {
		return errors.New("coordinate transformation is closed")
	}
	_ = r.t.TransformEx(xs, ys, nil, ok)

	for i := range ok {
		if !ok[i] || math.IsNaN(xs[i]) || math.IsInf(xs[i], 0) || math.IsNaN(ys[i]) || math.IsInf(ys[i], 0) {
			return errPointNotTransformed
		}
	}
	return nil
}

// applyEach transforms xs, ys in place and reports per point whether it
// succeeded; failed points keep unspecified values.
func (r *gridReprojector) applyEach(xs, ys []float64) []bool {
	ok := make([]bool, len(xs))
	if r == nil {
		for i := range ok {
			ok[i] = true
		}
		return ok
	}
	if len(xs) == 0 {
		return ok
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.t == nil {
		return ok
	}
	_ = r.t.TransformEx(xs, ys, nil, ok)
	for i := range ok {
		if math.IsNaN(xs[i]) || math.IsInf(xs[i], 0) || math.IsNaN(ys[i]) || math.IsInf(ys[i], 0) {
			ok[i] = false
		}
	}
	return ok
}

func (r *gridReprojector) close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.t != nil {
		r.t.Close()
		r.t = nil
	}
}

// spatialRefFromWKT parses a CRS given as WKT (or any string GDAL's
// OSRSetFromUserInput accepts, such as "EPSG:31985").
func spatialRefFromWKT(wkt string) (*godal.SpatialRef, error) {
	var call gdalCall
	sr, err := godal.NewSpatialRef(wkt, call.option())
	if err != nil {
		return nil, fmt.Errorf("parse CRS %q: %w", shortenCRS(wkt), err)
	}
	return sr, nil
}

func spatialRefFromEPSG(code int) (*godal.SpatialRef, error) {
	var call gdalCall
	sr, err := godal.NewSpatialRefFromEPSG(code, call.option())
	if err != nil {
		return nil, fmt.Errorf("create CRS EPSG:%d: %w", code, err)
	}
	return sr, nil
}

// shortenCRS cuts a WKT string for error messages.
func shortenCRS(wkt string) string {
	const max = 80
	if len(wkt) <= max {
		return wkt
	}
	return wkt[:max] + "..."
}

// crsEPSG returns the EPSG code of sr, or 0 when GDAL cannot identify one.
func crsEPSG(sr *godal.SpatialRef) int {
	if sr.AuthorityName("") != "EPSG" {
		_ = sr.AutoIdentifyEPSG()
	}
	if !strings.EqualFold(sr.AuthorityName(""), "EPSG") {
		return 0
	}
	code, err := strconv.Atoi(sr.AuthorityCode(""))
	if err != nil {
		return 0
	}
	return code
}

// crsName returns the name GDAL gives sr, such as "SIRGAS 2000 / UTM zone
// 25S".
func crsName(sr *godal.SpatialRef) string {
	for _, node := range []string{"PROJCS", "GEOGCS", "LOCAL_CS", "GEOCCS"} {
		if name, ok := sr.AttrValue(node, 0); ok && name != "" {
			return name
		}
	}
	return "unnamed CRS"
}

// crsLabel returns "name (EPSG:code)" or the name alone.
func crsLabel(sr *godal.SpatialRef) string {
	if code := crsEPSG(sr); code != 0 {
		return fmt.Sprintf("%s (EPSG:%d)", crsName(sr), code)
	}
	return crsName(sr)
}

// linearUnitMetres returns the length of one unit of a projected CRS in
// metres (0.3048 for international feet), or 1 when the CRS gives no unit.
func linearUnitMetres(sr *godal.SpatialRef) float64 {
	v, ok := sr.AttrValue("PROJCS|UNIT", 1)
	if !ok {
		return 1
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return 1
	}
	return f
}

func crsWKT(sr *godal.SpatialRef) (string, error) {
	var call gdalCall
	wkt, err := sr.WKT(call.option())
	if err != nil {
		return "", fmt.Errorf("export CRS as WKT: %w", err)
	}
	return wkt, nil
}

// utmZoneEPSG returns the EPSG code and name of the WGS 84 UTM zone that
// contains lon, lat in degrees, with the Norway (32V) and Svalbard (31X to
// 37X) exceptions, or of the UPS zone beyond 84N and 80S.
func utmZoneEPSG(lon, lat float64) (int, string) {
	switch {
	case lat > 84:
		return 32661, "WGS 84 / UPS North (N,E)"
	case lat < -80:
		return 32761, "WGS 84 / UPS South (N,E)"
	}

	lon = math.Mod(lon+180, 360)
	if lon < 0 {
		lon += 360
	}
	lon -= 180
	zone := int(math.Floor((lon+180)/6)) + 1
	if zone > 60 {
		zone = 60
	}
	zone = utmZoneException(zone, lon, lat)

	if lat >= 0 {
		return 32600 + zone, fmt.Sprintf("WGS 84 / UTM zone %dN", zone)
	}
	return 32700 + zone, fmt.Sprintf("WGS 84 / UTM zone %dS", zone)
}

// utmZoneException applies the irregular zones of the UTM standard: zone
// 32V is widened west over south-west Norway, and zones 32X, 34X and 36X
// are not used around Svalbard.
func utmZoneException(zone int, lon, lat float64) int {
	if lat >= 56 && lat < 64 && lon >= 3 && lon < 12 {
		return 32
	}
	if lat >= 72 && lat <= 84 && lon >= 0 && lon < 42 {
		switch {
		case lon < 9:
			return 31
		case lon < 21:
			return 33
		case lon < 33:
			return 35
		default:
			return 37
		}
	}
	return zone
}

// haversineMetres returns the great-circle distance between two lon/lat
// points in degrees on a sphere of the mean Earth radius (within about 0.5 %
// of the ellipsoidal distance).
func haversineMetres(lon1, lat1, lon2, lat2 float64) float64 {
	const earthRadiusM = 6371008.8
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}

// gdalFailures returns a GDAL message handler for godal.ErrLogger that
// turns failures into errors and drops warnings and debug messages, which
// godal would otherwise also turn into errors.
func gdalFailures() godal.ErrorHandler {
	return func(ec godal.ErrorCategory, code int, msg string) error {
		if ec >= godal.CE_Failure {
			return &GDALError{Code: code, Message: shortenGDALMessage(strings.TrimSpace(msg))}
		}
		return nil
	}
}
