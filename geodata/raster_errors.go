package geodata

import (
	"errors"
	"fmt"
	"strings"

	"github.com/airbusgeo/godal"
)

// Errors that callers can test with errors.Is. Each returned error also
// names the file and keeps GDAL's own message as the root cause.
var (
	// ErrUnsupportedFormat means GDAL has no driver that reads the file.
	ErrUnsupportedFormat = errors.New("not a raster format GDAL can read")
	// ErrCorrupt means the file was recognised but its content is invalid
	// or ends early (truncated).
	ErrCorrupt = errors.New("file is corrupt or truncated")
	// ErrEmptyFile means the file has zero bytes.
	ErrEmptyFile = errors.New("file is empty (0 bytes)")
	// ErrNoBands means the file opened but holds no raster bands (for
	// example a vector-only file).
	ErrNoBands = errors.New("file contains no raster bands")
	// ErrClosed means the Dataset or Layer was used after Close.
	ErrClosed = errors.New("dataset is closed")
	// ErrNoGeographicCRS means longitude/latitude were requested for a
	// raster with no CRS or a local (engineering) CRS.
	ErrNoGeographicCRS = errors.New("raster has no CRS that converts to longitude/latitude")
	// ErrNotInvertible means a geotransform has a zero determinant.
	ErrNotInvertible = errors.New("geotransform is not invertible")
	// ErrUnsupportedDataType means the band's data type cannot be rendered
	// (complex types).
	ErrUnsupportedDataType = errors.New("data type is not supported for display")
)

// GDALError is one failure reported by GDAL's error handler.
type GDALError struct {
	Code    int    // CPLErrorNum, e.g. 1 = CPLE_AppDefined, 4 = CPLE_OpenFailed
	Message string // GDAL's message, unchanged
}

func (e *GDALError) Error() string { return e.Message }

// gdalCall collects what GDAL reports during one godal call: failures
// become the returned error, warnings are kept for Info.Warnings.
type gdalCall struct {
	warnings []string
}

// gdalOption is every godal option type that godal.ErrLogger satisfies.
type gdalOption interface {
	godal.AddGeometryOption
	godal.BandCreateMaskOption
	godal.BandIOOption
	godal.BoundsOption
	godal.BufferOption
	godal.BuildOverviewsOption
	godal.BuildVRTOption
	godal.ClearOverviewsOption
	godal.CloseOption
	godal.CopyLayerOption
	godal.CreateFeatureOption
	godal.CreateLayerOption
	godal.CreateSpatialRefOption
	godal.DatasetCreateMaskOption
	godal.DatasetCreateOption
	godal.DatasetIOOption
	godal.DatasetTranslateOption
	godal.DatasetVectorTranslateOption
	godal.DatasetWarpIntoOption
	godal.DatasetWarpOption
	godal.DeleteFeatureOption
	godal.DifferenceOption
	godal.FeatureCountOption
	godal.FillBandOption
	godal.FillNoDataOption
	godal.GeoJSONOption
	godal.GeometryTransformOption
	godal.GeometryReprojectOption
	godal.GeometryWKBOption
	godal.GeometryWKTOption
	godal.GetGeoTransformOption
	godal.GMLExportOption
	godal.HistogramOption
	godal.IntersectsOption
	godal.IntersectionOption
	godal.MetadataOption
	godal.NewFeatureOption
	godal.NewGeometryOption
	godal.OpenOption
	godal.PolygonizeOption
	godal.RasterizeGeometryOption
	godal.RasterizeOption
	godal.RasterizeIntoOption
	godal.SetColorInterpOption
	godal.SetColorTableOption
	godal.SetDescriptionOption
	godal.SetGeometryOption
	godal.SetFieldValueOption
	godal.SetNoDataOption
	godal.SetScaleOffsetOption
	godal.SetGeoTransformOption
	godal.SetGeometryColumnNameOption
	godal.SetProjectionOption
	godal.SetSpatialRefOption
	godal.SieveFilterOption
	godal.SimplifyOption
	godal.SpatialRefValidateOption
	godal.SubGeometryOption
	godal.TransformOption
	godal.UnionOption
	godal.UpdateFeatureOption
	godal.VSIHandlerOption
	godal.VSIOpenOption
	godal.VSIUnlinkOption
	godal.WKTExportOption
	godal.StatisticsOption
	godal.SetStatisticsOption
	godal.ClearStatisticsOption
	godal.GridOption
	godal.NearblackOption
	godal.DemOption
	godal.ViewshedOption
	godal.SetGCPsOption
	godal.GCPsToGeoTransformOption
	godal.RegisterPluginOption
	godal.ExecuteSQLOption
	godal.StartTransactionOption
	godal.CloseResultSetOption
	godal.RollbackTransactionOption
	godal.CommitTransactionOption
}

