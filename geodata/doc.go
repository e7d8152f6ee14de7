// Package geodata reads rasters through GDAL and turns them into map views:
// raster description, view geometry, windowed reads, rendering, overviews,
// and (in the grid, patch, label, photo and export files) the scene grid and
// its products.
//
// # Coordinates and units
//
//   - Pixel coordinates are GDAL's continuous pixel/line coordinates: (0,0) is
//     the top-left corner of the top-left pixel, the centre of pixel (col,row)
//     is (col+0.5,row+0.5), and rows grow downwards. Band numbers start at 1,
//     as in GDAL's command-line tools.
//   - Map coordinates are x,y in the dataset's CRS, in its units (metres for
//     UTM, degrees for EPSG:4326), always in x=easting/longitude,
//     y=northing/latitude order whatever the CRS's official axis order.
//   - Geographic coordinates are longitude,latitude in degrees on WGS 84
//     (EPSG:4326), longitude first.
//   - Screen coordinates are pixels of a view: (0,0) is the top-left corner
//     of the top-left screen pixel, y grows downwards, and the view is
//     always north-up in map coordinates.
//
// A [GeoTransform] maps pixel to map coordinates with GDAL's six affine
// coefficients, so rotated and south-up rasters are handled exactly. GDAL
// already shifts the geotransform of PixelIsPoint GeoTIFFs by half a pixel,
// so every geotransform here is pixel-corner based; [Info] reports the
// file's AREA_OR_POINT value for reference.
//
// Rasters without a geotransform are never placed silently at 0,0: [Info]
// reports how the raster is georeferenced ([GeorefGeoTransform],
// [GeorefGCPs] or [GeorefNone]). A GCP-only raster is displayed through the
// least-squares affine fit of its GCPs (GDAL's GDALGCPsToGeoTransform), and
// Info reports the fit's largest residual. A raster with no georeferencing
// is displayed in its own pixel grid (x = column, y = -row) with no CRS.
// Rasters with a local (engineering) CRS open in their own coordinates; they
// have no longitude/latitude.
//
// # Thread-safety
//
// GDAL dataset handles must not be used from two goroutines at once. A
// [Dataset] therefore keeps a small pool of GDAL handles opened on the same
// file and lends one to each call, so every method of Dataset, [Layer] and
// [TileCache] is safe for concurrent use. [View] and [GeoTransform] are plain
// values. A [CRSTransform] serialises its calls with a mutex.
//
// # Not supported
//
//   - Complex data types (CInt16 ... CFloat64) are described by [Open] but
//     rendering them returns an error.
//   - Geolocation arrays and RPC georeferencing are listed in
//     Info.MetadataDomains only, never used for display.
//   - Nodata values are compared in float32 precision, so 32-bit integer and
//     Float64 nodata values that float32 cannot represent also match their
//     nearest neighbours.
//   - Views are north-up; a rotated raster is resampled into the view, the
//     view itself never rotates.
//   - A layer in another CRS is warped tile by tile on a grid four times
//     finer than GDAL's default output, then sampled onto the screen, so
//     a screen pixel may show a neighbouring source pixel near pixel edges.
//     A GCP-only raster is then placed by GDAL's GCP polynomial rather than
//     by the affine fit used in its own CRS.
//
// # Memory
//
// Rendering memory is bounded whatever the file size: a view reads only
// the tiles it shows, at the resolution level nearest the screen's, and a
// [TileCache] keeps decoded tiles up to its byte budget
// ([DefaultTileCacheBytes] unless the caller passes its own). GDAL's own
// block cache is bounded separately by its GDAL_CACHEMAX setting.
//
// Nothing in this package logs; every failure is returned as an error that
// names the file and the cause.
package geodata
