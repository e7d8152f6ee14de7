package main

import (
	"context"
	"fmt"
	"time"

	"github.com/downthere/downthere/geodata"
	"github.com/downthere/downthere/inference"
	"github.com/downthere/downthere/models"
	"github.com/downthere/downthere/ui"
)

// guiExporter writes the viewer's land-use results with geodata.Export,
// the writer behind "viewer export", with a provenance record beside each
// file.
type guiExporter struct {
	app *guiApp
}

var _ ui.Exporter = (*guiExporter)(nil)

// Formats lists geodata's export formats; the file extension chosen in the
// dialog selects the writer.
func (e *guiExporter) Formats() []ui.ExportFormat {
	return []ui.ExportFormat{
		{ID: string(geodata.FormatGeoTIFF), Name: "GeoTIFF (class raster with colour table)", Ext: ".tif"},
		{ID: string(geodata.FormatGeoPackage), Name: "GeoPackage (one polygon per cell)", Ext: ".gpkg"},
		{ID: string(geodata.FormatGeoJSON), Name: "GeoJSON (RFC 7946, WGS 84)", Ext: ".geojson", NeedsLonLat: true},
		{ID: string(geodata.FormatKML), Name: "KML (Google Earth)", Ext: ".kml", NeedsLonLat: true},
	}
}

// Export writes the land-use results to req.Path and logs the outcome.
func (e *guiExporter) Export(ctx context.Context, req ui.ExportRequest, progress func(done, total int)) error {
	start := time.Now()
	err := e.export(ctx, req, progress)
	if e.app.log != nil {
		e.app.log.Info("export", "path", req.Path, "format", req.Format, "results", len(req.Results),
			"ms", time.Since(start).Milliseconds(), "err", err)
	}
	return err
}

// export converts the ui results into a geodata.Result over the scene's
// grid and writes it. Cells without a result are written as nodata.
func (e *guiExporter) export(ctx context.Context, req ui.ExportRequest, progress func(done, total int)) error {
	gs, err := sceneOf(req.Scene)
	if err != nil {
		return fmt.Errorf("export %s: %w", req.Path, err)
	}
	format, err := geodata.FormatFromPath(req.Path)
	if err != nil {
		return err
	}
	if string(format) != req.Format {
		return fmt.Errorf("export %s: the file extension selects %s but the format %s was chosen; change the extension to match the format", req.Path, format, req.Format)
	}
	res := resultOf(gs.grid, req)
	if labels, ok := req.Scene.Labels.(*guiLabels); ok {
		res.Labels = labels.layer
	}
	prov, err := e.provenance(gs)
	if err != nil {
		return err
	}
	return geodata.Export(ctx, req.Path, res, geodata.ExportOptions{Provenance: prov, Progress: progress})
}

// resultOf fills a geodata.Result from the ui results; cells without
// probabilities stay pending (nodata in every format).
func resultOf(g *geodata.Grid, req ui.ExportRequest) *geodata.Result {
	classes := make([]geodata.Class, len(req.Classes))
	for i, c := range req.Classes {
		classes[i] = geodata.Class{Name: c.Name, Color: c.Color}
	}
	res := geodata.NewResult(g, classes)
	for _, r := range req.Results {
		c := geodata.Cell{Row: r.Cell.Row, Col: r.Cell.Col}
		if !g.Contains(c) {
			continue
		}
		cr := geodata.CellResult{Status: geodata.CellNoData, NoDataFraction: r.NoDataFraction}
		if len(r.Probs) > 0 {
			cr.Status, cr.Probs = geodata.CellClassified, r.Probs
		}
		res.Cells[g.Index(c)] = cr
	}
	return res
}

// provenance records the input file, the model set and the parameters of
// the classification.
func (e *guiExporter) provenance(gs *guiScene) (*geodata.Provenance, error) {
	in, err := geodata.NewInputRecord(gs.path)
	if err != nil {
		return nil, err
	}
	p := &geodata.Provenance{
		Program:        "downthere viewer",
		ProgramVersion: appVersion,
		Created:        time.Now().UTC().Format(time.RFC3339),
		Input:          in,
	}
	if m := e.app.slot.get(); m != nil {
		p.ModelSet = modelSetRecord(m.ms)
		p.Parameters = map[string]any{
			"views_per_cell":  m.views,
			"seed":            "fnv-1a of the cell id (ui.DefaultSeed)",
			"patch_size_px":   m.spec.Size,
			"patch_res_m":     m.patchResolution(gs.grid.CellSizeM()),
			"provider":        m.ms.Provider().String(),
			"max_nodata_frac": geodata.DefaultMaxNoDataFraction,
		}
		p.ONNXRuntimeVersion = e.app.ortVersion
	}
	return p, nil
}

func modelSetRecord(ms *inference.ModelSet) *geodata.ModelSetRecord {
	rec := &geodata.ModelSetRecord{Name: ms.Name(), Version: ms.Spec().Version}
	for _, r := range models.Roles {
		man := ms.Manifest(r)
		rec.Models = append(rec.Models, geodata.ModelRecord{Role: string(r), Name: man.Name, Version: man.Version, File: man.File, SHA256: man.SHA256})
	}
	return rec
}
