package ui

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

var _ fyne.Widget = (*CellPanel)(nil)

// Cell panel sizes: the number of generated views, how large each 64x64
// view is shown (logical pixels, scaled with nearest-neighbour sampling),
// the gap between views in a saved grid, and the photo thumbnail size.
const (
	DefaultViewCount = 16
	viewTileSize     = 72
	gridGap          = 2
	photoThumbEdge   = 160
	maxPhotosShown   = 6
)

// CellPanel shows one grid cell: generated ground-level views with their
// seed, Regenerate and Save, the class probabilities, the ground photos
// inside the cell and the raw band values at the clicked point. Results
// appear as they are ready; selecting another cell cancels the work for the
// previous one.
type CellPanel struct {
	widget.BaseWidget

	// ChooseFolder lets the user pick a folder and calls save with it. The
	// viewer sets it to a folder dialog. Save is disabled while it is nil.
	ChooseFolder func(save func(dir string))

	// OnError shows an error to the user; the viewer sets it to a dialog.
	OnError func(error)

	// OnSeedChanged is called when a cell's seed changes, so the project
	// file can store it.
	OnSeedChanged func(cellID string, seed int64)

	gen        ViewGenerator
	cls        Classifier
	modelsNote string
	results    *Results
	scene      *Scene
	source     MapSource
	photos     PhotoLayer
	seeds      map[string]int64
	viewCount  int
	variety    float64 // the views' noise standard deviation; 0 follows the model set's default
	syncing    bool    // the slider is being moved by the panel, not the user

	cell         *Cell
	at           MapPoint
	atCentre     bool // at is the cell's centre, not a clicked point
	seed         int64
	shownVariety float64 // the variety the views shown were generated with
	images       []image.Image
	seq          int
	cancel       context.CancelFunc
	// background counts the goroutines of the cell's work (views,
	// classification, photos, band values) that have not returned yet.
	background sync.WaitGroup

	title        *widget.Label
	where        *widget.Label
	seedEntry    *widget.Entry
	regenBt      *widget.Button
	varietyBar   *widget.Slider
	varietyText  *widget.Label
	varietyReset *widget.Button
	saveBt       *widget.Button
	status       *widget.Label
	tiles        []*canvas.Image
	probs        *fyne.Container
	photoBox     *fyne.Container
	values       *widget.Label
	details      *fyne.Container // everything below the seed row, hidden while no cell is shown
	content      fyne.CanvasObject
}

// NewCellPanel returns an empty cell panel.
func NewCellPanel() *CellPanel {
	p := &CellPanel{seeds: map[string]int64{}, viewCount: DefaultViewCount}
	p.title = widget.NewLabelWithStyle("No cell selected", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.where = widget.NewLabel("Click a grid cell on the map to generate ground-level views of it.")
	p.where.Wrapping = fyne.TextWrapWord
	p.seedEntry = widget.NewEntry()
	p.seedEntry.OnSubmitted = func(string) { p.applySeedEntry() }
	p.regenBt = widget.NewButtonWithIcon("Regenerate", theme.ViewRefreshIcon(), p.Regenerate)
	p.saveBt = widget.NewButtonWithIcon("Save…", theme.DocumentSaveIcon(), p.askSave)
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.varietyText = widget.NewLabel("")
	p.varietyBar = widget.NewSlider(MinVariety, 1)
	p.varietyBar.Step = 0.05 // roundVariety's step
	p.varietyBar.OnChanged = func(v float64) {
		if !p.syncing { // a drag in progress
			p.varietyText.SetText(fmt.Sprintf("Variety %.2f", v))
		}
	}
	p.varietyBar.OnChangeEnded = p.applyVarietyBar
	p.varietyReset = widget.NewButton("Default", func() { p.SetVariety(0) })
	p.syncVariety()
	p.probs = container.NewVBox()
	p.photoBox = container.NewGridWrap(fyne.NewSize(photoThumbEdge/2, photoThumbEdge/2))
	p.values = widget.NewLabel("")
	p.values.Wrapping = fyne.TextWrapWord

	p.tiles = make([]*canvas.Image, p.viewCount)
	tileObjs := make([]fyne.CanvasObject, p.viewCount)
	for i := range p.tiles {
		img := canvas.NewImageFromImage(nil)
		img.ScaleMode = canvas.ImageScalePixels
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(viewTileSize, viewTileSize))
		p.tiles[i] = img
		tileObjs[i] = img
	}

	// The buttons get a row of their own, so that the entry is wide enough
	// for a 10-digit seed.
	seedRow := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel("Seed"), nil, p.seedEntry),
		container.NewHBox(p.regenBt, p.saveBt),
	)
	// The caption sits above the slider, so that its changing length does
	// not move the slider's track under the pointer.
	varietyRow := container.NewVBox(container.NewBorder(nil, nil, nil, p.varietyReset, p.varietyText), p.varietyBar)
	p.details = container.NewVBox(
		seedRow, varietyRow, p.status,
		container.NewGridWithColumns(4, tileObjs...),
		widget.NewLabelWithStyle("Class probabilities", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.probs,
		widget.NewLabelWithStyle("Ground photos in this cell", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.photoBox,
		widget.NewLabelWithStyle("Band values at the clicked point", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.values,
	)
	p.content = container.NewVBox(p.title, p.where, p.details)
	p.ExtendBaseWidget(p)
	p.setIdle()
	return p
}

// CreateRenderer is part of fyne.Widget.
func (p *CellPanel) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewVScroll(p.content))
}

