package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // ground photos are JPEGs
	_ "image/png"
	"os"
	"path/filepath"
	"strings"

	xdraw "golang.org/x/image/draw"

	"github.com/downthere/downthere/geodata"
	"github.com/downthere/downthere/ui"
)

// labelFields are the attributes tried, in order, for the class of a label
// polygon when the file does not come with a known mapping: TIPO is the
// IBGE census-tract type (URBANO/RURAL), the others are common names.
var labelFields = []string{"TIPO", "class", "CLASS", "label", "LABEL", "landuse", "LANDUSE"}

// labelPalette colours label classes that have no colour of their own:
// urban red and rural green first, as in the land-use classifier, then
// Okabe-Ito colours.
var labelPalette = map[string]color.NRGBA{
	"urban": {R: 0xe4, G: 0x1a, B: 0x1c, A: 0xff},
	"rural": {R: 0x4d, G: 0xaf, B: 0x4a, A: 0xff},
}

var fallbackColors = []color.NRGBA{
	{R: 0x00, G: 0x72, B: 0xb2, A: 0xff}, {R: 0xe6, G: 0x9f, B: 0x00, A: 0xff},
	{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff}, {R: 0x56, G: 0xb4, B: 0xe9, A: 0xff},
	{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}, {R: 0xf0, G: 0xe4, B: 0x42, A: 0xff},
}

// guiLabels presents a geodata label layer to the ui: each cell takes the
// majority class when classes cover at least half of it.
type guiLabels struct {
	path    string
	layer   *geodata.LabelLayer
	classes []ui.Class
	byCell  []int8 // row-major class index, -1 when unlabelled
	cols    int
}

var _ ui.LabelLayer = (*guiLabels)(nil)

// openGUILabels reads label polygons onto the scene's grid. The Olinda
// census tracts map TIPO URBANO/RURAL to urban/rural; other files use the
// first of labelFields they have, each value its own class.
func openGUILabels(ctx context.Context, path string, s *guiScene) (*guiLabels, error) {
	if !strings.HasPrefix(path, "/vsi") {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("label layer %s: %w", path, err)
		}
	}
	var layer *geodata.LabelLayer
	var errs []error
	for _, field := range labelFields {
		opts := geodata.PolygonLabelOptions{Field: field}
		if field == "TIPO" {
			opts = geodata.OlindaTractLabels
		}
		l, err := geodata.ReadPolygonLabels(ctx, path, s.grid, opts)
		if err == nil {
			layer = l
			break
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		errs = append(errs, err)
	}
	if layer == nil {
		return nil, fmt.Errorf("label layer %s: none of the attributes %s was found; rename the attribute that holds the class to one of them: %w",
			path, strings.Join(labelFields, ", "), errors.Join(errs...))
	}
	return newGUILabels(path, layer, s.grid), nil
}

func newGUILabels(path string, layer *geodata.LabelLayer, g *geodata.Grid) *guiLabels {
	l := &guiLabels{path: path, layer: layer, cols: g.Cols(), byCell: make([]int8, g.Len())}
	for i, name := range layer.Classes {
		c, ok := labelPalette[strings.ToLower(name)]
		if !ok {
			c = fallbackColors[i%len(fallbackColors)]
		}
		l.classes = append(l.classes, ui.Class{Name: name, Color: c})
	}
	for _, c := range g.Cells() {
		l.byCell[g.Index(c)] = int8(layer.Label(c).Class(geodata.DefaultMinLabelCoverage))
	}
	return l
}

func (l *guiLabels) Name() string        { return filepath.Base(l.path) }
func (l *guiLabels) Path() string        { return l.path }
func (l *guiLabels) Classes() []ui.Class { return l.classes }

// CellLabel is part of ui.LabelLayer; it reads the table made at open.
func (l *guiLabels) CellLabel(col, row int) (int, bool) {
	i := row*l.cols + col
	if col < 0 || row < 0 || col >= l.cols || i >= len(l.byCell) || l.byCell[i] < 0 {
		return 0, false
	}
	return int(l.byCell[i]), true
}

// guiPhotos presents geotagged ground photos placed on the scene's grid.
type guiPhotos struct {
	path   string
	photos []ui.Photo
}

var _ ui.PhotoLayer = (*guiPhotos)(nil)

// openGUIPhotos reads photo positions from a folder of JPEGs, a CSV or a
// GeoJSON file and places them in map (grid CRS) coordinates.
func openGUIPhotos(ctx context.Context, path string, s *guiScene) (*guiPhotos, error) {
	records, err := geodata.ReadPhotos(ctx, path)
	if err != nil {
		return nil, err
	}
	ix := geodata.IndexPhotos(records, s.grid)
	if len(ix.Photos) == 0 {
		reason := "none has a GPS position"
		if len(ix.Unplaced) > 0 {
			reason = "the first says: " + ix.Unplaced[0].Reason
		}
		return nil, fmt.Errorf("ground photos %s: none of the %d photos lies on this scene (%s)", path, len(records), reason)
	}
	p := &guiPhotos{path: path}
	for _, ph := range ix.Photos {
		name := ph.ID
		if name == "" {
			name = filepath.Base(ph.Path)
		}
		p.photos = append(p.photos, ui.Photo{Name: name, Path: ph.Path, At: ui.MapPoint{X: ph.X, Y: ph.Y}})
	}
	return p, nil
}

func (p *guiPhotos) Name() string { return filepath.Base(p.path) }
func (p *guiPhotos) Path() string { return p.path }

// PhotosIn lists the photos inside r.
func (p *guiPhotos) PhotosIn(r ui.MapRect) []ui.Photo {
	var out []ui.Photo
	for _, ph := range p.photos {
		if r.Contains(ph.At) {
			out = append(out, ph)
		}
	}
	return out
}

// Load decodes a photo and scales it so its longer edge is at most maxEdge
// pixels.
func (p *guiPhotos) Load(ctx context.Context, ph ui.Photo, maxEdge int) (image.Image, error) {
	f, err := os.Open(ph.Path)
	if err != nil {
		return nil, fmt.Errorf("ground photo %s: %w", ph.Path, err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("ground photo %s: %w", ph.Path, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return fitImage(img, maxEdge), nil
}

// fitImage scales img down so its longer edge is at most maxEdge pixels.
func fitImage(img image.Image, maxEdge int) image.Image {
	b := img.Bounds()
	long := max(b.Dx(), b.Dy())
	if long <= maxEdge || maxEdge <= 0 {
		return img
	}
	w := max(b.Dx()*maxEdge/long, 1)
	h := max(b.Dy()*maxEdge/long, 1)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	return dst
}
