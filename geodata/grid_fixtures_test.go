package geodata

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGridAndPatchesOnFixtures lays a grid over every committed test
// raster that opens, and reads the patch of the cell at the scene centre:
// rotated, south-up, GCP-only, ungeoreferenced, local-CRS, palette,
// alpha and antimeridian rasters all get a grid and a patch with data.
func TestGridAndPatchesOnFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "fixtures", "*"))
	if err != nil || len(paths) == 0 {
		t.Skipf("no fixtures in ../testdata/fixtures (%v)", err)
	}
	for _, path := range paths {
		name := filepath.Base(path)
		if strings.HasSuffix(name, ".aux.xml") || strings.HasSuffix(name, ".ovr") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			ds, err := Open(path)
			if err != nil {
				t.Skipf("does not open (covered by the raster tests): %v", err)
			}
			defer ds.Close()
			checkFixtureGrid(t, ds)
		})
	}
}

func checkFixtureGrid(t *testing.T, ds *Dataset) {
	info := ds.Info()
	// About 4 x 4 cells whatever the units.
	cell := info.Extent.Width() / 4
	if info.CRS.Kind == CRSGeographic {
		cell *= 111320
	}
	g, err := NewGridForDataset(ds, cell)
	if err != nil {
		t.Fatalf("grid of %g m: %v", cell, err)
	}
	defer g.Close()

	style, err := DefaultPatchStyle(ds)
	if err != nil {
		t.Skipf("no display style (covered by the render tests): %v", err)
	}
	r, err := NewPatchReader(ds, g, PatchSpec{Size: 16}, style)
	if err != nil {
		t.Fatalf("patch reader: %v", err)
	}
	defer r.Close()

	cx, cy := info.GeoTransform.PixelToMap(float64(info.Width)/2, float64(info.Height)/2)
	c, ok := g.CellAt(cx, cy)
	if !ok {
		t.Fatalf("no cell under the scene centre %v, %v (grid %d x %d, note %q)", cx, cy, g.Rows(), g.Cols(), g.Note())
	}
	p, err := r.Read(c)
	if err != nil {
		t.Fatalf("patch of %s: %v", g.ID(c), err)
	}
	if p.NoDataFraction == 1 && !strings.Contains(info.Path, "nodata") {
		t.Errorf("centre patch %s has no valid pixel", g.ID(c))
	}
	if testing.Verbose() {
		t.Logf("%s: %dx%d cells in %s, centre %s nodata %.2f edge %v; note %q", filepath.Base(info.Path), g.Rows(), g.Cols(), g.CRSName(), g.ID(c), p.NoDataFraction, p.Edge, g.Note())
	}
}