// SetModels sets the generator and classifier used for the next cell. A
// nil generator disables generation, and note gives the reason.
func (p *CellPanel) SetModels(gen ViewGenerator, cls Classifier, note string) {
	p.gen, p.cls, p.modelsNote = gen, cls, note
	p.syncVariety()
}

// SetScene sets the imagery, photo layer and results the panel reads, and
// clears the panel.
func (p *CellPanel) SetScene(s *Scene, results *Results) {
	p.Clear()
	p.scene, p.source, p.photos, p.results = s, nil, nil, results
	if s != nil {
		p.source, p.photos = s.Source, s.Photos
	}
}

// SetPhotos sets the photo layer read for the next cell.
func (p *CellPanel) SetPhotos(l PhotoLayer) {
	p.photos = l
	if p.scene != nil {
		s := *p.scene
		s.Photos = l
		p.scene = &s
	}
}

// Seeds returns the seed used for each cell that was shown, by cell id.
func (p *CellPanel) Seeds() map[string]int64 {
	out := make(map[string]int64, len(p.seeds))
	for k, v := range p.seeds {
		out[k] = v
	}
	return out
}

// SetSeeds replaces the seeds, as restored from a project file.
func (p *CellPanel) SetSeeds(seeds map[string]int64) {
	p.seeds = make(map[string]int64, len(seeds))
	for k, v := range seeds {
		p.seeds[k] = v
	}
}

// Cell returns the cell shown, or nil.
func (p *CellPanel) Cell() *Cell { return p.cell }

// Seed returns the seed of the views shown.
func (p *CellPanel) Seed() int64 { return p.seed }

// Variety returns the variety chosen for the views, or 0 while the panel
// follows the model set's default (see ViewRequest.Variety).
func (p *CellPanel) Variety() float64 { return p.variety }

// SetVariety sets the variety of the views, as chosen on the slider or
// restored from a project file. 0 follows the model set's default; other
// values are clamped to [MinVariety, 1] and rounded to the slider's step
// of 0.05 (NaN counts as 1). When the variety the views are drawn with
// changes, the cell shown is shown again, which generates its views anew.
func (p *CellPanel) SetVariety(v float64) {
	if v != 0 {
		v = roundVariety(v)
	}
	before := p.effectiveVariety()
	p.variety = v
	p.syncVariety()
	if p.effectiveVariety() != before && p.cell != nil {
		p.show(*p.cell, p.at, p.seed)
	}
}

// applyVarietyBar takes the slider's value when the user lets it go.
func (p *CellPanel) applyVarietyBar(v float64) {
	if p.syncing {
		return
	}
	p.SetVariety(v)
}

