package geodata

import (
	"fmt"
	"strconv"

	"github.com/airbusgeo/godal"
)

// SameCRS reports whether two CRSs describe the same coordinates (OSR's
// IsSame). Two CRSNone values are the same; a CRS that OSR cannot parse is
// compared by its WKT text.
func SameCRS(a, b CRS) bool {
	if a.Kind == CRSNone || b.Kind == CRSNone {
		return a.Kind == b.Kind
	}
	if a.WKT == b.WKT || (a.EPSG != 0 && a.EPSG == b.EPSG) {
		return true
	}
	sa, err := godal.NewSpatialRefFromWKT(a.WKT, (&gdalCall{}).option())
	if err != nil {
		return false
	}
	defer sa.Close()
	sb, err := godal.NewSpatialRefFromWKT(b.WKT, (&gdalCall{}).option())
	if err != nil {
		return false
	}
	defer sb.Close()
	return sa.IsSame(sb)
}

// warpOversampling is how many times finer than GDAL's default output
// resolution the warped tile grid of a layer is. A finer grid keeps the
// second resampling (tile to screen) within 1/8 of a source pixel when
// zoomed in; GDAL still reads the source overview that suits each tile.
const warpOversampling = 4

// warpPlan reprojects tiles of a dataset into a map CRS with GDAL's warper.
type warpPlan struct {
	targetWKT string
	target    CRS
}

// planWarp checks that ds can be reprojected to target and returns the
// tile grid: GDAL's default warp output grid, warpOversampling times
// finer.
func planWarp(ds *Dataset, target CRS) (*warpPlan, tileGrid, error) {
	info := ds.Info()
	if info.Georef == GeorefNone || !info.CRS.HasLonLat() || !target.HasLonLat() {
		return nil, tileGrid{}, fmt.Errorf("show %s in %s: %w: the raster's CRS is %s and cannot be reprojected",
			ds.Path(), target, ErrNoGeographicCRS, info.CRS.Kind)
	}
	var grid tileGrid
	err := ds.WithHandle(func(h *godal.Dataset) error {
		call := &gdalCall{}
		vrt, err := godal.Warp("", []*godal.Dataset{h}, []string{"-of", "VRT", "-t_srs", target.WKT}, call.option())
		if err != nil {
			return err
		}
		defer vrt.Close()
		gt, err := vrt.GeoTransform(call.option())
		if err != nil {
			return err
		}
		st := vrt.Structure()
		grid = tileGrid{
			gt:     GeoTransform{gt[0], gt[1] / warpOversampling, 0, gt[3], 0, gt[5] / warpOversampling},
			width:  st.SizeX * warpOversampling,
			height: st.SizeY * warpOversampling,
		}
		return nil
	})
	if err != nil {
		return nil, tileGrid{}, fmt.Errorf("show %s in %s: %w", ds.Path(), target, err)
	}
	return &warpPlan{targetWKT: target.WKT, target: target}, grid, nil
}

// readTile warps the grid window win of the source handle h into a
// bufW x bufH buffer, returning the shown bands and the warper's alpha.
func (w *warpPlan) readTile(h *godal.Dataset, gridGT GeoTransform, win Window, bufW, bufH int, bands []int, asBytes bool, rules validityRules) (*rawRead, error) {
	call := &gdalCall{}
	selection := []string{"-of", "VRT"}
	for _, b := range bands {
		selection = append(selection, "-b", strconv.Itoa(b))
	}
	src, err := h.Translate("", selection, call.option())
	if err != nil {
		return nil, fmt.Errorf("select bands %v: %w", bands, err)
	}
	defer src.Close()

	b := gridGT.PixelBounds(float64(win.Col), float64(win.Row), float64(win.Col+win.Width), float64(win.Row+win.Height))
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 17, 64) }
	switches := []string{"-of", "MEM", "-t_srs", w.targetWKT, "-r", "near", "-dstalpha",
		"-te", f(b.MinX), f(b.MinY), f(b.MaxX), f(b.MaxY), "-ts", strconv.Itoa(bufW), strconv.Itoa(bufH)}
	mem, err := godal.Warp("", []*godal.Dataset{src}, switches, call.option())
	if err != nil {
		return nil, fmt.Errorf("warp to %s: %w", w.target, err)
	}
	defer mem.Close()

	count := mem.Structure().NBands
	memBands := []int{}
	for i := range rules.nodata {
		memBands = append(memBands, i+1)
	}
	memBands = append(memBands, count)
	return readRaw(mem, Window{0, 0, bufW, bufH}, bufW, bufH, memBands, asBytes, rules)
}
