package geodata

import (
	"context"
	"fmt"
	"math"
	"os"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// GeoPackageLayer is the name of the polygon layer of a GeoPackage export.
const GeoPackageLayer = "zoning"

// exportGeoPackage writes one polygon per cell, in the scene CRS, with the
// attributes cell_id, row, col, status, class, class_index, probability,
// p_<class> for every class, label and nodata_fraction. Attributes of
// unclassified cells are NULL. The features are built in an OGR Memory
// layer and copied into the GeoPackage.
func exportGeoPackage(ctx context.Context, path string, r *Result, opts ExportOptions) (*atomicTarget, error) {
	godalInit()
	return stageGDAL(ctx, path, func(temp string) error {
		if err := os.Remove(temp); err != nil {
			return err
		}
		ds, err := godal.CreateVector(godal.GeoPackage, temp, godal.ErrLogger(gdalFailures()))
		if err != nil {
			return fmt.Errorf("create GeoPackage: %w", err)
		}
		werr := writeGeoPackageLayer(ctx, ds, r, opts.Progress)
		cerr := ds.Close(godal.ErrLogger(gdalFailures()))
		if werr != nil {
			return werr
		}
		if cerr != nil {
			return fmt.Errorf("close GeoPackage: %w", cerr)
		}
		return nil
	})
}

func writeGeoPackageLayer(ctx context.Context, ds *godal.Dataset, r *Result, progress func(done, total int)) error {
	mem, err := godal.CreateVector(godal.Memory, "", godal.ErrLogger(gdalFailures()))
	if err != nil {
		return fmt.Errorf("create memory layer: %w", err)
	}
	defer mem.Close()
	layer, err := fillCellLayer(ctx, mem, r, progress)
	if err != nil {
		return err
	}

	// GDALDataset::CopyLayer batches the inserts in transactions itself.
	if _, err := ds.CopyLayer(layer, GeoPackageLayer, godal.ErrLogger(gdalFailures())); err != nil {
		return fmt.Errorf("copy layer %s: %w", GeoPackageLayer, err)
	}
	return nil
}

// fillCellLayer creates the cell layer in the vector dataset ds (scene
// CRS) and adds one feature per cell.
func fillCellLayer(ctx context.Context, ds *godal.Dataset, r *Result, progress func(done, total int)) (godal.Layer, error) {
	sceneSR, err := sceneSpatialRef(r.Grid)
	if err != nil {
		return godal.Layer{}, err
	}
	if sceneSR != nil {
		defer sceneSR.Close()
	}
	layer, err := ds.CreateLayer(GeoPackageLayer, sceneSR, godal.GTPolygon, append(cellFieldDefinitions(r.Classes), godal.ErrLogger(gdalFailures()))...)
	if err != nil {
		return godal.Layer{}, fmt.Errorf("create layer %s: %w", GeoPackageLayer, err)
	}

	cells := r.Grid.Cells()
	for i, c := range cells {
		if err := ctx.Err(); err != nil {
			return godal.Layer{}, err
		}
		if err := writeGeoPackageCell(layer, sceneSR, r, c); err != nil {
			return godal.Layer{}, fmt.Errorf("cell %s: %w", r.Grid.ID(c), err)
		}
		reportProgress(progress, i+1, len(cells))
	}
	return layer, nil
}

// sceneSpatialRef returns the scene CRS, or nil when it has none.
func sceneSpatialRef(g *Grid) (*godal.SpatialRef, error) {
	if g.SceneCRS() == "" {
		return nil, nil
	}
	return spatialRefFromWKT(g.SceneCRS())
}

func cellFieldDefinitions(classes []Class) []godal.CreateLayerOption {
	defs := []godal.CreateLayerOption{
		godal.NewFieldDefinition("cell_id", godal.FTString),
		godal.NewFieldDefinition("row", godal.FTInt),
		godal.NewFieldDefinition("col", godal.FTInt),
		godal.NewFieldDefinition("status", godal.FTString),
		godal.NewFieldDefinition("class", godal.FTString),
		godal.NewFieldDefinition("class_index", godal.FTInt),
		godal.NewFieldDefinition("probability", godal.FTReal),
	}
	for _, c := range classes {
		defs = append(defs, godal.NewFieldDefinition(probField(c.Name), godal.FTReal))
	}
	return append(defs,
		godal.NewFieldDefinition("label", godal.FTString),
		godal.NewFieldDefinition("nodata_fraction", godal.FTReal))
}

func writeGeoPackageCell(layer godal.Layer, sceneSR *godal.SpatialRef, r *Result, c Cell) error {
	poly, err := r.Grid.CellPolygonScene(c)
	if err != nil {
		return err
	}
	geom, err := ogrGeometry(poly, sceneSR)
	if err != nil {
		return err
	}
	defer geom.Close()

	f, err := layer.NewFeature(geom, godal.ErrLogger(gdalFailures()))
	if err != nil {
		return fmt.Errorf("create feature: %w", err)
	}
	defer f.Close()
	if err := setCellFields(f, r.record(c), r.Classes); err != nil {
		return err
	}
	if err := layer.UpdateFeature(f, godal.ErrLogger(gdalFailures())); err != nil {
		return fmt.Errorf("write attributes: %w", err)
	}
	return nil
}

// ogrGeometry converts an orb geometry to an OGR geometry through WKB.
func ogrGeometry(g orb.Geometry, sr *godal.SpatialRef) (*godal.Geometry, error) {
	data, err := wkb.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("encode geometry: %w", err)
	}
	geom, err := godal.NewGeometryFromWKB(data, sr, godal.ErrLogger(gdalFailures()))
	if err != nil {
		return nil, fmt.Errorf("decode geometry: %w", err)
	}
	return geom, nil
}

// setCellFields fills a feature's attributes. Fields without a value are
// left unset, which OGR writes as NULL.
func setCellFields(f *godal.Feature, rec cellRecord, classes []Class) error {
	fields := f.Fields()
	values := map[string]any{
		"cell_id": rec.ID, "row": rec.Row, "col": rec.Col, "status": string(rec.Status),
		"nodata_fraction": rec.NoData,
	}
	if rec.ClassIndex >= 0 {
		values["class"], values["class_index"], values["probability"] = rec.Class, rec.ClassIndex, rec.Prob
		for i, c := range classes {
			values[probField(c.Name)] = roundProb(rec.Probs[i])
		}
	}
	if rec.Label != "" {
		values["label"] = rec.Label
	}

	for name, v := range values {
		fld, ok := fields[name]
		if !ok {
			return fmt.Errorf("field %s is missing from the layer", name)
		}
		if err := f.SetFieldValue(fld, v, godal.ErrLogger(gdalFailures())); err != nil {
			return fmt.Errorf("set field %s: %w", name, err)
		}
	}
	return nil
}

// roundProb converts a float32 probability to float64 with 6 decimals, so
// that exports show 0.25 rather than 0.25000000372529.
func roundProb(p float32) float64 {
	return math.Round(float64(p)*1e6) / 1e6
}