// defaultVariety is the model set's variety, or 1 without a generator or
// with a value that is not a positive number.
func (p *CellPanel) defaultVariety() float64 {
	if p.gen == nil {
		return 1
	}
	if v := p.gen.DefaultVariety(); v > 0 && !math.IsInf(v, 1) {
		return v
	}
	return 1
}

// effectiveVariety is the variety the next views are drawn with.
func (p *CellPanel) effectiveVariety() float64 {
	if p.variety > 0 {
		return p.variety
	}
	return p.defaultVariety()
}

// syncVariety moves the slider and its caption to the effective variety.
func (p *CellPanel) syncVariety() {
	v := p.effectiveVariety()
	p.syncing = true
	p.varietyBar.SetValue(v)
	p.syncing = false
	p.varietyText.SetText(p.varietyCaption(v))
	if p.variety == 0 {
		p.varietyReset.Disable()
	} else {
		p.varietyReset.Enable()
	}
}

// varietyCaption marks the model default only while the panel follows it,
// so that a chosen value equal to today's default reads as chosen.
func (p *CellPanel) varietyCaption(v float64) string {
	if p.variety == 0 {
		return fmt.Sprintf("Variety %.2f (model default)", v)
	}
	return fmt.Sprintf("Variety %.2f", v)
}

// roundVariety clamps v to [MinVariety, 1] and rounds it to the slider's
// step of 0.05.
func roundVariety(v float64) float64 {
	if math.IsNaN(v) {
		return 1
	}
	v = min(max(v, MinVariety), 1)
	return math.Round(v*20) / 20
}

// Images returns the generated views received so far; missing views are
// nil.
func (p *CellPanel) Images() []image.Image { return append([]image.Image(nil), p.images...) }

// WaitBackground blocks until the goroutines of every cell the panel
// showed (views, classification, photos, band values) have returned, so a
// test can read or close the panel without racing their last widget
// update. It must not be called on the UI goroutine, which those
// goroutines need to hand over their results.
func (p *CellPanel) WaitBackground() { p.background.Wait() }

// inBackground runs f on a new goroutine counted by WaitBackground.
func (p *CellPanel) inBackground(f func()) {
	p.background.Add(1)
	go func() {
		defer p.background.Done()
		f()
	}()
}

// Status returns the status line, for tests.
func (p *CellPanel) Status() string { return p.status.Text }

// DefaultSeed derives a cell's first seed from its id, so the same cell
// shows the same views in every session until the user regenerates.
func DefaultSeed(cellID string) int64 {
	h := fnv.New64a()
	h.Write([]byte(cellID))
	return int64(h.Sum64() & (1<<31 - 1))
}

// Clear cancels any work and empties the panel.
func (p *CellPanel) Clear() {
	p.stop()
	p.cell = nil
	p.images = nil
	p.setIdle()
}

func (p *CellPanel) stop() {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	p.seq++
}

func (p *CellPanel) setIdle() {
	p.title.SetText("No cell selected")
	p.where.SetText("Click a grid cell on the map to generate ground-level views of it.")
	p.seedEntry.SetText("")
	p.seedEntry.Disable()
	p.regenBt.Disable()
	p.saveBt.Disable()
	p.status.SetText("")
	for _, t := range p.tiles {
		t.Image = nil
		t.Refresh()
	}
	p.probs.RemoveAll()
	p.photoBox.RemoveAll()
	p.values.SetText("")
	p.details.Hide()
}

// ShowCell shows cell, clicked at map point at, and starts generating its
// views with its stored seed (or DefaultSeed). Work for the previous cell
// is cancelled.
func (p *CellPanel) ShowCell(cell Cell, at MapPoint) {
	p.atCentre = false
	p.show(cell, at, p.storedSeed(cell.ID))
}

// ShowCellCentre shows cell as ShowCell does, with its band values read
// at the cell's centre, for a cell restored without a clicked point.
func (p *CellPanel) ShowCellCentre(cell Cell) {
	p.atCentre = true
	p.show(cell, cell.Bounds.Center(), p.storedSeed(cell.ID))
}

