package geodata

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// overviewTestRaster writes a 1500x1100 two-band raster with no overviews.
func overviewTestRaster(t *testing.T) string {
	t.Helper()
	r := testRaster{width: 1500, height: 1100, bands: 2, geoTransform: &GeoTransform{500000, 1, 0, 5000000, 0, -1}, crs: "EPSG:32633",
		fill: func(band, col, row int) float64 { return float64((col*band + row) % 251) }}
	return r.write(t, t.TempDir(), "plain.tif")
}

func TestBuildOverviews(t *testing.T) {
	path := overviewTestRaster(t)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fractions []float64
	err = BuildOverviews(context.Background(), path, OverviewOptions{Progress: func(f float64) { fractions = append(fractions, f) }})
	if err != nil {
		t.Fatal(err)
	}

	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("BuildOverviews modified the raster file")
	}
	if _, err := os.Stat(OverviewPath(path)); err != nil {
		t.Errorf("no overview file: %v", err)
	}
	if len(fractions) == 0 || fractions[len(fractions)-1] != 1 {
		t.Errorf("progress = %d calls ending at %v, want calls ending at 1", len(fractions), fractions[max(len(fractions)-1, 0):])
	}
	assertNoBuildLeftovers(t, filepath.Dir(path))

	ds, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	ovr := ds.Info().Bands[0].Overviews
	if len(ovr) != 3 || ovr[0] != (Size{750, 550}) {
		t.Errorf("overviews = %v, want 750x550, 375x275, 188x138", ovr)
	}

	err = BuildOverviews(context.Background(), path, OverviewOptions{})
	if !errors.Is(err, ErrHasOverviews) {
		t.Errorf("second build error = %v, want ErrHasOverviews", err)
	}
}

func TestBuildOverviewsCancel(t *testing.T) {
	path := overviewTestRaster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	err := BuildOverviews(ctx, path, OverviewOptions{Resampling: "average", Progress: func(f float64) {
		calls++
		if f > 0.1 {
			cancel()
		}
	}})
	t.Logf("error after %d progress calls: %v", calls, err)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(OverviewPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cancelled build left %s (stat error %v)", OverviewPath(path), err)
	}
	assertNoBuildLeftovers(t, filepath.Dir(path))
}

func TestBuildOverviewsErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		opts OverviewOptions
		want error
	}{
		{"missing raster", filepath.Join(dir, "none.tif"), OverviewOptions{}, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := BuildOverviews(context.Background(), tt.path, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
	path := overviewTestRaster(t)
	if err := BuildOverviews(context.Background(), path, OverviewOptions{Levels: []int{1}}); err == nil {
		t.Error("level 1 accepted")
	}
}

func assertNoBuildLeftovers(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".tif" && filepath.Ext(e.Name()) != ".ovr" {
			t.Errorf("leftover %s in %s", e.Name(), dir)
		}
	}
}
