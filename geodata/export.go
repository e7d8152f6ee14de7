package geodata

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"regexp"
	"strings"
)

// Class is one land-use class of a classification, with its map colour.
type Class struct {
	Name  string
	Color color.NRGBA
}

// CellStatus is the state of a cell in a Result: classified, skipped for
// nodata, or pending.
type CellStatus string

// The states of a cell in a Result.
const (
	// CellPending: not classified (yet). The overlay shows it empty and
	// exports write it as nodata.
	CellPending CellStatus = "pending"
	// CellClassified: Probs holds one probability per class.
	CellClassified CellStatus = "classified"
	// CellNoData: skipped because too much of its patch had no data (the
	// scene edge or nodata pixels).
	CellNoData CellStatus = "nodata"
)

// CellResult is the classification of one cell.
type CellResult struct {
	Status CellStatus
	// Probs holds one probability per class of the Result, summing to
	// about 1; nil unless Status is CellClassified.
	Probs []float32
	// NoDataFraction is the share of the cell's patch that had no data.
	NoDataFraction float64
}

// Result holds a classification of every cell of a grid. The GUI overlay
// and every export read the same Result, so what is shown is what is
// written.
type Result struct {
	Grid    *Grid
	Classes []Class
	// Cells holds one entry per grid cell, in row-major order
	// (Grid.Index).
	Cells []CellResult
	// Labels, when set, adds each cell's reference label (its majority
	// class when classes cover at least MinLabelCoverage of it).
	Labels           *LabelLayer
	MinLabelCoverage float64
}

// NewResult returns a Result for g and classes with every cell pending.
func NewResult(g *Grid, classes []Class) *Result {
	cells := make([]CellResult, g.Len())
	for i := range cells {
		cells[i].Status = CellPending
	}
	return &Result{Grid: g, Classes: classes, Cells: cells, MinLabelCoverage: DefaultMinLabelCoverage}
}

// Cell returns the result of cell c.
func (r *Result) Cell(c Cell) CellResult { return r.Cells[r.Grid.Index(c)] }

// Top returns the most probable class of cell c and its probability; ok
// is false when the cell is not classified.
func (r *Result) Top(c Cell) (class int, prob float32, ok bool) {
	cr := r.Cells[r.Grid.Index(c)]
	if cr.Status != CellClassified || len(cr.Probs) == 0 {
		return -1, 0, false
	}
	class, prob = 0, cr.Probs[0]
	for i, p := range cr.Probs {
		if p > prob {
			class, prob = i, p
		}
	}
	return class, prob, true
}

// Label returns the reference label of c from r.Labels, or "" when there
// is none.
func (r *Result) Label(c Cell) string {
	if r.Labels == nil {
		return ""
	}
	l := r.Labels.Label(c)
	if k := l.Class(r.MinLabelCoverage); k >= 0 {
		return r.Labels.Classes[k]
	}
	return ""
}

// Validate checks that the result can be exported.
func (r *Result) Validate() error {
	if r.Grid == nil {
		return errors.New("result has no grid")
	}
	if len(r.Cells) != r.Grid.Len() {
		return fmt.Errorf("result has %d cells but its grid has %d", len(r.Cells), r.Grid.Len())
	}
	if len(r.Classes) == 0 || len(r.Classes) > maxExportClasses {
		return fmt.Errorf("result has %d classes: exports hold 1 to %d", len(r.Classes), maxExportClasses)
	}
	seen := map[string]bool{}
	for _, c := range r.Classes {
		key := fieldName(c.Name)
		if key == "" || seen[key] {
			return fmt.Errorf("class names must contain letters or digits and stay distinct as field names; %q does not", c.Name)
		}
		seen[key] = true
	}
	for i, cr := range r.Cells {
		if err := r.checkCell(i, cr); err != nil {
			return err
		}
	}
	return nil
}

func (r *Result) checkCell(i int, cr CellResult) error {
	if cr.Status != CellClassified {
		return nil
	}
	c := Cell{Row: i / r.Grid.Cols(), Col: i % r.Grid.Cols()}
	if len(cr.Probs) != len(r.Classes) {
		return fmt.Errorf("cell %s has %d probabilities for %d classes", r.Grid.ID(c), len(cr.Probs), len(r.Classes))
	}
	for _, p := range cr.Probs {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("cell %s has probability %v outside 0..1", r.Grid.ID(c), p)
		}
	}
	return nil
}