// Shown returns the cell on the panel and the point clicked in it. ok is
// false when no cell is shown, or when ShowCellCentre showed it without a
// clicked point.
func (p *CellPanel) Shown() (cell Cell, at MapPoint, ok bool) {
	if p.cell == nil || p.atCentre {
		return Cell{}, MapPoint{}, false
	}
	return *p.cell, p.at, true
}

// storedSeed returns the seed stored for cell id, or DefaultSeed(id).
func (p *CellPanel) storedSeed(id string) int64 {
	if seed, ok := p.seeds[id]; ok {
		return seed
	}
	return DefaultSeed(id)
}

// Regenerate makes new views of the cell shown with a new random seed.
func (p *CellPanel) Regenerate() {
	if p.cell == nil {
		return
	}
	p.show(*p.cell, p.at, rand.Int64N(1<<31))
}

func (p *CellPanel) applySeedEntry() {
	if p.cell == nil {
		return
	}
	seed, err := strconv.ParseInt(strings.TrimSpace(p.seedEntry.Text), 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		p.status.SetText(fmt.Sprintf("Seed %q is out of range; type a whole number from %d to %d, then press Enter.", p.seedEntry.Text, math.MinInt64, math.MaxInt64))
		return
	case err != nil:
		p.status.SetText(fmt.Sprintf("Seed %q is not a whole number; type digits, with a leading minus sign for a negative seed, then press Enter.", p.seedEntry.Text))
		return
	}
	p.show(*p.cell, p.at, seed)
}

func (p *CellPanel) show(cell Cell, at MapPoint, seed int64) {
	p.stop()
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	seq := p.seq
	p.cell, p.at, p.seed = &cell, at, seed
	if p.seeds[cell.ID] != seed {
		p.seeds[cell.ID] = seed
		if p.OnSeedChanged != nil {
			p.OnSeedChanged(cell.ID, seed)
		}
	}
	p.images = make([]image.Image, p.viewCount)

	p.details.Show()
	p.title.SetText("Cell " + cell.ID)
	p.where.SetText(p.describePoint(at))
	p.seedEntry.SetText(strconv.FormatInt(seed, 10))
	p.seedEntry.Enable()
	p.saveBt.Disable()
	for _, t := range p.tiles {
		t.Image = nil
		t.Refresh()
	}
	p.probs.RemoveAll()
	p.photoBox.RemoveAll()
	p.values.SetText("Reading…")

	p.startGeneration(ctx, seq, cell, seed)
	p.startClassification(ctx, seq, cell)
	p.startPhotos(ctx, seq, cell)
	p.startValues(ctx, seq, at)
}

func (p *CellPanel) describePoint(at MapPoint) string {
	if p.source == nil {
		return ""
	}
	info := p.source.Info()
	loc := p.source.Locate(at)
	s := formatNative(at, info)
	if loc.HasLonLat {
		s = formatLonLat(loc) + " · " + s
	}
	if p.atCentre {
		return "Cell centre at " + s
	}
	return "Clicked at " + s
}

// current runs f on the UI goroutine if the panel still shows request seq.
func (p *CellPanel) current(seq int, f func()) {
	doOnUI(func() {
		if p.seq == seq {
			f()
		}
	})
}

func (p *CellPanel) startGeneration(ctx context.Context, seq int, cell Cell, seed int64) {
	gen, scene := p.gen, p.scene
	req := ViewRequest{Seed: seed, Count: p.viewCount, Variety: p.variety}
	p.shownVariety = p.effectiveVariety()
	n := req.Count
	if gen == nil {
		note := p.modelsNote
		if note == "" {
			note = "no model set is loaded"
		}
		p.regenBt.Disable()
		p.status.SetText("Ground-level views unavailable: " + note)
		return
	}
	p.regenBt.Enable()
	p.status.SetText(fmt.Sprintf("Generating %d views…", n))
	p.inBackground(func() {
		got := 0
		err := gen.Generate(ctx, scene, cell, req, func(i int, img image.Image) {
			p.current(seq, func() {
				if i < 0 || i >= len(p.tiles) || img == nil {
					return
				}
				p.images[i] = img
				p.tiles[i].Image = img
				p.tiles[i].Refresh()
				got++
				p.status.SetText(fmt.Sprintf("Generating: %d of %d views ready", got, n))
			})
		})
		p.current(seq, func() { p.generationDone(err, n) })
	})
}

