package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/downthere/downthere/geodata"
	"github.com/downthere/downthere/inference"
)

func init() {
	registerCommand("export", "classify every grid cell of a scene and write a zoning layer (.tif, .gpkg, .geojson, .kml)", runExport)
}

// exportFlags are the settings of "viewer export".
type exportFlags struct {
	scene      string
	out        string
	gridM      float64
	labels     string
	labelField string
	labelMap   string
	batch      int
	maxNoData  float64
	runtime    *runtimeFlags
}

func parseExportFlags(args []string, stderr io.Writer) (*exportFlags, int) {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &exportFlags{}
	fs.StringVar(&f.scene, "scene", "", "overhead image to classify: any raster GDAL reads (required)")
	fs.StringVar(&f.out, "out", "", "output file; its extension picks the format: .tif (Cloud Optimized GeoTIFF), .gpkg, .geojson or .kml (required)")
	fs.Float64Var(&f.gridM, "grid", 0, "grid cell edge in metres; 0 uses the model set's patch footprint (patch size x ground resolution), as the viewer does")
	fs.StringVar(&f.labels, "labels", "", "optional reference labels written beside each cell's class: polygons (any OGR format) or a class raster")
	fs.StringVar(&f.labelField, "label-field", "", "attribute holding the class of each label polygon; default TIPO with the Olinda mapping URBANO->urban, RURAL->rural")
	fs.StringVar(&f.labelMap, "label-map", "", "extra label values to map to classes, as VALUE=CLASS pairs separated by commas (for example FAVELA=urban,INDUSTRIAL=urban)")
	fs.IntVar(&f.batch, "batch", geodata.DefaultClassifyBatch, "patches per model call")
	fs.Float64Var(&f.maxNoData, "max-nodata", geodata.DefaultMaxNoDataFraction, "skip cells whose patch has more than this share of nodata pixels (0 to 1)")
	f.runtime = addRuntimeFlags(fs)

	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: viewer export --scene FILE --out FILE [--grid METRES] [--models DIR] [--provider auto|cpu|cuda|tensorrt] [--labels FILE]")
		fmt.Fprintln(stderr, "\nRuns the land-use classifier over every grid cell of the scene, the same code path")
		fmt.Fprintln(stderr, "as the viewer's overlay, and writes the zoning layer with a provenance record")
		fmt.Fprintln(stderr, "(<out>.provenance.json). Progress goes to stderr, a summary to stdout. The file")
		fmt.Fprintln(stderr, "appears only when complete; Ctrl-C stops the run and leaves no partial file.")
		fs.PrintDefaults()
	}

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	if err := f.check(fs); err != nil {
		fmt.Fprintln(stderr, "viewer export:", err)
		return nil, 2
	}
	return f, -1
}

func (f *exportFlags) check(fs *flag.FlagSet) error {
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q; give the scene with --scene", fs.Arg(0))
	case f.scene == "":
		return errors.New("--scene is required: the overhead image to classify")
	case f.out == "":
		return errors.New("--out is required: the file to write (.tif, .gpkg, .geojson or .kml)")
	case f.gridM < 0:
		return fmt.Errorf("--grid %g: give a cell edge in metres, or 0 for the model set's patch footprint", f.gridM)
	case f.batch < 1:
		return fmt.Errorf("--batch %d: give at least 1", f.batch)
	case !(f.maxNoData > 0 && f.maxNoData <= 1):
		return fmt.Errorf("--max-nodata %g: give a share between 0 (exclusive) and 1", f.maxNoData)
	}
	if _, err := geodata.FormatFromPath(f.out); err != nil {
		return err
	}
	if _, err := os.Stat(f.scene); err != nil {
		return fmt.Errorf("--scene: %w", err)
	}
	if st, err := os.Stat(filepath.Dir(f.out)); err != nil || !st.IsDir() {
		return fmt.Errorf("--out: folder %s does not exist", filepath.Dir(f.out))
	}
	return nil
}

func runExport(args []string, stdout, stderr io.Writer) int {
	f, status := parseExportFlags(args, stderr)
	if f == nil {
		return status
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := exportScene(ctx, f, stdout, stderr); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "viewer export: cancelled; nothing was written to", f.out)
			return 130
		}
		fmt.Fprintln(stderr, "viewer export:", err)
		return 1
	}
	return 0
}

