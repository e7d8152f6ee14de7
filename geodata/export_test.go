package geodata

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
)

var testClasses = []Class{
	{Name: "urban", Color: color.NRGBA{R: 230, G: 60, B: 40, A: 255}},
	{Name: "rural", Color: color.NRGBA{R: 60, G: 170, B: 60, A: 255}},
}

// syntheticResult classifies the cells of g with a repeatable pattern:
// every 7th cell is pending, every 5th is nodata, and the others get
// p(urban) = (index % 10) / 10.
func syntheticResult(g *Grid) *Result {
	r := NewResult(g, testClasses)
	for i := range r.Cells {
		switch {
		case i%7 == 3:
			r.Cells[i] = CellResult{Status: CellPending}
		case i%5 == 4:
			r.Cells[i] = CellResult{Status: CellNoData, NoDataFraction: 0.8}
		default:
			pu := float32(i%10) / 10
			r.Cells[i] = CellResult{Status: CellClassified, Probs: []float32{pu, 1 - pu}, NoDataFraction: 0.1}
		}
	}
	return r
}

// wantTop returns the class and probability syntheticResult gives cell i.
func wantTop(r *Result, i int) (class int, prob float64, ok bool) {
	cr := r.Cells[i]
	if cr.Status != CellClassified {
		return -1, 0, false
	}
	if cr.Probs[0] >= cr.Probs[1] {
		return 0, float64(cr.Probs[0]), true
	}
	return 1, float64(cr.Probs[1]), true
}

func TestExportGeoTIFFReadBack(t *testing.T) {
	g := newTestGrid(t, olindaFootprint, 1000)
	r := syntheticResult(g)
	path := filepath.Join(t.TempDir(), "zoning.tif")
	if err := Export(context.Background(), path, r, ExportOptions{}); err != nil {
		t.Fatal(err)
	}

	ds, err := godal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()

	st := ds.Structure()
	if st.SizeX != g.Cols() || st.SizeY != g.Rows() || st.NBands != 2 {
		t.Fatalf("raster is %dx%d with %d bands, want %dx%d with 2", st.SizeX, st.SizeY, st.NBands, g.Cols(), g.Rows())
	}
	gt, err := ds.GeoTransform()
	if err != nil {
		t.Fatal(err)
	}
	if gt != [6]float64{288000, 1000, 0, 9121000, 0, -1000} {
		t.Errorf("geotransform = %v, want the grid's", gt)
	}
	if code := epsgOf(t, ds.SpatialRef()); code != 31985 {
		t.Errorf("CRS EPSG = %d, want 31985", code)
	}
	if layout := ds.Metadata("LAYOUT", godal.Domain("IMAGE_STRUCTURE")); layout != "COG" {
		t.Errorf("LAYOUT = %q, want COG", layout)
	}

	bands := ds.Bands()
	classes := make([]uint8, g.Len())
	probs := make([]uint8, g.Len())
	if err := bands[0].Read(0, 0, classes, g.Cols(), g.Rows()); err != nil {
		t.Fatal(err)
	}
	if err := bands[1].Read(0, 0, probs, g.Cols(), g.Rows()); err != nil {
		t.Fatal(err)
	}
	for i := range classes {
		k, p, ok := wantTop(r, i)
		if !ok {
			if classes[i] != 255 || probs[i] != 255 {
				t.Errorf("cell %d: class %d prob %d, want nodata 255", i, classes[i], probs[i])
			}
			continue
		}
		if int(classes[i]) != k || probs[i] != uint8(math.Round(p*100)) {
			t.Errorf("cell %d: class %d prob %d, want %d %v", i, classes[i], probs[i], k, math.Round(p*100))
		}
	}

	for b := range bands {
		if nd, ok := bands[b].NoData(); !ok || nd != 255 {
			t.Errorf("band %d nodata = %v %v, want 255", b+1, nd, ok)
		}
	}
	ct := bands[0].ColorTable()
	if len(ct.Entries) < 2 || ct.Entries[0] != [4]int16{230, 60, 40, 255} || ct.Entries[1] != [4]int16{60, 170, 60, 255} {
		t.Errorf("colour table starts %v, want the class colours", ct.Entries[:2])
	}
	if ci := colorInterpOf(t, path, 2); ci != "Gray" {
		t.Errorf("probability band interpretation = %s, want Gray (not Alpha, which GIS software draws as transparency)", ci)
	}
	if scale := bands[1].Structure().Scale; scale != 0.01 {
		t.Errorf("probability band scale = %v, want 0.01", scale)
	}
	if names := CategoryNames(path, 1); len(names) != 2 || names[0] != "urban" || names[1] != "rural" {
		t.Errorf("category names = %v, want [urban rural]", names)
	}
}