// option returns the godal option that routes GDAL's messages to c. godal
// would otherwise turn every warning into an error.
func (c *gdalCall) option() gdalOption {
	return godal.ErrLogger(func(ec godal.ErrorCategory, code int, msg string) error {
		if ec >= godal.CE_Failure {
			return &GDALError{Code: code, Message: shortenGDALMessage(strings.TrimSpace(msg))}
		}
		if ec == godal.CE_Warning {
			c.warnings = append(c.warnings, strings.TrimSpace(msg))
		}
		return nil
	})
}

// corruptMarkers are fragments of GDAL and libtiff messages that mean the
// bytes of a recognised file are damaged or missing.
var corruptMarkers = []string{
	"truncated", "corrupt", "read error", "readdirectory", "tifffilltile",
	"tifffillstrip", "ireadblock failed", "cannot read", "decode", "premature",
	"unexpected end", "not enough data", "short read", "invalid", "failed to read",
	"error in", "bad value", "seek", "unable to read", "jpeglib", "ran out of",
}

// classifyOpenError wraps a GDAL open failure for path with the sentinel
// that best names its cause.
func classifyOpenError(path string, err error) error {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "not recognized as a supported file format") ||
		strings.Contains(msg, "not recognised as a supported file format"):
		return fmt.Errorf("open raster %s: %w: %w", path, ErrUnsupportedFormat, err)
	case strings.Contains(msg, "no such file") || strings.Contains(msg, "does not exist"):
		return fmt.Errorf("open raster %s: file not found: %w", path, err)
	case containsAny(msg, corruptMarkers):
		return fmt.Errorf("open raster %s: %w: %w", path, ErrCorrupt, err)
	}
	return fmt.Errorf("open raster %s: %w", path, err)
}

// classifyReadError wraps a GDAL read failure for path. Read failures of a
// file that opened are almost always damaged or missing bytes.
func classifyReadError(path, region string, err error) error {
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrUnsupportedDataType) {
		return fmt.Errorf("read %s of %s: %w", region, path, err)
	}
	if containsAny(strings.ToLower(err.Error()), corruptMarkers) {
		return fmt.Errorf("read %s of %s: %w: %w", region, path, ErrCorrupt, err)
	}
	return fmt.Errorf("read %s of %s: %w", region, path, err)
}

func containsAny(s string, fragments []string) bool {
	for _, f := range fragments {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// maxQuotedSQL is how much of the SQL statement that GDAL's SQLite-based
// drivers (GeoPackage) quote in a failure is kept in the message.
const maxQuotedSQL = 80

// shortenGDALMessage cuts the SQL quoted in "sqlite3_exec(SQL) failed:
// cause" to its start and length, so the cause (such as "database or disk
// is full") is not buried under kilobytes of schema.
func shortenGDALMessage(msg string) string {
	const open, closing = "sqlite3_exec(", ") failed"
	i := strings.Index(msg, open)
	j := strings.LastIndex(msg, closing)
	if i < 0 || j < i+len(open) {
		return msg
	}
	sql := msg[i+len(open) : j]
	if len(sql) <= maxQuotedSQL {
		return msg
	}
	return fmt.Sprintf("%s%s... (%d bytes of SQL)%s", msg[:i+len(open)], sql[:maxQuotedSQL], len(sql), msg[j:])
}
