package geodata

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/geojson"
)

// geojsonDecimals is the number of decimals kept in GeoJSON and KML
// coordinates: 1e-7 degree is about 1 cm.
const geojsonDecimals = 1e7

// exportGeoJSON writes one polygon feature per cell as an RFC 7946
// FeatureCollection: WGS 84 longitude/latitude, exterior rings
// counter-clockwise, and cells across the antimeridian cut into a
// MultiPolygon on both sides. The properties are those of the GeoPackage
// export, with null for unclassified cells.
func exportGeoJSON(ctx context.Context, path string, r *Result, opts ExportOptions) (*atomicTarget, error) {
	if !r.Grid.HasLonLat() {
		return nil, fmt.Errorf("export %s: GeoJSON needs longitude/latitude: %w", path, ErrNoGeographicCRS)
	}
	return stageFile(ctx, path, func(w io.Writer) error {
		return writeFeatureCollection(ctx, w, r, opts.Progress)
	})
}

func writeFeatureCollection(ctx context.Context, w io.Writer, r *Result, progress func(done, total int)) error {
	if _, err := io.WriteString(w, `{"type":"FeatureCollection","features":[`+"\n"); err != nil {
		return err
	}
	cells := r.Grid.Cells()
	for i, c := range cells {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := cellFeatureJSON(r, c)
		if err != nil {
			return fmt.Errorf("cell %s: %w", r.Grid.ID(c), err)
		}
		if i > 0 {
			data = append([]byte(",\n"), data...)
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
		reportProgress(progress, i+1, len(cells))
	}
	_, err := io.WriteString(w, "\n]}\n")
	return err
}

func cellFeatureJSON(r *Result, c Cell) ([]byte, error) {
	poly, err := r.Grid.CellPolygonWGS84(c)
	if err != nil {
		return nil, err
	}
	f := geojson.NewFeature(roundGeometry(SplitAntimeridian(poly)))
	f.ID = r.Grid.ID(c)
	f.Properties = cellProperties(r.record(c), r.Classes)
	return json.Marshal(f)
}

// cellProperties returns the attributes of a cell with nil (null) for
// missing values.
func cellProperties(rec cellRecord, classes []Class) geojson.Properties {
	p := geojson.Properties{
		"cell_id": rec.ID, "row": rec.Row, "col": rec.Col, "status": string(rec.Status),
		"class": nil, "class_index": nil, "probability": nil, "label": nil,
		"nodata_fraction": math.Round(rec.NoData*1e6) / 1e6,
	}
	for i, c := range classes {
		p[probField(c.Name)] = nil
		if rec.ClassIndex >= 0 {
			p[probField(c.Name)] = roundProb(rec.Probs[i])
		}
	}
	if rec.ClassIndex >= 0 {
		p["class"], p["class_index"], p["probability"] = rec.Class, rec.ClassIndex, rec.Prob
	}
	if rec.Label != "" {
		p["label"] = rec.Label
	}
	return p
}

// SplitAntimeridian cuts a polygon whose longitudes run continuously past
// 180 or -180 (as CellPolygonWGS84 returns them) into parts on each side
// of the antimeridian, each within -180..180, as RFC 7946 section 3.1.9
// requires. A polygon that does not cross is returned with its longitudes
// shifted into -180..180. Exterior rings are made counter-clockwise.
func SplitAntimeridian(p orb.Polygon) orb.Geometry {
	b := p.Bound()
	var parts orb.MultiPolygon
	for shift := -720.0; shift <= 720; shift += 360 {
		window := orb.Bound{Min: orb.Point{-180 - shift, -90}, Max: orb.Point{180 - shift, 90}}
		if b.Max[0] <= window.Min[0] || b.Min[0] >= window.Max[0] {
			continue
		}
		part := clip.Polygon(window, p.Clone())
		if len(part) == 0 || len(part[0]) < 4 {
			continue
		}
		parts = append(parts, orientPolygon(shiftPolygon(part, shift)))
	}
	switch len(parts) {
	case 0:
		return orientPolygon(p)
	case 1:
		return parts[0]
	}
	return parts
}

func shiftPolygon(p orb.Polygon, dx float64) orb.Polygon {
	for _, ring := range p {
		for i := range ring {
			ring[i][0] += dx
		}
	}
	return p
}

// orientPolygon makes the exterior ring counter-clockwise and holes
// clockwise (the right-hand rule of RFC 7946).
func orientPolygon(p orb.Polygon) orb.Polygon {
	for i, ring := range p {
		if ccw := ring.Orientation() == orb.CCW; (i == 0) != ccw {
			ring.Reverse()
		}
	}
	return p
}

// roundGeometry rounds coordinates to geojsonDecimals.
func roundGeometry(g orb.Geometry) orb.Geometry {
	round := func(ring orb.Ring) {
		for i, pt := range ring {
			ring[i] = orb.Point{math.Round(pt[0]*geojsonDecimals) / geojsonDecimals, math.Round(pt[1]*geojsonDecimals) / geojsonDecimals}
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			round(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				round(r)
			}
		}
	}
	return g
}