// colorInterpOf returns the colour interpretation of a band (1-based) of
// the raster at path as Open reports it, with the .aux.xml applied.
func colorInterpOf(t *testing.T, path string, band int) string {
	t.Helper()
	ds, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	return ds.Info().Bands[band-1].ColorInterp
}

func epsgOf(t *testing.T, sr *godal.SpatialRef) int {
	t.Helper()
	if sr == nil {
		return 0
	}
	_ = sr.AutoIdentifyEPSG()
	code, _ := strconv.Atoi(sr.AuthorityCode(""))
	return code
}

func TestExportGeoPackageReadBack(t *testing.T) {
	tests := []struct {
		name      string
		scene     SceneFootprint
		wantEPSG  int
		wantNodes int // points in each cell ring
	}{
		{name: "projected scene", scene: olindaFootprint, wantEPSG: 31985, wantNodes: 5},
		{name: "geographic scene", scene: lundFootprint, wantEPSG: 4326, wantNodes: 4*edgeDensify + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGrid(t, tt.scene, 1000)
			r := syntheticResult(g)
			path := filepath.Join(t.TempDir(), "zoning.gpkg")
			if err := Export(context.Background(), path, r, ExportOptions{}); err != nil {
				t.Fatal(err)
			}
			checkVectorExport(t, path, r, tt.wantEPSG, func(c Cell) (orb.Polygon, error) { return g.CellPolygonScene(c) }, tt.wantNodes)
		})
	}
}

func TestExportGeoJSONAndKMLReadBack(t *testing.T) {
	g := newTestGrid(t, olindaFootprint, 1000)
	r := syntheticResult(g)
	for _, name := range []string{"zoning.geojson", "zoning.kml"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			if err := Export(context.Background(), path, r, ExportOptions{}); err != nil {
				t.Fatal(err)
			}
			checkVectorExport(t, path, r, 4326, g.CellPolygonWGS84, 4*edgeDensify+1)
		})
	}
}

