package geodata

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// brightnessClassifier is a small real classifier for tests: the mean
// brightness of a patch's valid pixels, scaled to 0..1, is the
// probability of the first class.
type brightnessClassifier struct {
	spec   PatchSpec
	calls  atomic.Int32
	failAt int32 // call number that fails; 0 never
	short  bool  // return one result too few
	onCall func(n int32)
}

func (b *brightnessClassifier) PatchSpec() PatchSpec { return b.spec }
func (b *brightnessClassifier) Classes() []Class     { return testClasses }

func (b *brightnessClassifier) ClassifyPatches(ctx context.Context, patches []*Patch) ([][]float32, error) {
	n := b.calls.Add(1)
	if b.onCall != nil {
		b.onCall(n)
	}
	if n == b.failAt {
		return nil, errors.New("model failed")
	}
	out := make([][]float32, 0, len(patches))
	for _, p := range patches {
		var sum, count float64
		for i, ok := range p.Valid {
			if ok {
				sum += float64(p.RGB[3*i]) + float64(p.RGB[3*i+1]) + float64(p.RGB[3*i+2])
				count += 3
			}
		}
		pu := float32(sum / count / 255)
		out = append(out, []float32{pu, 1 - pu})
	}
	if b.short {
		out = out[1:]
	}
	return out, nil
}

func classifyTestScene(t *testing.T) (*Dataset, *Grid) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rgb.tif")
	writeRGBRaster(t, path, 31985, [6]float64{290000, 10, 0, 9118000, 0, -10}, 250, 250,
		func(c, r int) bool { return c >= 150 && r >= 150 })
	ds := openTestDataset(t, path)
	g, err := NewGridForDataset(ds, 1000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return ds, g
}

func TestClassifyGrid(t *testing.T) {
	ds, g := classifyTestScene(t)
	clf := &brightnessClassifier{spec: PatchSpec{Size: 20}}
	var batches, lastDone, lastTotal int
	opts := ClassifyOptions{
		Style: identityStyle, BatchSize: 2,
		Progress: func(done, total int) { lastDone, lastTotal = done, total },
		OnBatch:  func(cells []Cell, results []CellResult) { batches++ },
	}
	res, err := ClassifyGrid(context.Background(), ds, g, clf, opts)
	if err != nil {
		t.Fatal(err)
	}

	if lastDone != 9 || lastTotal != 9 || batches != 5 {
		t.Errorf("progress %d/%d after %d batches, want 9/9 after 5", lastDone, lastTotal, batches)
	}
	want := map[string]CellStatus{
		"E0290N9117-1000": CellClassified,
		"E0291N9116-1000": CellClassified, // a quarter nodata
		"E0292N9116-1000": CellNoData,     // half outside, a quarter nodata
		"E0292N9115-1000": CellNoData,     // no valid pixel
	}
	for id, status := range want {
		c, _ := g.ParseID(id)
		if got := res.Cell(c).Status; got != status {
			t.Errorf("cell %s status %s, want %s", id, got, status)
		}
	}
	c, _ := g.ParseID("E0290N9117-1000")
	k, p, ok := res.Top(c)
	if want := float32(100+150+200) / 3 / 255; !ok || k != 0 || abs32(p-want) > 1e-6 {
		t.Errorf("cell E0290N9117-1000: top %d %v %v, probs %v; want p(urban) %v", k, p, ok, res.Cell(c).Probs, want)
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

func TestClassifyGridErrors(t *testing.T) {
	ds, g := classifyTestScene(t)
	tests := []struct {
		name    string
		clf     *brightnessClassifier
		cancel  bool
		wantErr string
	}{
		{name: "classifier fails", clf: &brightnessClassifier{spec: PatchSpec{Size: 8}, failAt: 2}, wantErr: "model failed"},
		{name: "too few results", clf: &brightnessClassifier{spec: PatchSpec{Size: 8}, short: true}, wantErr: "results for"},
		{name: "bad patch spec", clf: &brightnessClassifier{spec: PatchSpec{Size: 0}}, wantErr: "patch size 0"},
		{name: "cancelled", clf: &brightnessClassifier{spec: PatchSpec{Size: 8}}, cancel: true, wantErr: context.Canceled.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				tt.clf.onCall = func(n int32) { cancel() }
			}
			_, err := ClassifyGrid(ctx, ds, g, tt.clf, ClassifyOptions{Style: identityStyle, BatchSize: 2})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestClassifyOlindaAndExport runs the whole headless path on the real
// Olinda scene: grid, labels, patches with the map style, a classifier,
// and a GeoPackage export read back with OGR.
func TestClassifyOlindaAndExport(t *testing.T) {
	dir := sharedDataDir(t, "olinda")
	ds := openTestDataset(t, filepath.Join(dir, "L7_ETMs.tif"))
	g, err := NewGridForDataset(ds, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	labels, err := ReadPolygonLabels(context.Background(), filepath.Join(dir, "olinda1.shp"), g, OlindaTractLabels)
	if err != nil {
		t.Fatal(err)
	}

	clf := &brightnessClassifier{spec: PatchSpec{Size: 32, GroundResolutionM: 28.5}}
	res, err := ClassifyGrid(context.Background(), ds, g, clf, ClassifyOptions{Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	classified, nodata := 0, 0
	for _, c := range res.Cells {
		switch c.Status {
		case CellClassified:
			classified++
		case CellNoData:
			nodata++
		}
	}
	if classified+nodata != g.Len() || classified < 90 {
		t.Errorf("%d classified and %d nodata of %d cells; want every cell done and most classified", classified, nodata, g.Len())
	}

	withLabel := 0
	for _, c := range g.Cells() {
		if res.Label(c) != "" {
			withLabel++
		}
	}
	if withLabel != labels.LabelledCells(DefaultMinLabelCoverage) {
		t.Errorf("%d cells carry a label, want the %d at least half covered by tracts", withLabel, labels.LabelledCells(DefaultMinLabelCoverage))
	}

	out := filepath.Join(t.TempDir(), "olinda.gpkg")
	if err := Export(context.Background(), out, res, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	checkVectorExport(t, out, res, 31985, g.CellPolygonScene, 5)
}