// exportScene classifies the scene and writes the export.
func exportScene(ctx context.Context, f *exportFlags, stdout, stderr io.Writer) error {
	ds, err := geodata.Open(f.scene)
	if err != nil {
		return err
	}
	defer ds.Close()
	defer printGDALMessages(stderr, geodata.TakeGDALMessages())
	printGDALMessages(stderr, ds.Info().Warnings)
	if note := bandNote(ds.Info()); note != "" {
		fmt.Fprintln(stderr, "export: note:", note)
	}

	engine, err := f.runtime.openEngine(ctx, sceneGroundResolution(f.scene))
	if err != nil {
		return err
	}
	defer inference.Shutdown()
	reg := engine.Registry()
	defer reg.Close()
	ms := reg.Active()
	m, err := newGUIModels(reg, ms)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "export: model set %s %s on %s, trained on %g m pixels; each cell is read as one patch of %d x %d px\n",
		ms.Name(), ms.Spec().Version, ms.Provider(), m.trainedResM, m.spec.Size, m.spec.Size)

	g, labels, err := exportGrid(ctx, f, ds, m, stderr)
	if err != nil {
		return err
	}
	defer g.Close()

	res, err := classifyForExport(ctx, f, ds, g, m, labels, stderr)
	if err != nil {
		return err
	}
	prov, err := exportProvenance(f, m, g)
	if err != nil {
		return err
	}
	progress := newExportProgress(stderr, "write "+filepath.Base(f.out))
	if err := geodata.Export(ctx, f.out, res, geodata.ExportOptions{Provenance: prov, Progress: progress.update}); err != nil {
		return err
	}
	printExportSummary(stdout, f.out, res)
	return nil
}

// exportGrid lays the grid and reads the optional label layer.
func exportGrid(ctx context.Context, f *exportFlags, ds *geodata.Dataset, m *guiModels, stderr io.Writer) (*geodata.Grid, *geodata.LabelLayer, error) {
	cellSize := f.gridM
	if cellSize == 0 {
		cellSize = cellSizeForScene(m, groundResolution(ds.Info()))
	}
	g, err := geodata.NewGridForDataset(ds, cellSize)
	if err != nil {
		return nil, nil, err
	}
	if err := checkExportableScene(f, ds, g); err != nil {
		g.Close()
		return nil, nil, err
	}
	fmt.Fprintf(stderr, "export: %d x %d cells of %g m in %s\n", g.Rows(), g.Cols(), g.CellSizeM(), g.CRSName())
	if g.Note() != "" {
		fmt.Fprintln(stderr, "export: note:", g.Note())
	}
	if f.labels == "" {
		return g, nil, nil
	}

	labels, err := readExportLabels(ctx, f, g)
	if err != nil {
		g.Close()
		return nil, nil, err
	}
	fmt.Fprintf(stderr, "export: labels %s: classes %s, %d cells at least half labelled\n",
		f.labels, strings.Join(labels.Classes, ", "), labels.LabelledCells(geodata.DefaultMinLabelCoverage))
	printUnmappedLabels(stderr, f.labels, labels.Unmapped)
	return g, labels, nil
}

// checkExportableScene rejects an export before any cell is classified.
// It rejects a scene whose first pixel cannot be read and a scene without
// georeferencing, whose cells would be measured in pixels. It also rejects
// GeoJSON and KML output when the grid's CRS has no longitude/latitude.
func checkExportableScene(f *exportFlags, ds *geodata.Dataset, g *geodata.Grid) error {
	if _, _, err := ds.PixelValues(0, 0); err != nil {
		return err
	}
	if ds.Info().Georef == geodata.GeorefNone {
		return fmt.Errorf("scene %s has no georeferencing (no geotransform, GCPs or CRS): a zoning export needs a georeferenced raster; "+
			"add one with gdal_edit.py -a_ullr ULX ULY LRX LRY -a_srs EPSG:CODE", f.scene)
	}

	format, err := geodata.FormatFromPath(f.out)
	if err != nil {
		return err
	}
	if g.HasLonLat() || (format != geodata.FormatGeoJSON && format != geodata.FormatKML) {
		return nil
	}
	return fmt.Errorf("scene %s: %w, but %s needs longitude/latitude: "+
		"write .tif or .gpkg instead, or assign a CRS with gdal_edit.py -a_srs EPSG:CODE", f.scene, geodata.ErrNoGeographicCRS, format)
}

// printUnmappedLabels warns about label values that no class mapping
// names, most frequent first, since their polygons stay unlabelled.
func printUnmappedLabels(stderr io.Writer, path string, unmapped map[string]int) {
	if len(unmapped) == 0 {
		return
	}
	values := make([]string, 0, len(unmapped))
	for v := range unmapped {
		values = append(values, v)
	}
	sort.Slice(values, func(i, j int) bool {
		if unmapped[values[i]] != unmapped[values[j]] {
			return unmapped[values[i]] > unmapped[values[j]]
		}
		return values[i] < values[j]
	})
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%s (%d)", v, unmapped[v])
	}
	fmt.Fprintf(stderr, "export: warning: labels %s: %d values have no class and stay unlabelled: %s; "+
		"map them with --label-map VALUE=CLASS,... (for example --label-map %s=urban)\n",
		path, len(values), strings.Join(parts, ", "), values[0])
}

// printGDALMessages prints GDAL warnings and errors that no returned
// error carries, one line each.
func printGDALMessages(stderr io.Writer, messages []string) {
	for _, m := range messages {
		fmt.Fprintln(stderr, "export: GDAL warning:", m)
	}
}

