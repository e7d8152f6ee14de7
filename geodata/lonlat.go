package geodata

import (
	"fmt"
)

// initLonLat builds the dataset's transforms to and from WGS 84 once.
func (d *Dataset) initLonLat() error {
	d.lonLatOnce.Do(func() {
		if !d.info.CRS.HasLonLat() {
			d.lonLatErr = fmt.Errorf("raster %s: %w (CRS kind %s)", d.path, ErrNoGeographicCRS, d.info.CRS.Kind)
			return
		}
		wgs, err := WGS84()
		if err != nil {
			d.lonLatErr = fmt.Errorf("raster %s: %w", d.path, err)
			return
		}
		if d.toLonLat, err = NewCRSTransform(d.info.CRS, wgs); err != nil {
			d.lonLatErr = fmt.Errorf("raster %s: %w", d.path, err)
			return
		}
		if d.fromLonLat, err = NewCRSTransform(wgs, d.info.CRS); err != nil {
			d.lonLatErr = fmt.Errorf("raster %s: %w", d.path, err)
		}
	})
	return d.lonLatErr
}

// MapToLonLat converts map coordinates in the dataset's CRS to WGS 84
// longitude/latitude in degrees, longitude in [-180, 180). It returns
// ErrNoGeographicCRS for rasters with no CRS or a local CRS.
func (d *Dataset) MapToLonLat(x, y float64) (lon, lat float64, err error) {
	if err := d.initLonLat(); err != nil {
		return 0, 0, err
	}
	lon, lat, err = d.toLonLat.Transform(x, y)
	if err != nil {
		return 0, 0, fmt.Errorf("raster %s: map point (%g, %g): %w", d.path, x, y, err)
	}
	return lon, lat, nil
}

// LonLatToMap converts WGS 84 longitude/latitude in degrees to map
// coordinates in the dataset's CRS. For a geographic CRS whose extent runs
// past ±180 degrees (a raster across the antimeridian), the longitude is
// shifted by 360 degrees when that puts it inside the raster's extent.
func (d *Dataset) LonLatToMap(lon, lat float64) (x, y float64, err error) {
	if err := d.initLonLat(); err != nil {
		return 0, 0, err
	}
	x, y, err = d.fromLonLat.Transform(lon, lat)
	if err != nil {
		return 0, 0, fmt.Errorf("raster %s: longitude/latitude (%g, %g): %w", d.path, lon, lat, err)
	}
	if d.info.CRS.Kind == CRSGeographic {
		x = nearestLongitudeInside(x, d.info.Extent)
	}
	return x, y, nil
}

func nearestLongitudeInside(x float64, extent Bounds) float64 {
	for _, shifted := range []float64{x, x + 360, x - 360} {
		if shifted >= extent.MinX && shifted <= extent.MaxX {
			return shifted
		}
	}
	return x
}

// PixelToLonLat converts continuous pixel coordinates to longitude/latitude.
func (d *Dataset) PixelToLonLat(col, row float64) (lon, lat float64, err error) {
	x, y := d.info.GeoTransform.PixelToMap(col, row)
	return d.MapToLonLat(x, y)
}

// LonLatToPixel converts longitude/latitude to continuous pixel coordinates.
func (d *Dataset) LonLatToPixel(lon, lat float64) (col, row float64, err error) {
	x, y, err := d.LonLatToMap(lon, lat)
	if err != nil {
		return 0, 0, err
	}
	return d.info.GeoTransform.MapToPixel(x, y)
}