func (p *CellPanel) generationDone(err error, n int) {
	ready := 0
	for _, img := range p.images {
		if img != nil {
			ready++
		}
	}
	switch {
	case err == nil:
		p.status.SetText(fmt.Sprintf("%d views generated with seed %d and variety %.2f.", ready, p.seed, p.shownVariety))
	case errors.Is(err, context.Canceled):
		return
	default:
		p.status.SetText(fmt.Sprintf("Generation failed after %d of %d views: %v", ready, n, err))
	}
	if ready > 0 && p.ChooseFolder != nil {
		p.saveBt.Enable()
	}
}

func (p *CellPanel) startClassification(ctx context.Context, seq int, cell Cell) {
	if p.results != nil {
		if res, ok := p.results.Get(cell.Col, cell.Row); ok {
			p.showProbs(res, p.results.Classes())
			return
		}
	}
	cls, scene := p.cls, p.scene
	if cls == nil {
		p.probs.Add(widget.NewLabel("No classifier loaded."))
		return
	}
	p.probs.Add(widget.NewLabel("Classifying…"))
	p.inBackground(func() {
		var got *CellResult
		err := cls.Classify(ctx, scene, []Cell{cell}, func(r CellResult) { got = &r })
		p.current(seq, func() {
			switch {
			case err != nil && errors.Is(err, context.Canceled):
			case err != nil:
				p.probs.RemoveAll()
				p.probs.Add(widget.NewLabel("Classification failed: " + err.Error()))
			case got != nil:
				if p.results != nil {
					p.results.Add(*got)
				}
				p.showProbs(*got, cls.Classes())
			}
		})
	})
}

func (p *CellPanel) showProbs(res CellResult, classes []Class) {
	p.probs.RemoveAll()
	if len(res.Probs) == 0 {
		p.probs.Add(widget.NewLabel("Not classified: most of this cell lies outside the raster or is nodata."))
		return
	}
	best, _ := res.Best()
	for i, c := range classes {
		if i >= len(res.Probs) {
			break
		}
		bar := widget.NewProgressBar()
		bar.SetValue(float64(res.Probs[i]))
		name := c.Name
		if i == best {
			name += " (most likely)"
		}
		sw := canvas.NewRectangle(c.Color)
		sw.SetMinSize(fyne.NewSize(14, 14))
		p.probs.Add(container.NewBorder(nil, nil, container.NewHBox(container.NewCenter(sw), widget.NewLabel(name)), nil, bar))
	}
}

// ProbabilityTexts returns the class rows shown, for tests.
func (p *CellPanel) ProbabilityTexts() []string {
	var out []string
	for _, o := range p.probs.Objects {
		for _, t := range textsOf(o) {
			out = append(out, t)
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, obj := range c.Objects {
				if bar, ok := obj.(*widget.ProgressBar); ok {
					out = append(out, fmt.Sprintf("%.3f", bar.Value))
				}
			}
		}
	}
	return out
}

func (p *CellPanel) startPhotos(ctx context.Context, seq int, cell Cell) {
	layer := p.photos
	if layer == nil {
		p.photoBox.Add(widget.NewLabel("No photo layer loaded."))
		return
	}
	list := layer.PhotosIn(cell.Bounds)
	if len(list) == 0 {
		p.photoBox.Add(widget.NewLabel("None."))
		return
	}
	if len(list) > maxPhotosShown {
		list = list[:maxPhotosShown]
	}
	p.inBackground(func() {
		for _, ph := range list {
			img, err := layer.Load(ctx, ph, photoThumbEdge)
			if ctx.Err() != nil {
				return
			}
			ph := ph
			p.current(seq, func() { p.addPhoto(ph, img, err) })
		}
	})
}