// maxExportClasses is the most classes an export holds: the GeoTIFF class
// band is Byte with 255 as nodata.
const maxExportClasses = 255

// Format is an export file format.
type Format string

// The export formats.
const (
	FormatGeoTIFF    Format = "GeoTIFF"
	FormatGeoPackage Format = "GeoPackage"
	FormatGeoJSON    Format = "GeoJSON"
	FormatKML        Format = "KML"
)

// FormatFromPath returns the export format named by a file's extension:
// .tif/.tiff, .gpkg, .geojson/.json or .kml.
func FormatFromPath(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".tif", ".tiff":
		return FormatGeoTIFF, nil
	case ".gpkg":
		return FormatGeoPackage, nil
	case ".geojson", ".json":
		return FormatGeoJSON, nil
	case ".kml":
		return FormatKML, nil
	}
	return "", fmt.Errorf("cannot tell the export format of %s: use the extension .tif, .gpkg, .geojson or .kml", path)
}

// ExportOptions configure Export.
type ExportOptions struct {
	// Provenance, when set, is written beside the export as
	// <path>.provenance.json, with the export's own sha256 added.
	Provenance *Provenance
	// Progress, when set, is called with the cells written so far and the
	// total, from the calling goroutine.
	Progress func(done, total int)
}

// Export writes r to path in the format its extension names. The file
// and its sidecars (<path>.aux.xml, the provenance record) appear under
// their names only when all are complete: each is written beside its name
// under a temporary name, then all are flushed and renamed, and all are
// removed on error or cancellation.
func Export(ctx context.Context, path string, r *Result, opts ExportOptions) error {
	format, err := FormatFromPath(path)
	if err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}

	var target *atomicTarget
	switch format {
	case FormatGeoTIFF:
		target, err = exportGeoTIFF(ctx, path, r, opts)
	case FormatGeoPackage:
		target, err = exportGeoPackage(ctx, path, r, opts)
	case FormatGeoJSON:
		target, err = exportGeoJSON(ctx, path, r, opts)
	case FormatKML:
		target, err = exportKML(ctx, path, r, opts)
	}
	if err != nil {
		return err
	}
	if opts.Provenance == nil {
		return target.commit()
	}

	record, err := stageExportProvenance(ctx, path, target.temp, format, r, *opts.Provenance)
	if err != nil {
		target.abort()
		return err
	}
	return commitAll(target, record)
}

// cellRecord is the attribute row of one cell in the vector exports.
type cellRecord struct {
	ID         string
	Row, Col   int
	Status     CellStatus
	Class      string // "" when not classified
	ClassIndex int    // -1 when not classified
	Prob       float64
	Probs      []float32
	Label      string
	NoData     float64
}

func (r *Result) record(c Cell) cellRecord {
	cr := r.Cell(c)
	rec := cellRecord{
		ID: r.Grid.ID(c), Row: c.Row, Col: c.Col, Status: cr.Status,
		ClassIndex: -1, Prob: math.NaN(), Label: r.Label(c), NoData: cr.NoDataFraction,
	}
	if k, p, ok := r.Top(c); ok {
		rec.Class, rec.ClassIndex, rec.Prob, rec.Probs = r.Classes[k].Name, k, roundProb(p), cr.Probs
	}
	return rec
}

var nonFieldChars = regexp.MustCompile(`[^a-z0-9_]+`)

// fieldName turns a class name into a lower-case attribute name part
// ("Dense urban" -> "dense_urban").
func fieldName(class string) string {
	s := nonFieldChars.ReplaceAllString(strings.ToLower(strings.TrimSpace(class)), "_")
	return strings.Trim(s, "_")
}

// probField returns the attribute holding the probability of a class.
func probField(class string) string { return "p_" + fieldName(class) }

// reportProgress calls progress every step cells and at the end.
func reportProgress(progress func(done, total int), done, total int) {
	const step = 256
	if progress != nil && (done%step == 0 || done == total) {
		progress(done, total)
	}
}