// checkVectorExport reads a vector export with OGR and compares every
// feature with the result: count, CRS, geometry, class and probabilities.
func checkVectorExport(t *testing.T, path string, r *Result, wantEPSG int, polygon func(Cell) (orb.Polygon, error), wantNodes int) {
	t.Helper()
	ds, err := godal.Open(path, godal.VectorOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	layer := ds.Layers()[0]
	if n, _ := layer.FeatureCount(); n != r.Grid.Len() {
		t.Fatalf("%d features, want %d", n, r.Grid.Len())
	}
	if code := epsgOf(t, layer.SpatialRef()); code != wantEPSG {
		t.Errorf("layer CRS EPSG = %d, want %d", code, wantEPSG)
	}

	seen := 0
	for f := layer.NextFeature(); f != nil; f = layer.NextFeature() {
		checkFeature(t, f, r, polygon, wantNodes)
		f.Close()
		seen++
	}
	if seen != r.Grid.Len() {
		t.Errorf("read %d features, want %d", seen, r.Grid.Len())
	}
}

func checkFeature(t *testing.T, f *godal.Feature, r *Result, polygon func(Cell) (orb.Polygon, error), wantNodes int) {
	t.Helper()
	fields := f.Fields()
	id := fields["cell_id"].String()
	c, err := r.Grid.ParseID(id)
	if err != nil {
		t.Fatalf("feature cell_id %q: %v", id, err)
	}
	if int(fields["row"].Int()) != c.Row || int(fields["col"].Int()) != c.Col {
		t.Errorf("cell %s: row/col %d/%d, want %d/%d", id, fields["row"].Int(), fields["col"].Int(), c.Row, c.Col)
	}

	want, err := polygon(c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Geometry().Bounds()
	if err != nil {
		t.Fatal(err)
	}
	wb := want.Bound()
	tol := 1e-6 * math.Max(1, math.Abs(wb.Max[0]))
	if math.Abs(b[0]-wb.Min[0]) > tol || math.Abs(b[1]-wb.Min[1]) > tol || math.Abs(b[2]-wb.Max[0]) > tol || math.Abs(b[3]-wb.Max[1]) > tol {
		t.Errorf("cell %s: bounds %v, want %v", id, b, wb)
	}
	if wkt, _ := f.Geometry().WKT(); strings.Count(wkt, ",")+1 != wantNodes {
		t.Errorf("cell %s: ring has %d points, want %d", id, strings.Count(wkt, ",")+1, wantNodes)
	}

	if got := fields["label"].String(); got != r.Label(c) {
		t.Errorf("cell %s: label %q, want %q", id, got, r.Label(c))
	}

	i := r.Grid.Index(c)
	k, p, ok := wantTop(r, i)
	if fields["status"].String() != string(r.Cells[i].Status) {
		t.Errorf("cell %s: status %q, want %q", id, fields["status"].String(), r.Cells[i].Status)
	}
	if !ok {
		if fields["class"].IsSet() && fields["class"].String() != "" {
			t.Errorf("cell %s: class %q, want none", id, fields["class"].String())
		}
		return
	}
	if fields["class"].String() != r.Classes[k].Name || math.Abs(fields["probability"].Float()-p) > 1e-6 {
		t.Errorf("cell %s: class %q p %v, want %q %v", id, fields["class"].String(), fields["probability"].Float(), r.Classes[k].Name, p)
	}
	if pu := fields["p_urban"].Float(); math.Abs(pu-float64(r.Cells[i].Probs[0])) > 1e-6 {
		t.Errorf("cell %s: p_urban %v, want %v", id, pu, r.Cells[i].Probs[0])
	}
}

func TestExportGeoJSONAntimeridian(t *testing.T) {
	scene := SceneFootprint{CRS: "EPSG:4326", Width: 200, Height: 100,
		GeoTransform: GeoTransform{179.9, 0.001, 0, -16.9, 0, -0.001}}
	g := newTestGrid(t, scene, 1000)
	r := syntheticResult(g)
	path := filepath.Join(t.TempDir(), "fiji.geojson")
	if err := Export(context.Background(), path, r, ExportOptions{}); err != nil {
		t.Fatal(err)
	}

	ds, err := godal.Open(path, godal.VectorOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	layer := ds.Layers()[0]
	multi := 0
	for f := layer.NextFeature(); f != nil; f = layer.NextFeature() {
		geom := f.Geometry()
		b, _ := geom.Bounds()
		if b[0] < -180 || b[2] > 180 {
			t.Errorf("feature %s reaches longitude %v..%v, beyond -180..180", f.Fields()["cell_id"].String(), b[0], b[2])
		}
		if geom.Type() == godal.GTMultiPolygon {
			multi++
			if a := geom.Area(); a <= 0 {
				t.Errorf("split cell has area %v", a)
			}
		}
		f.Close()
	}
	if multi == 0 {
		t.Error("no cell was cut at the antimeridian into a MultiPolygon")
	}
}

func TestSplitAntimeridian(t *testing.T) {
	crossing := orb.Polygon{{{179.5, 0}, {180.5, 0}, {180.5, 1}, {179.5, 1}, {179.5, 0}}}
	got, ok := SplitAntimeridian(crossing).(orb.MultiPolygon)
	if !ok || len(got) != 2 {
		t.Fatalf("SplitAntimeridian = %v, want 2 parts", got)
	}
	east, west := got[0].Bound(), got[1].Bound()
	if east.Min[0] != -180 || east.Max[0] != -179.5 || west.Min[0] != 179.5 || west.Max[0] != 180 {
		t.Errorf("parts span %v and %v, want -180..-179.5 and 179.5..180", east, west)
	}
	for _, p := range got {
		if p[0].Orientation() != orb.CCW {
			t.Errorf("part %v is not counter-clockwise", p)
		}
	}

	inside := orb.Polygon{{{10, 0}, {10, 1}, {11, 1}, {11, 0}, {10, 0}}} // clockwise
	one, ok := SplitAntimeridian(inside).(orb.Polygon)
	if !ok || one[0].Orientation() != orb.CCW {
		t.Errorf("SplitAntimeridian(non-crossing) = %v, want one counter-clockwise polygon", one)
	}
}

func TestExportProvenance(t *testing.T) {
	g := newTestGrid(t, olindaFootprint, 1000)
	r := syntheticResult(g)
	dir := t.TempDir()
	scene := filepath.Join(dir, "scene.bin")
	if err := os.WriteFile(scene, []byte("scene bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	input, err := NewInputRecord(scene)
	if err != nil {
		t.Fatal(err)
	}
	prov := &Provenance{
		Program: "viewer", ProgramVersion: "test", Input: input,
		ModelSet:           &ModelSetRecord{Name: "test-set", Models: []ModelRecord{{Role: "classifier", Name: "c", File: "c.onnx", SHA256: strings.Repeat("a", 64)}}},
		Parameters:         map[string]any{"batch_size": 16},
		ONNXRuntimeVersion: "1.29.0",
	}
	path := filepath.Join(dir, "zoning.gpkg")
	if err := Export(context.Background(), path, r, ExportOptions{Provenance: prov}); err != nil {
		t.Fatal(err)
	}

	got, err := ReadProvenance(path + ProvenanceSuffix)
	if err != nil {
		t.Fatal(err)
	}
	sum, _, err := FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Output.SHA256 != sum || got.Output.Format != FormatGeoPackage {
		t.Errorf("output record = %+v, want sha256 %s of the GeoPackage", got.Output, sum)
	}
	// sha256sum of the 11 bytes "scene bytes".
	if want := "932e27e634b663631c4de1429ec27ef7ca44b3d794221d24c7f1198e83fafa0e"; got.Input.SHA256 != want || got.Input.Bytes != 11 {
		t.Errorf("input = %+v, want sha256 %s and 11 bytes", got.Input, want)
	}
	if got.Grid.EPSG != 31985 || got.Grid.Rows != 11 || got.Grid.CellSizeM != 1000 {
		t.Errorf("grid = %+v", got.Grid)
	}
	if got.GDALVersion == "" || got.ONNXRuntimeVersion != "1.29.0" || got.ModelSet.Name != "test-set" || got.Created == "" {
		t.Errorf("provenance = %+v", got)
	}
	if len(got.Classes) != 2 || got.Classes[0] != "urban" {
		t.Errorf("classes = %v", got.Classes)
	}
}

func TestExportRejectsBadInput(t *testing.T) {
	g := newTestGrid(t, olindaFootprint, 1000)
	dir := t.TempDir()

	wrongProbs := syntheticResult(g)
	wrongProbs.Cells[0] = CellResult{Status: CellClassified, Probs: []float32{1}}
	badProb := syntheticResult(g)
	badProb.Cells[0] = CellResult{Status: CellClassified, Probs: []float32{1.5, -0.5}}
	sameField := syntheticResult(g)
	sameField.Classes = []Class{{Name: "Urban area"}, {Name: "urban-area"}}

	tests := []struct {
		name    string
		path    string
		r       *Result
		wantErr string
	}{
		{name: "unknown extension", path: "zoning.shp", r: syntheticResult(g), wantErr: "extension"},
		{name: "probabilities per class", path: "a.tif", r: wrongProbs, wantErr: "1 probabilities for 2 classes"},
		{name: "probability range", path: "a.gpkg", r: badProb, wantErr: "outside 0..1"},
		{name: "class field names clash", path: "a.geojson", r: sameField, wantErr: "distinct"},
		{name: "missing folder", path: "no/such/dir/a.kml", r: syntheticResult(g), wantErr: "output folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.path)
			err := Export(context.Background(), path, tt.r, ExportOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s exists after a failed export", path)
			}
		})
	}
	assertNoPartialFiles(t, dir)
}

// TestExportCancelKeepsOldFile cancels an export over an existing file:
// the old file stays as it was and no temporary file is left.
func TestExportCancelKeepsOldFile(t *testing.T) {
	g := newTestGrid(t, olindaFootprint, 500)
	r := syntheticResult(g)
	for _, name := range []string{"zoning.gpkg", "zoning.geojson", "zoning.tif", "zoning.kml"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			opts := ExportOptions{Progress: func(done, total int) {
				if done >= total/2 {
					cancel()
				}
			}}
			err := Export(ctx, path, r, opts)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error = %v, want context.Canceled", err)
			}
			if data, _ := os.ReadFile(path); string(data) != "old" {
				t.Errorf("target changed to %d bytes after a cancelled export", len(data))
			}
			assertNoPartialFiles(t, dir)
		})
	}
}

func assertNoPartialFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), partialSuffix) {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}

