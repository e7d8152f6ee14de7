package evaluation

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"

	"github.com/downthere/downthere/geodata"
)

// Olinda setting: the Landsat 7 scene cut into 500 m cells, each labelled
// urban or rural by the IBGE 2010 tracts (the majority class of a cell that
// tracts cover at least half of).
const (
	olindaRaster    = "L7_ETMs.tif"
	olindaTracts    = "olinda1.shp"
	olindaCellSizeM = 500
	// olindaBlockCells is the edge of a spatial split block in cells
	// (1.5 km), and olindaTestFraction the share of cells held out.
	olindaBlockCells   = 3
	olindaTestFraction = 0.25
)

// olindaCells are the labelled cells of the Olinda scene that lie wholly
// inside it, with their patches as the map shows them (bands 3, 2, 1 with
// the default 2-98 % stretch).
type olindaCells struct {
	IDs    []string
	Cells  []geodata.Cell
	X, Y   []float64 // cell centres in the grid CRS (EPSG:31985), metres
	Labels []int     // 0 urban, 1 rural
	RGB    [][]uint8 // patch pixels, row by row, 3 bytes each
	Size   int       // patch edge in pixels
}

// loadOlinda reads the scene and tracts in dir and cuts one patchSize
// patch per labelled 500 m cell.
func loadOlinda(ctx context.Context, dir string, patchSize int) (*olindaCells, error) {
	ds, err := geodata.Open(filepath.Join(dir, olindaRaster))
	if err != nil {
		return nil, fmt.Errorf("olinda: %w", err)
	}
	defer ds.Close()
	grid, err := geodata.NewGridForDataset(ds, olindaCellSizeM)
	if err != nil {
		return nil, fmt.Errorf("olinda: %w", err)
	}
	defer grid.Close()
	labels, err := geodata.ReadPolygonLabels(ctx, filepath.Join(dir, olindaTracts), grid, geodata.OlindaTractLabels)
	if err != nil {
		return nil, fmt.Errorf("olinda: %w", err)
	}
	if len(labels.Classes) != 2 || labels.Classes[0] != "urban" || labels.Classes[1] != "rural" {
		return nil, fmt.Errorf("olinda: tract classes %v, want [urban rural]", labels.Classes)
	}

	style, err := geodata.DefaultPatchStyle(ds)
	if err != nil {
		return nil, fmt.Errorf("olinda: %w", err)
	}
	reader, err := geodata.NewPatchReader(ds, grid, geodata.PatchSpec{Size: patchSize}, style)
	if err != nil {
		return nil, fmt.Errorf("olinda: %w", err)
	}
	defer reader.Close()

	out := &olindaCells{Size: patchSize}
	for _, c := range grid.Cells() {
		class := labels.Label(c).Class(geodata.DefaultMinLabelCoverage)
		if class < 0 {
			continue
		}
		p, err := reader.Read(c)
		if err != nil {
			return nil, fmt.Errorf("olinda: %w", err)
		}
		if p.Edge || p.NoDataFraction > 0 {
			continue
		}
		x, y := grid.CellCentre(c)
		out.IDs, out.Cells = append(out.IDs, p.CellID), append(out.Cells, c)
		out.X, out.Y = append(out.X, x), append(out.Y, y)
		out.Labels, out.RGB = append(out.Labels, class), append(out.RGB, p.RGB)
	}
	if len(out.Labels) == 0 {
		return nil, fmt.Errorf("olinda: no 500 m cell of %s is at least half covered by the tracts of %s", olindaRaster, olindaTracts)
	}
	return out, nil
}

// blockSplit groups the cells into square blocks of olindaBlockCells
// cells, shuffles the blocks with the seed and moves whole blocks to the
// test split until it holds olindaTestFraction of the cells. It tries new
// shuffles (up to 1000) until the test split holds between
// olindaMinClassShare and half of each class's cells, and also returns
// each cell's block number, for spatial cross-validation folds.
func (o *olindaCells) blockSplit(seed int64) (train, test, block []int, err error) {
	members := map[[2]int][]int{}
	var keys [][2]int
	for i, c := range o.Cells {
		k := [2]int{c.Row / olindaBlockCells, c.Col / olindaBlockCells}
		if _, ok := members[k]; !ok {
			keys = append(keys, k)
		}
		members[k] = append(members[k], i)
	}
	sort.Slice(keys, func(a, b int) bool {
		return keys[a][0] < keys[b][0] || (keys[a][0] == keys[b][0] && keys[a][1] < keys[b][1])
	})
	block = make([]int, len(o.Cells))
	for b, k := range keys {
		for _, i := range members[k] {
			block[i] = b
		}
	}

	h := fnv.New64a()
	h.Write([]byte("olinda-blocks"))
	want := int(math.Round(olindaTestFraction * float64(len(o.Cells))))
	totals := [2]int{}
	for _, l := range o.Labels {
		totals[l]++
	}
	for attempt := range 1000 {
		rng := rand.New(rand.NewPCG(uint64(seed), h.Sum64()+uint64(attempt)))
		order := rng.Perm(len(keys))
		train, test = nil, nil
		for _, b := range order {
			if len(test) < want {
				test = append(test, members[keys[b]]...)
			} else {
				train = append(train, members[keys[b]]...)
			}
		}
		if balancedSplit(o.labelsAt(test), totals) {
			sort.Ints(train)
			sort.Ints(test)
			return train, test, block, nil
		}
	}
	return nil, nil, nil, fmt.Errorf("olinda: spatial split failed: no shuffle of %d cells (%d urban, %d rural) in %dx%d-cell blocks holds out %.0f %% to 50 %% of each class; the scene has too few cells of one class", len(o.Cells), totals[0], totals[1], olindaBlockCells, olindaBlockCells, 100*olindaMinClassShare)
}

// olindaMinClassShare is the smallest share of each class's cells that the
// test split must hold, so that the few rural cells are not left out.
const olindaMinClassShare = 0.15

// balancedSplit reports whether test holds between olindaMinClassShare
// and half of each class's cells (at least one).
func balancedSplit(test []int, totals [2]int) bool {
	var n [2]int
	for _, l := range test {
		n[l]++
	}
	for c := range n {
		if n[c] < max(1, int(math.Ceil(olindaMinClassShare*float64(totals[c])))) || 2*n[c] > totals[c] {
			return false
		}
	}
	return true
}

func (o *olindaCells) labelsAt(idx []int) []int {
	out := make([]int, len(idx))
	for k, i := range idx {
		out[k] = o.Labels[i]
	}
	return out
}
