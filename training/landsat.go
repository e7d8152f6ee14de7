//go:build onnx

package training

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"

	"github.com/downthere/downthere/geodata"
)

// Olinda scene files inside the data folder, and the ground classes that
// its urban and rural cells are paired with: built-up tracts with
// buildings, the rural tracts (forest, in this scene) with forest.
const (
	landsatRaster   = "olinda/L7_ETMs.tif"
	landsatTracts   = "olinda/olinda1.shp"
	landsatUrbanTo  = "buildings"
	landsatRuralTo  = "forest"
	landsatCoverage = geodata.DefaultMinLabelCoverage
)

// landsatRGB are the 1-based Landsat 7 ETM+ bands shown as red, green and
// blue (ETM+ bands 3, 2, 1).
var landsatRGB = []int{3, 2, 1}

// loadLandsat cuts the Olinda Landsat scene into grid cells of
// cfg.CellSizeM metres, labels them urban or rural from the census tracts
// (majority class over at least half the cell) and splits them by spatial
// blocks of cfg.BlockCells x cfg.BlockCells cells. Each patch is the cell
// resampled bilinearly to cfg.PatchSize pixels after a 2-98 % stretch per
// band over the scene.
func loadLandsat(cfg Config) (*pairedData, error) {
	dataDir := cfg.Resolve(cfg.DataDir)
	ds, err := geodata.Open(filepath.Join(dataDir, landsatRaster))
	if err != nil {
		return nil, fmt.Errorf("landsat setting: %w", err)
	}
	defer ds.Close()
	info := ds.Info()
	grid, err := geodata.NewGrid(geodata.SceneFootprint{CRS: info.CRS.WKT, GeoTransform: info.GeoTransform, Width: info.Width, Height: info.Height}, cfg.CellSizeM)
	if err != nil {
		return nil, fmt.Errorf("landsat setting: %w", err)
	}
	defer grid.Close()
	if !grid.SameCRSAsScene() {
		return nil, fmt.Errorf("landsat setting: %s is not in a projected CRS; the grid needs the scene's own metres", landsatRaster)
	}
	labels, err := geodata.ReadPolygonLabels(context.Background(), filepath.Join(dataDir, landsatTracts), grid, geodata.OlindaTractLabels)
	if err != nil {
		return nil, fmt.Errorf("landsat setting: %w", err)
	}
	planes, err := readStretchedRGB(ds, info.Width, info.Height)
	if err != nil {
		return nil, err
	}
	cells, set := landsatPatches(cfg, grid, labels, planes, info)
	d := &pairedData{
		OverheadClasses: labels.Classes,
		ResolutionM:     cfg.CellSizeM / float64(cfg.PatchSize),
		Sources:         []string{"olinda", "intel_scenes", "flickr_landscapes"},
	}
	for _, name := range labels.Classes {
		ground := landsatRuralTo
		if name == "urban" {
			ground = landsatUrbanTo
		}
		g, err := groundIndex(ground)
		if err != nil {
			return nil, err
		}
		d.GroundOfClass = append(d.GroundOfClass, g)
		d.UrbanOfClass = append(d.UrbanOfClass, name == "urban")
	}
	train, test := spatialBlockSplit(cells, cfg)
	d.OverheadTrain, d.OverheadTest = set.subset(train), set.subset(test)
	if d.OverheadTrain.Len() == 0 || d.OverheadTest.Len() == 0 {
		return nil, fmt.Errorf("landsat setting: %d labelled cells of %g m give %d training and %d test cells; use smaller cells", set.Len(), cfg.CellSizeM, len(train), len(test))
	}
	if d.PhotosTrain, d.PhotosTest, err = loadPhotos(cfg); err != nil {
		return nil, err
	}
	d.PhotosTrain = keepGround(d.PhotosTrain, d.GroundOfClass)
	d.PhotosTest = keepGround(d.PhotosTest, d.GroundOfClass)
	return d, nil
}

// readStretchedRGB reads the RGB bands and maps each band's 2nd to 98th
// percentile of valid pixels to 0..255.
func readStretchedRGB(ds *geodata.Dataset, w, h int) ([][]uint8, error) {
	s, err := ds.ReadWindow(geodata.Window{Width: w, Height: h}, w, h, landsatRGB)
	if err != nil {
		return nil, fmt.Errorf("landsat setting: read %s: %w", landsatRaster, err)
	}
	planes := make([][]uint8, 3)
	for b := range planes {
		var valid []float64
		for i, v := range s.Values[b] {
			if s.Valid == nil || s.Valid[i] {
				valid = append(valid, float64(v))
			}
		}
		if len(valid) == 0 {
			return nil, fmt.Errorf("landsat setting: band %d of %s has no valid pixels", landsatRGB[b], landsatRaster)
		}
		sort.Float64s(valid)
		lo, hi := valid[len(valid)*2/100], valid[len(valid)*98/100]
		if hi <= lo {
			hi = lo + 1
		}
		planes[b] = make([]uint8, w*h)
		for i, v := range s.Values[b] {
			planes[b][i] = uint8(math.Round(math.Min(math.Max((float64(v)-lo)/(hi-lo), 0), 1) * 255))
		}
	}
	return planes, nil
}