// readExportLabels reads --labels as polygons, or as a class raster when
// OGR finds no vector layer in it.
func readExportLabels(ctx context.Context, f *exportFlags, g *geodata.Grid) (*geodata.LabelLayer, error) {
	opts := geodata.OlindaTractLabels
	if f.labelField != "" {
		opts = geodata.PolygonLabelOptions{Field: f.labelField}
	}
	if err := addLabelMapping(&opts, f.labelMap); err != nil {
		return nil, err
	}
	labels, err := geodata.ReadPolygonLabels(ctx, f.labels, g, opts)
	if err == nil {
		return labels, nil
	}
	raster, rerr := geodata.ReadRasterLabels(ctx, f.labels, g, geodata.RasterLabelOptions{})
	if rerr != nil {
		return nil, fmt.Errorf("--labels: read as polygons: %w; read as a class raster: %v", err, rerr)
	}
	return raster, nil
}

// addLabelMapping adds the VALUE=CLASS pairs of --label-map to opts. With
// the default Olinda mapping, CLASS must be one of its classes.
func addLabelMapping(opts *geodata.PolygonLabelOptions, pairs string) error {
	if pairs == "" {
		return nil
	}
	mapping := maps.Clone(opts.Mapping)
	if mapping == nil {
		mapping = map[string]string{}
	}
	for _, pair := range strings.Split(pairs, ",") {
		value, class, ok := strings.Cut(pair, "=")
		value, class = strings.TrimSpace(value), strings.TrimSpace(class)
		if !ok || value == "" || class == "" {
			return fmt.Errorf("--label-map: invalid pair %q: give VALUE=CLASS", pair)
		}
		if len(opts.Classes) > 0 && !slices.Contains(opts.Classes, class) {
			return fmt.Errorf("--label-map %s: class %q is not one of %s", pair, class, strings.Join(opts.Classes, ", "))
		}
		mapping[value] = class
	}
	opts.Mapping = mapping
	return nil
}

// classifyForExport runs geodata.ClassifyGrid with the viewer's
// classifier, so the export holds what the overlay shows.
func classifyForExport(ctx context.Context, f *exportFlags, ds *geodata.Dataset, g *geodata.Grid, m *guiModels, labels *geodata.LabelLayer, stderr io.Writer) (*geodata.Result, error) {
	style, err := geodata.DefaultPatchStyle(ds)
	if err != nil {
		return nil, err
	}
	progress := newExportProgress(stderr, "classify")
	res, err := geodata.ClassifyGrid(ctx, ds, g, gridClassifier{m}, geodata.ClassifyOptions{
		Style: style, BatchSize: f.batch, MaxNoDataFraction: f.maxNoData,
		Labels: labels, Progress: progress.update,
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// exportProvenance records the scene, the model set and the settings.
func exportProvenance(f *exportFlags, m *guiModels, g *geodata.Grid) (*geodata.Provenance, error) {
	in, err := geodata.NewInputRecord(f.scene)
	if err != nil {
		return nil, err
	}
	rt, err := f.runtime.startRuntime()
	if err != nil {
		return nil, err
	}
	params := map[string]any{
		"command":         "viewer export",
		"grid_m":          g.CellSizeM(),
		"batch_size":      f.batch,
		"max_nodata_frac": f.maxNoData,
		"views_per_cell":  m.views,
		"seed":            "fnv-1a of the cell id (ui.DefaultSeed)",
		"patch_size_px":   m.spec.Size,
		"patch_res_m":     m.patchResolution(g.CellSizeM()),
		"provider":        m.ms.Provider().String(),
	}
	if f.labels != "" {
		params["labels"] = f.labels
	}
	return &geodata.Provenance{
		Program: "downthere viewer", ProgramVersion: appVersion,
		Input: in, ModelSet: modelSetRecord(m.ms), Parameters: params,
		ONNXRuntimeVersion: rt.Library().Version,
	}, nil
}

// exportProgress writes "<what>: done/total (pct), elapsed, ETA" lines
// at most every two seconds, and always the last one.
type exportProgress struct {
	w     io.Writer
	what  string
	start time.Time
	last  time.Time
}

func newExportProgress(w io.Writer, what string) *exportProgress {
	now := time.Now()
	return &exportProgress{w: w, what: what, start: now, last: now}
}

func (p *exportProgress) update(done, total int) {
	now := time.Now()
	if done < total && now.Sub(p.last) < 2*time.Second {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start)
	line := fmt.Sprintf("export: %s: %d/%d cells (%.0f %%), %s elapsed", p.what, done, total, 100*float64(done)/float64(max(total, 1)), elapsed.Round(time.Second))
	if done > 0 && done < total {
		left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		line += fmt.Sprintf(", about %s left", left.Round(time.Second))
	}
	fmt.Fprintln(p.w, line)
}

// printExportSummary prints the output file and the cell count per class.
func printExportSummary(w io.Writer, out string, res *geodata.Result) {
	counts := make([]int, len(res.Classes))
	skipped := 0
	for _, c := range res.Grid.Cells() {
		if k, _, ok := res.Top(c); ok {
			counts[k]++
		} else {
			skipped++
		}
	}
	fmt.Fprintf(w, "wrote %s and %s\n", out, out+geodata.ProvenanceSuffix)
	for i, c := range res.Classes {
		fmt.Fprintf(w, "  %-12s %d cells\n", c.Name, counts[i])
	}
	fmt.Fprintf(w, "  %-12s %d cells (too much nodata)\n", "unclassified", skipped)
}