// exportHelperEnv names the output path when the test binary runs as the
// child process of TestExportKilledMidway.
const exportHelperEnv = "GEODATA_EXPORT_HELPER_OUT"

// TestExportKilledMidway starts this test binary as a child that exports
// and stops halfway, kills it with SIGKILL, and checks that nothing was
// left under the final name (only the temporary file).
func TestExportKilledMidway(t *testing.T) {
	if out := os.Getenv(exportHelperEnv); out != "" {
		runExportHelper(out)
		return
	}
	for _, name := range []string{"zoning.gpkg", "zoning.geojson", "zoning.tif"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			killExportHelper(t, path)

			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s exists after the export was killed: %v", path, err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if !strings.HasSuffix(e.Name(), partialSuffix) && !strings.Contains(e.Name(), partialSuffix+"-") {
					t.Errorf("unexpected file %s after the kill", e.Name())
				}
			}
		})
	}
}

func killExportHelper(t *testing.T, path string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestExportKilledMidway$", "-test.count=1")
	cmd.Env = append(os.Environ(), exportHelperEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "EXPORT-HALFWAY" {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			t.Fatal("helper process ended without reaching the middle of the export")
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("helper process did not reach the middle of the export in 60 s")
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

// runExportHelper exports a synthetic result to out and blocks forever
// halfway through, after telling the parent on stdout.
func runExportHelper(out string) {
	g, err := NewGrid(olindaFootprint, 500)
	if err != nil {
		fmt.Println("EXPORT-FAILED", err)
		os.Exit(1)
	}
	opts := ExportOptions{Progress: func(done, total int) {
		if done >= total/2 {
			fmt.Println("EXPORT-HALFWAY")
			time.Sleep(time.Hour) // the parent kills the process first
		}
	}}
	err = Export(context.Background(), out, syntheticResult(g), opts)
	fmt.Println("EXPORT-FINISHED", err)
	os.Exit(1)
}

// BenchmarkExport writes a 100 x 100 cell result (10,000 polygons) in
// each format.
func BenchmarkExport(b *testing.B) {
	g, err := NewGrid(SceneFootprint{CRS: "EPSG:31985", GeoTransform: GeoTransform{290000, 10, 0, 9120000, 0, -10}, Width: 1000, Height: 1000}, 100)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	r := syntheticResult(g)
	dir := b.TempDir()
	for _, name := range []string{"zoning.tif", "zoning.gpkg", "zoning.geojson", "zoning.kml"} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := Export(context.Background(), filepath.Join(dir, name), r, ExportOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
