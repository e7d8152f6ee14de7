package geodata

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/airbusgeo/godal"
)

// GeoTIFF export layout: one pixel per grid cell, in the grid CRS.
const (
	// geotiffNoData marks unclassified cells in both bands.
	geotiffNoData = 255
	// geotiffProbScale converts the probability band's bytes to 0..1:
	// bytes hold the percentage 0..100.
	geotiffProbScale = 0.01
)

// exportGeoTIFF writes a two-band Byte raster with one pixel per cell:
// band 1 the class index with a colour table and the class names as
// category names, band 2 the top-class probability in percent (scale
// 0.01). It uses GDAL's COG driver when present (tiled, DEFLATE, with
// overviews for large grids) and a tiled GeoTIFF otherwise. GeoTIFF has no
// tag for category names, so GDAL keeps them in <path>.aux.xml, which is
// moved into place with the file. Band 1's metadata items CLASS_<index>
// repeat the names inside the file itself.
func exportGeoTIFF(ctx context.Context, path string, r *Result, opts ExportOptions) (*atomicTarget, error) {
	godalInit()
	return stageGDAL(ctx, path, func(temp string) error {
		mem, err := classRaster(ctx, r, opts.Progress)
		if err != nil {
			return err
		}
		defer mem.Close()
		if err := os.Remove(temp); err != nil {
			return err
		}
		if err := copyAsGeoTIFF(mem, temp); err != nil {
			return err
		}
		names := make([]string, len(r.Classes))
		for i, c := range r.Classes {
			names[i] = c.Name
		}
		return setCategoryNames(temp, 1, names)
	})
}

// classRaster builds the two bands in an in-memory GDAL dataset.
func classRaster(ctx context.Context, r *Result, progress func(done, total int)) (*godal.Dataset, error) {
	g := r.Grid
	mem, err := godal.Create(godal.Memory, "", 2, godal.Byte, g.Cols(), g.Rows(), godal.ErrLogger(gdalFailures()))
	if err != nil {
		return nil, fmt.Errorf("create class raster: %w", err)
	}
	if err := describeClassRaster(mem, r); err != nil {
		mem.Close()
		return nil, err
	}

	classes, probs := make([]uint8, g.Len()), make([]uint8, g.Len())
	for i, c := range g.Cells() {
		if i%1024 == 0 && ctx.Err() != nil {
			mem.Close()
			return nil, ctx.Err()
		}
		classes[i], probs[i] = geotiffNoData, geotiffNoData
		if k, p, ok := r.Top(c); ok {
			classes[i], probs[i] = uint8(k), uint8(math.Round(float64(p)/geotiffProbScale))
		}
		reportProgress(progress, i+1, g.Len())
	}

	bands := mem.Bands()
	for b, data := range [][]uint8{classes, probs} {
		if err := bands[b].Write(0, 0, data, g.Cols(), g.Rows(), godal.ErrLogger(gdalFailures())); err != nil {
			mem.Close()
			return nil, fmt.Errorf("write class raster band %d: %w", b+1, err)
		}
	}
	return mem, nil
}

// describeClassRaster sets the CRS, geotransform, nodata, colour table,
// scale and descriptions of the class raster.
func describeClassRaster(mem *godal.Dataset, r *Result) error {
	g := r.Grid
	ox, oy := g.Origin()
	opt := godal.ErrLogger(gdalFailures())
	if err := mem.SetGeoTransform([6]float64{ox, g.CellSize(), 0, oy, 0, -g.CellSize()}, opt); err != nil {
		return fmt.Errorf("set geotransform: %w", err)
	}
	if g.CRS() != "" {
		if err := mem.SetProjection(g.CRS(), opt); err != nil {
			return fmt.Errorf("set CRS %s: %w", g.CRSName(), err)
		}
	}

	bands := mem.Bands()
	for _, b := range bands {
		if err := b.SetNoData(geotiffNoData, opt); err != nil {
			return fmt.Errorf("set nodata: %w", err)
		}
	}
	if err := bands[0].SetColorTable(classColorTable(r.Classes), opt); err != nil {
		return fmt.Errorf("set colour table: %w", err)
	}
	if err := bands[0].SetColorInterp(godal.CIPalette, opt); err != nil {
		return fmt.Errorf("set palette interpretation: %w", err)
	}
	// Left undefined, band 2 would be written as the TIFF's alpha sample
	// (GDAL 3.6), which GIS software draws as transparency.
	// NOTE: GTiff keeps the grey interpretation only in the .aux.xml
	// sidecar, so a reader that ignores the sidecar still reads alpha.
	if err := bands[1].SetColorInterp(godal.CIGray, opt); err != nil {
		return fmt.Errorf("set probability band to grey: %w", err)
	}
	if err := bands[1].SetScaleOffset(geotiffProbScale, 0, opt); err != nil {
		return fmt.Errorf("set probability scale: %w", err)
	}
	if err := bands[0].SetDescription("class", opt); err != nil {
		return err
	}
	if err := bands[1].SetDescription("probability of the class (percent; scale 0.01 gives 0..1)", opt); err != nil {
		return err
	}
	for i, c := range r.Classes {
		if err := bands[0].SetMetadata("CLASS_"+strconv.Itoa(i), c.Name, opt); err != nil {
			return err
		}
	}
	return nil
}

// classColorTable returns a 256-entry RGBA table: the class colours, then
// transparent entries (255 = nodata).
func classColorTable(classes []Class) godal.ColorTable {
	entries := make([][4]int16, 256)
	for i, c := range classes {
		entries[i] = [4]int16{int16(c.Color.R), int16(c.Color.G), int16(c.Color.B), 255}
	}
	return godal.ColorTable{PaletteInterp: godal.RGBPalette, Entries: entries}
}

// copyAsGeoTIFF writes mem to path as a Cloud Optimized GeoTIFF, or as a
// tiled GeoTIFF when this GDAL has no COG driver (before GDAL 3.1).
func copyAsGeoTIFF(mem *godal.Dataset, path string) error {
	switches := []string{"-of", "COG", "-co", "COMPRESS=DEFLATE", "-co", "OVERVIEW_RESAMPLING=NEAREST"}
	if _, ok := godal.RasterDriver("COG"); !ok {
		switches = []string{"-of", "GTiff", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE"}
	}
	out, err := mem.Translate(path, switches, godal.ErrLogger(gdalFailures()))
	if err != nil {
		return fmt.Errorf("write GeoTIFF: %w", err)
	}
	if err := out.Close(godal.ErrLogger(gdalFailures())); err != nil {
		return fmt.Errorf("close GeoTIFF: %w", err)
	}
	return nil
}
