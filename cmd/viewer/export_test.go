package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airbusgeo/godal"
	"github.com/downthere/downthere/geodata"
	"github.com/downthere/downthere/inference"
)

func TestExportCommandUsageErrors(t *testing.T) {
	scene := filepath.Join("..", "..", "testdata", "fixtures", "olinda_landsat6.tif")
	dir := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no scene", args: []string{"--out", filepath.Join(dir, "a.gpkg")}, wantErr: "--scene is required"},
		{name: "no output", args: []string{"--scene", scene}, wantErr: "--out is required"},
		{name: "unknown format", args: []string{"--scene", scene, "--out", filepath.Join(dir, "a.shp")}, wantErr: "use the extension"},
		{name: "missing scene", args: []string{"--scene", filepath.Join(dir, "none.tif"), "--out", filepath.Join(dir, "a.gpkg")}, wantErr: "none.tif"},
		{name: "missing folder", args: []string{"--scene", scene, "--out", filepath.Join(dir, "no", "a.gpkg")}, wantErr: "does not exist"},
		{name: "negative grid", args: []string{"--scene", scene, "--out", filepath.Join(dir, "a.gpkg"), "--grid", "-5"}, wantErr: "--grid -5"},
		{name: "nodata share", args: []string{"--scene", scene, "--out", filepath.Join(dir, "a.gpkg"), "--max-nodata", "2"}, wantErr: "--max-nodata 2"},
		{name: "stray argument", args: []string{"--scene", scene, "--out", filepath.Join(dir, "a.gpkg"), "extra"}, wantErr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if rc := dispatch(append([]string{"export"}, tt.args...), &stdout, &stderr); rc != 2 {
				t.Errorf("exit status %d, want 2 (stderr %q)", rc, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

// exportChildEnv makes the test binary run "viewer export" with the
// arguments in the variable (separated by newlines) and exit with its
// status. The export shuts ONNX Runtime down, which a process can do once,
// so it runs in a child process.
const exportChildEnv = "VIEWER_EXPORT_TEST_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(exportChildEnv); args != "" {
		os.Exit(dispatch(strings.Split(args, "\n"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestExportCommandWritesGeoPackage runs "viewer export" on the committed
// Olinda fixture with the test model set on CPU and reads the GeoPackage
// and its provenance back.
func TestExportCommandWritesGeoPackage(t *testing.T) {
	if _, err := inference.FindLibrary(inference.LibraryOptions{}); err != nil {
		if os.Getenv(inference.EnvLibrary) != "" {
			t.Fatalf("$%s is set but the ONNX Runtime library was not found: %v", inference.EnvLibrary, err)
		}
		t.Skipf("ONNX Runtime not found (run `make deps`): %v", err)
	}
	scene, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "fixtures", "olinda_landsat6.tif"))
	testset, _ := filepath.Abs(filepath.Join("..", "..", "inference", "testdata", "testset"))
	out := filepath.Join(t.TempDir(), "zoning.gpkg")

	args := []string{"export", "--scene", scene, "--out", out, "--grid", "1000", "--models", testset, "--provider", "cpu"}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), exportChildEnv+"="+strings.Join(args, "\n"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("viewer export: %v\nstderr:\n%s", err, stderr.String())
	}

	for _, want := range []string{"export: classify:", "SIRGAS 2000 / UTM zone 25S", "on cpu"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("stdout = %q, want the summary naming %s", stdout.String(), out)
	}
	checkExportedCells(t, out)
	checkExportProvenance(t, out, scene)
}

func checkExportedCells(t *testing.T, path string) {
	t.Helper()
	godal.RegisterAll()
	ds, err := godal.Open(path, godal.VectorOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	layer := ds.LayerByName(geodata.GeoPackageLayer)
	if layer == nil {
		t.Fatalf("%s has no layer %s", path, geodata.GeoPackageLayer)
	}
	n, err := layer.FeatureCount()
	if err != nil || n == 0 {
		t.Fatalf("%d features (%v), want one per cell", n, err)
	}
	classified := 0
	for f := layer.NextFeature(); f != nil; f = layer.NextFeature() {
		fields := f.Fields()
		if fields["status"].String() == string(geodata.CellClassified) {
			classified++
			if c := fields["class"].String(); c != "urban" && c != "rural" {
				t.Errorf("cell %s has class %q", fields["cell_id"].String(), c)
			}
		}
		f.Close()
	}
	if classified == 0 {
		t.Error("no cell was classified")
	}
}

func checkExportProvenance(t *testing.T, path, scene string) {
	t.Helper()
	data, err := os.ReadFile(path + geodata.ProvenanceSuffix)
	if err != nil {
		t.Fatal(err)
	}
	var p geodata.Provenance
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	sum, _, err := geodata.FileSHA256(scene)
	if err != nil {
		t.Fatal(err)
	}
	if p.Input.SHA256 != sum || p.ModelSet == nil || len(p.ModelSet.Models) != 4 || p.ONNXRuntimeVersion == "" || p.GDALVersion == "" {
		t.Errorf("provenance = %+v", p)
	}
	if p.Grid.CellSizeM != 1000 || p.Grid.EPSG != 31985 {
		t.Errorf("provenance grid = %+v, want 1000 m cells in EPSG:31985", p.Grid)
	}
}