func (p *CellPanel) addPhoto(ph Photo, img image.Image, err error) {
	if err != nil {
		p.photoBox.Add(widget.NewLabel(ph.Name + ": " + err.Error()))
		return
	}
	ci := canvas.NewImageFromImage(img)
	ci.FillMode = canvas.ImageFillContain
	ci.SetMinSize(fyne.NewSize(photoThumbEdge/2, photoThumbEdge/2))
	p.photoBox.Add(ci)
}

func (p *CellPanel) startValues(ctx context.Context, seq int, at MapPoint) {
	src := p.source
	if src == nil {
		p.values.SetText("")
		return
	}
	loc := src.Locate(at)
	p.inBackground(func() {
		vals, err := src.Values(ctx, at)
		if ctx.Err() != nil {
			return
		}
		p.current(seq, func() { p.values.SetText(formatValues(loc, vals, err)) })
	})
}

// formatValues lists raw band values, naming nodata explicitly.
func formatValues(loc PointInfo, vals []BandValue, err error) string {
	if err != nil {
		return "Could not read band values: " + err.Error()
	}
	if !loc.Inside || len(vals) == 0 {
		return "Outside the raster."
	}
	lines := []string{fmt.Sprintf("Pixel row %d, col %d", loc.Row, loc.Col)}
	for _, v := range vals {
		if v.NoData {
			lines = append(lines, v.Band+": no data")
		} else {
			lines = append(lines, fmt.Sprintf("%s: %s", v.Band, strconv.FormatFloat(v.Value, 'g', 8, 64)))
		}
	}
	return strings.Join(lines, "\n")
}

func (p *CellPanel) askSave() {
	if p.ChooseFolder == nil || p.cell == nil {
		return
	}
	p.ChooseFolder(func(dir string) {
		files, err := p.SaveTo(dir)
		if err != nil {
			if p.OnError != nil {
				p.OnError(err)
			}
			return
		}
		p.status.SetText(fmt.Sprintf("Saved %d files to %s.", len(files), dir))
	})
}

// SaveTo writes the generated views to dir: one PNG per view and a PNG
// grid of all views, named after the cell, the seed and the variety. Every
// file is written atomically. It returns the paths written.
func (p *CellPanel) SaveTo(dir string) ([]string, error) {
	if p.cell == nil {
		return nil, errors.New("save views: no cell is selected")
	}
	base := fmt.Sprintf("%s_seed%d_variety%.2f", p.cell.ID, p.seed, p.shownVariety)
	var files []string
	var ready []image.Image
	for i, img := range p.images {
		if img == nil {
			continue
		}
		path := filepath.Join(dir, fmt.Sprintf("%s_%02d.png", base, i))
		if err := writePNG(path, img); err != nil {
			return files, fmt.Errorf("save view %d of cell %s: %w", i, p.cell.ID, err)
		}
		files = append(files, path)
		ready = append(ready, img)
	}
	if len(ready) == 0 {
		return nil, fmt.Errorf("save views of cell %s: no view has been generated yet", p.cell.ID)
	}
	path := filepath.Join(dir, base+"_grid.png")
	if err := writePNG(path, tileGrid(ready, 4)); err != nil {
		return files, fmt.Errorf("save view grid of cell %s: %w", p.cell.ID, err)
	}
	return append(files, path), nil
}

// tileGrid lays images out in rows of cols, each in a tile as large as the
// largest image, separated by white gaps of gridGap pixels.
func tileGrid(imgs []image.Image, cols int) *image.NRGBA {
	tw, th := 0, 0
	for _, img := range imgs {
		tw = max(tw, img.Bounds().Dx())
		th = max(th, img.Bounds().Dy())
	}
	rows := ceilDiv(len(imgs), cols)
	w := cols*tw + (cols-1)*gridGap
	h := rows*th + (rows-1)*gridGap
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for i, img := range imgs {
		x := (i % cols) * (tw + gridGap)
		y := (i / cols) * (th + gridGap)
		draw.Draw(out, image.Rect(x, y, x+tw, y+th), img, img.Bounds().Min, draw.Src)
	}
	return out
}
