package geodata

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// kmlFillAlpha is the opacity of class fills in KML (0x99 = 60 %), so the
// imagery in Google Earth stays visible below the cells.
const kmlFillAlpha = 0x99

// exportKML writes one placemark per cell for Google Earth: the cell
// polygon in WGS 84 (cut at the antimeridian), styled with its class
// colour, with the GeoPackage attributes as typed ExtendedData.
func exportKML(ctx context.Context, path string, r *Result, opts ExportOptions) (*atomicTarget, error) {
	if !r.Grid.HasLonLat() {
		return nil, fmt.Errorf("export %s: KML needs longitude/latitude: %w", path, ErrNoGeographicCRS)
	}
	return stageFile(ctx, path, func(w io.Writer) error {
		return writeKML(ctx, w, r, opts.Progress)
	})
}

func writeKML(ctx context.Context, w io.Writer, r *Result, progress func(done, total int)) error {
	if err := writeKMLHeader(w, r); err != nil {
		return err
	}
	cells := r.Grid.Cells()
	for i, c := range cells {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeKMLPlacemark(w, r, c); err != nil {
			return fmt.Errorf("cell %s: %w", r.Grid.ID(c), err)
		}
		reportProgress(progress, i+1, len(cells))
	}
	_, err := io.WriteString(w, "</Folder>\n</Document>\n</kml>\n")
	return err
}

func writeKMLHeader(w io.Writer, r *Result) error {
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<kml xmlns="http://www.opengis.net/kml/2.2">` + "\n<Document>\n<name>zoning</name>\n")
	b.WriteString(`<Schema name="zoning" id="zoning">` + "\n")
	for _, f := range kmlFields(r.Classes) {
		fmt.Fprintf(&b, `<SimpleField name="%s" type="%s"/>`+"\n", xmlEscape(f.name), f.typ)
	}
	b.WriteString("</Schema>\n")

	for i, c := range r.Classes {
		line := kmlColor(c.Color.R, c.Color.G, c.Color.B, 0xff)
		fill := kmlColor(c.Color.R, c.Color.G, c.Color.B, kmlFillAlpha)
		fmt.Fprintf(&b, `<Style id="class_%d"><LineStyle><color>%s</color><width>0.5</width></LineStyle><PolyStyle><color>%s</color></PolyStyle></Style>`+"\n", i, line, fill)
	}
	b.WriteString(`<Style id="unclassified"><LineStyle><color>ff808080</color><width>0.5</width></LineStyle><PolyStyle><fill>0</fill></PolyStyle></Style>` + "\n")
	b.WriteString("<Folder>\n<name>cells</name>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

type kmlField struct{ name, typ string }

func kmlFields(classes []Class) []kmlField {
	fields := []kmlField{
		{"cell_id", "string"}, {"row", "int"}, {"col", "int"}, {"status", "string"},
		{"class", "string"}, {"class_index", "int"}, {"probability", "double"},
	}
	for _, c := range classes {
		fields = append(fields, kmlField{probField(c.Name), "double"})
	}
	return append(fields, kmlField{"label", "string"}, kmlField{"nodata_fraction", "double"})
}

// kmlColor formats a colour as KML's aabbggrr.
func kmlColor(r, g, b, a uint8) string {
	return fmt.Sprintf("%02x%02x%02x%02x", a, b, g, r)
}

func writeKMLPlacemark(w io.Writer, r *Result, c Cell) error {
	poly, err := r.Grid.CellPolygonWGS84(c)
	if err != nil {
		return err
	}
	rec := r.record(c)
	style := "unclassified"
	if rec.ClassIndex >= 0 {
		style = "class_" + strconv.Itoa(rec.ClassIndex)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "<Placemark id=\"%s\"><name>%s</name><styleUrl>#%s</styleUrl>\n", xmlEscape(rec.ID), xmlEscape(rec.ID), style)
	b.WriteString(`<ExtendedData><SchemaData schemaUrl="#zoning">`)
	props := cellProperties(rec, r.Classes)
	for _, f := range kmlFields(r.Classes) {
		if v := props[f.name]; v != nil {
			fmt.Fprintf(&b, `<SimpleData name="%s">%s</SimpleData>`, xmlEscape(f.name), xmlEscape(fmt.Sprint(v)))
		}
	}
	b.WriteString("</SchemaData></ExtendedData>\n")
	writeKMLGeometry(&b, roundGeometry(SplitAntimeridian(poly)))
	b.WriteString("</Placemark>\n")
	_, err = io.WriteString(w, b.String())
	return err
}

func writeKMLGeometry(b *strings.Builder, g orb.Geometry) {
	switch g := g.(type) {
	case orb.Polygon:
		writeKMLPolygon(b, g)
	case orb.MultiPolygon:
		b.WriteString("<MultiGeometry>")
		for _, p := range g {
			writeKMLPolygon(b, p)
		}
		b.WriteString("</MultiGeometry>")
	}
	b.WriteString("\n")
}

func writeKMLPolygon(b *strings.Builder, p orb.Polygon) {
	b.WriteString("<Polygon>")
	for i, ring := range p {
		tag := "innerBoundaryIs"
		if i == 0 {
			tag = "outerBoundaryIs"
		}
		fmt.Fprintf(b, "<%s><LinearRing><coordinates>", tag)
		for j, pt := range ring {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.FormatFloat(pt[0], 'f', -1, 64))
			b.WriteByte(',')
			b.WriteString(strconv.FormatFloat(pt[1], 'f', -1, 64))
		}
		fmt.Fprintf(b, "</coordinates></LinearRing></%s>", tag)
	}
	b.WriteString("</Polygon>")
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