// landsatPatches returns the labelled cells that lie wholly inside the
// scene and their patches (labels index the label layer's classes).
func landsatPatches(cfg Config, grid *geodata.Grid, labels *geodata.LabelLayer, planes [][]uint8, info geodata.Info) ([]geodata.Cell, *imageSet) {
	p := cfg.PatchSize
	set := &imageSet{Size: p}
	var cells []geodata.Cell
	for _, c := range grid.Cells() {
		class := labels.Label(c).Class(landsatCoverage)
		if class < 0 {
			continue
		}
		b := grid.CellBounds(c)
		c0, r0, err0 := info.GeoTransform.MapToPixel(b.MinX, b.MaxY)
		c1, r1, err1 := info.GeoTransform.MapToPixel(b.MaxX, b.MinY)
		if err0 != nil || err1 != nil || c0 < 0 || r0 < 0 || c1 > float64(info.Width) || r1 > float64(info.Height) {
			continue
		}
		for band := 0; band < 3; band++ {
			for y := 0; y < p; y++ {
				for x := 0; x < p; x++ {
					sx := c0 + (float64(x)+0.5)*(c1-c0)/float64(p) - 0.5
					sy := r0 + (float64(y)+0.5)*(r1-r0)/float64(p) - 0.5
					set.Pix = append(set.Pix, bilinear(planes[band], info.Width, info.Height, sx, sy))
				}
			}
		}
		set.Labels = append(set.Labels, class)
		set.Names = append(set.Names, grid.ID(c))
		cells = append(cells, c)
	}
	return cells, set
}

func bilinear(plane []uint8, w, h int, x, y float64) uint8 {
	x = math.Min(math.Max(x, 0), float64(w-1))
	y = math.Min(math.Max(y, 0), float64(h-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(cx, cy int) float64 { return float64(plane[cy*w+cx]) }
	v := (at(x0, y0)*(1-fx)+at(x1, y0)*fx)*(1-fy) + (at(x0, y1)*(1-fx)+at(x1, y1)*fx)*fy
	return uint8(math.Round(v))
}

// spatialBlockSplit groups cells into square blocks of cfg.BlockCells
// cells, shuffles the blocks with the seed and moves whole blocks to the
// test split until it holds cfg.TestFraction of the cells.
func spatialBlockSplit(cells []geodata.Cell, cfg Config) (train, test []int) {
	blockOf := func(c geodata.Cell) [2]int { return [2]int{c.Row / cfg.BlockCells, c.Col / cfg.BlockCells} }
	members := map[[2]int][]int{}
	var blocks [][2]int
	for i, c := range cells {
		b := blockOf(c)
		if _, ok := members[b]; !ok {
			blocks = append(blocks, b)
		}
		members[b] = append(members[b], i)
	}
	h := fnv.New64a()
	h.Write([]byte("landsat-blocks"))
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), h.Sum64()))
	rng.Shuffle(len(blocks), func(i, j int) { blocks[i], blocks[j] = blocks[j], blocks[i] })
	want := int(math.Round(cfg.TestFraction * float64(len(cells))))
	for _, b := range blocks {
		if len(test) < want {
			test = append(test, members[b]...)
		} else {
			train = append(train, members[b]...)
		}
	}
	sort.Ints(train)
	sort.Ints(test)
	return train, test
}

// keepGround returns the photos whose ground class is one of classes.
func keepGround(set *imageSet, classes []int) *imageSet {
	var idx []int
	for i, l := range set.Labels {
		if contains(classes, l) {
			idx = append(idx, i)
		}
	}
	return set.subset(idx)
}

func writeLandsatDataSection(b *strings.Builder, cfg Config, d *pairedData) {
	fmt.Fprintf(b, "- Overhead: Landsat 7 ETM+ subset of Olinda and north Recife, Brazil (28.5 m, EPSG:31985; RGB = bands 3, 2, 1 with a 2-98 %% stretch per band), from Debian's r-cran-stars (Apache-2.0; Landsat is public domain). Cells of %g m resampled to %d px (%.2f m per pixel).\n",
		cfg.CellSizeM, cfg.PatchSize, d.ResolutionM)
	fmt.Fprintf(b, "- Labels: IBGE 2010 census tracts (olinda1.shp, from Debian's r-cran-sf, GPL-2 or MIT), TIPO URBANO or RURAL; a cell takes the majority class when tracts cover at least half of it. %d training and %d held-out cells, split by spatial blocks of %dx%d cells with seed %d; most cells are urban.\n",
		d.OverheadTrain.Len(), d.OverheadTest.Len(), cfg.BlockCells, cfg.BlockCells, cfg.Seed)
	fmt.Fprintf(b, "- Ground: Intel Image Classification scenes (licence unclear, research use only) and CC-licensed Flickr landscape photos of the classes %s (urban cells) and %s (rural cells): %d training and %d held-out photos at 64x64.\n\n",
		landsatUrbanTo, landsatRuralTo, d.PhotosTrain.Len(), d.PhotosTest.Len())
	b.WriteString("Pairing is by the urban or rural label only, not by place: no ground photos of Olinda are available, so the generator can at best show a built-up or a wooded scene. This is much weaker than geographic co-location.\n\n")
}
