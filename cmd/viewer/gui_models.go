package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/downthere/downthere/geodata"
	"github.com/downthere/downthere/inference"
	"github.com/downthere/downthere/models"
	"github.com/downthere/downthere/ui"
)

// defaultClassifierViews is the number of generated views whose class
// probabilities are averaged per cell when the model set does not record
// the number it was trained with.
const defaultClassifierViews = 4

// guiModels runs one loaded model set on the viewer's scenes. It
// implements ui.ViewGenerator and ui.Classifier.
type guiModels struct {
	reg         *inference.Registry
	ms          *inference.ModelSet
	spec        geodata.PatchSpec
	trainedResM float64 // ground resolution the encoder was trained for, metres per pixel
	classes     []ui.Class
	views       int // generated views averaged per cell when classifying
}

var (
	_ ui.ViewGenerator = (*guiModels)(nil)
	_ ui.Classifier    = (*guiModels)(nil)
)

func newGUIModels(reg *inference.Registry, ms *inference.ModelSet) (*guiModels, error) {
	enc := ms.Manifest(models.RoleEncoder)
	m := &guiModels{reg: reg, ms: ms, views: defaultClassifierViews, trainedResM: enc.GroundResolutionM}
	// A patch covers its whole cell. Cells are as large as the encoder's
	// footprint or larger (see cellSizeForScene), so on imagery coarser than the
	// model's the patch shows the cell rather than its middle.
	m.spec = geodata.PatchSpec{Size: ms.PatchSize()}
	if n := enc.Normalization; n != nil {
		m.spec.Mean, m.spec.Std = n.Mean, n.Std
	}
	if err := m.spec.Validate(); err != nil {
		return nil, fmt.Errorf("model set %s: encoder input: %w", ms.Name(), err)
	}
	for _, c := range ms.Classes() {
		rgb, err := models.ParseColor(c.Color)
		if err != nil {
			return nil, fmt.Errorf("model set %s: class %s: %w", ms.Name(), c.Name, err)
		}
		m.classes = append(m.classes, ui.Class{Name: c.Name, Color: color.NRGBA{R: rgb[0], G: rgb[1], B: rgb[2], A: 255}})
	}
	if v, ok := ms.Manifest(models.RoleClassifier).Training.Config["classifier_views"].(float64); ok && v >= 1 {
		m.views = int(v)
	}
	return m, nil
}

// footprintM returns the ground edge of the encoder's input in metres:
// patch size times the ground resolution it was trained for.
func (m *guiModels) footprintM() float64 {
	return float64(m.spec.Size) * m.trainedResM
}

// Classes is part of ui.Classifier.
func (m *guiModels) Classes() []ui.Class { return m.classes }

// DefaultVariety is part of ui.ViewGenerator: the noise scale the set's
// generator was exported with.
func (m *guiModels) DefaultVariety() float64 { return m.ms.NoiseScale() }

// Generate encodes the cell's overhead patch and generates req.Count views
// from it, one generator batch per model call, emitting each batch's views
// as soon as the call returns. A variety other than 0 scales the noise so
// that its standard deviation is req.Variety.
func (m *guiModels) Generate(ctx context.Context, scene *ui.Scene, cell ui.Cell, req ui.ViewRequest, emit func(int, image.Image)) error {
	seed, n := req.Seed, req.Count
	if n < 0 {
		return fmt.Errorf("cell %s: view count %d is negative", cell.ID, n)
	}
	if !ui.ValidVariety(req.Variety) {
		return fmt.Errorf("cell %s: variety %g is not between %g and 1; use 0 for the model set's default", cell.ID, req.Variety, ui.MinVariety)
	}
	start := time.Now()
	patch, err := m.cellPatch(scene, cell)
	if err != nil {
		return err
	}
	ms, release, err := m.acquire()
	if err != nil {
		return err
	}
	defer release()
	cond, err := ms.Encode(ctx, [][]float32{patch})
	if err != nil {
		return fmt.Errorf("cell %s: %w", cell.ID, err)
	}

	factor := 1.0
	if req.Variety != 0 {
		factor = req.Variety / ms.NoiseScale()
	}
	_, h, w := ms.ImageShape()
	batch := max(ms.BatchSize(models.RoleGenerator), 1)
	for first := 0; first < n; first += batch {
		views, err := ms.GenerateRange(ctx, cond[0], first, min(batch, n-first), seed, factor)
		if err != nil {
			return fmt.Errorf("cell %s: %w", cell.ID, err)
		}
		for i, v := range views {
			img, err := inference.ImageToRGBA(v, h, w)
			if err != nil {
				return fmt.Errorf("view %d of cell %s: %w", first+i, cell.ID, err)
			}
			emit(first+i, img)
		}
	}
	slog.Info("views generated", "cell", cell.ID, "seed", seed, "views", n, "variety", factor*ms.NoiseScale(), "noise_factor", factor, "set", m.ms.Name(),
		"provider", m.ms.Provider().String(), "ms", time.Since(start).Milliseconds())
	return nil
}

// cellPatch reads the encoder input of cell from scene.
func (m *guiModels) cellPatch(scene *ui.Scene, cell ui.Cell) ([]float32, error) {
	gs, err := sceneOf(scene)
	if err != nil {
		return nil, err
	}
	release, ok := gs.use()
	if !ok {
		return nil, errSceneClosed
	}
	defer release()
	return gs.readPatch(cell, m.spec)
}

// acquire holds the registry's active set for one call. It fails when the
// active set is no longer m's, because the viewer then uses other models.
func (m *guiModels) acquire() (*inference.ModelSet, func(), error) {
	ms, release, err := m.reg.Acquire()
	if err != nil {
		return nil, nil, err
	}
	if ms != m.ms {
		release()
		return nil, nil, fmt.Errorf("model set %s was replaced by %s; run the job again", m.ms.Name(), ms.Name())
	}
	return ms, release, nil
}

// Classify classifies cells of scene through geodata.ClassifyGrid, the
// code path of every export, and emits each batch as it finishes. Cells
// whose patch is mostly nodata are emitted without probabilities.
func (m *guiModels) Classify(ctx context.Context, scene *ui.Scene, cells []ui.Cell, emit func(ui.CellResult)) error {
	gs, err := sceneOf(scene)
	if err != nil {
		return err
	}
	release, ok := gs.use()
	if !ok {
		return errSceneClosed
	}
	defer release()
	byCell := make(map[geodata.Cell]ui.Cell, len(cells))
	list := make([]geodata.Cell, len(cells))
	for i, c := range cells {
		list[i] = geodata.Cell{Row: c.Row, Col: c.Col}
		byCell[list[i]] = c
	}
	// NOTE: ClassifyGrid allocates one result entry per grid cell, also
	// when it is asked for a few cells, which costs tens of bytes per cell
	// of the grid for each call.
	start := time.Now()
	_, err = geodata.ClassifyGrid(ctx, gs.ds, gs.grid, gridClassifier{m}, geodata.ClassifyOptions{
		Style: gs.layer.Style(),
		Cells: list,
		OnBatch: func(done []geodata.Cell, results []geodata.CellResult) {
			for i, c := range done {
				emit(ui.CellResult{Cell: byCell[c], Probs: results[i].Probs, NoDataFraction: results[i].NoDataFraction})
			}
		},
	})
	slog.Info("land use", "scene", gs.path, "cells", len(cells), "set", m.ms.Name(), "provider", m.ms.Provider().String(),
		"ms", time.Since(start).Milliseconds(), "err", err)
	return err
}

// gridClassifier runs a model set as a geodata.CellClassifier.
type gridClassifier struct {
	m *guiModels
}

var _ geodata.CellClassifier = gridClassifier{}

// PatchSpec is part of geodata.CellClassifier.
func (c gridClassifier) PatchSpec() geodata.PatchSpec { return c.m.spec }

// Classes is part of geodata.CellClassifier.
func (c gridClassifier) Classes() []geodata.Class { return c.m.geodataClasses() }

// geodataClasses returns the classes in geodata's form.
func (m *guiModels) geodataClasses() []geodata.Class {
	out := make([]geodata.Class, len(m.classes))
	for i, c := range m.classes {
		out[i] = geodata.Class{Name: c.Name, Color: c.Color}
	}
	return out
}

// ClassifyPatches is part of geodata.CellClassifier: it averages the class
// probabilities of m.views generated views per patch. Each patch's views
// use ui.DefaultSeed of its cell id, so a cell gets the same probabilities
// in every job and in every export.
func (c gridClassifier) ClassifyPatches(ctx context.Context, patches []*geodata.Patch) ([][]float32, error) {
	m := c.m
	chw := make([][]float32, len(patches))
	seeds := make([]int64, len(patches))
	for i, p := range patches {
		chw[i], seeds[i] = p.CHW(m.spec), ui.DefaultSeed(p.CellID)
	}
	ms, release, err := m.acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	return ms.ClassifyPatches(ctx, chw, seeds, m.views)
}

// sceneOf returns the GDAL scene behind a ui scene opened by this program.
func sceneOf(s *ui.Scene) (*guiScene, error) {
	if s == nil {
		return nil, errors.New("no scene is open")
	}
	gs, ok := s.Source.(*guiScene)
	if !ok {
		return nil, fmt.Errorf("scene %s was not opened through GDAL", s.Source.Info().Name)
	}
	return gs, nil
}

// readPatch reads a cell's overhead patch as the encoder's input tensor.
func (s *guiScene) readPatch(cell ui.Cell, spec geodata.PatchSpec) ([]float32, error) {
	r, err := s.patchReader(spec)
	if err != nil {
		return nil, err
	}
	p, err := r.Read(geodata.Cell{Row: cell.Row, Col: cell.Col})
	if err != nil {
		return nil, fmt.Errorf("patch of cell %s: %w", cell.ID, err)
	}
	return p.CHW(spec), nil
}

// patchKey identifies a patch reader by the spec fields that change how it
// reads.
type patchKey struct {
	size int
	res  float64
}

// patchReader returns the scene's reader for spec, opening it on first
// use. Readers are closed with the scene.
func (s *guiScene) patchReader(spec geodata.PatchSpec) (*geodata.PatchReader, error) {
	s.patchMu.Lock()
	defer s.patchMu.Unlock()
	key := patchKey{spec.Size, spec.GroundResolutionM}
	if r, ok := s.patches[key]; ok {
		return r, nil
	}
	r, err := geodata.NewPatchReader(s.ds, s.grid, spec, s.layer.Style())
	if err != nil {
		return nil, err
	}
	if s.patches == nil {
		s.patches = map[patchKey]*geodata.PatchReader{}
	}
	s.patches[key] = r
	return r, nil
}

// modelSetHash returns a short hash over the sha256 of every model file of
// the set, shown beside its name.
func modelSetHash(ms *inference.ModelSet) string {
	h := sha256.New()
	for _, r := range models.Roles {
		h.Write([]byte(ms.Manifest(r).SHA256))
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// runtimeStatus describes where the models of ms run.
func runtimeStatus(ms *inference.ModelSet) ui.RuntimeStatus {
	st := ms.Provider()
	return ui.RuntimeStatus{
		Provider:  string(st.Active),
		Requested: string(st.Requested),
		Reason:    st.Reason,
		ModelSet:  ms.Name() + " " + ms.Spec().Version,
		ModelHash: modelSetHash(ms),
	}
}

// minCellPixels is the smallest grid cell edge in scene pixels. A cell
// smaller than this would upsample the scene more than PatchSize/16 times
// into its patch and fill the view with grid lines.
const minCellPixels = 16

// cellSizeForScene picks the grid cell edge in metres for a scene with
// pixels of sceneResM metres. It is the model set's footprint, so patches
// match what the encoder was trained on. A cell is at least minCellPixels
// scene pixels, rounded up to 1, 2 or 5 times a power of ten. Without
// models the footprint is geodata's default cell size.
func cellSizeForScene(m *guiModels, sceneResM float64) float64 {
	size := float64(geodata.DefaultCellSizeM)
	if m != nil && m.footprintM() > 0 && !math.IsInf(m.footprintM(), 0) {
		size = m.footprintM()
	}
	if minSize := minCellPixels * sceneResM; minSize > size {
		size = niceCeil(minSize)
	}
	return size
}

// niceCeil returns the smallest 1, 2 or 5 times a power of ten that is at
// least v (v > 0).
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, k := range []float64{1, 2, 5, 10} {
		if k*p >= v*(1-1e-12) {
			return k * p
		}
	}
	return 10 * p
}

// patchResolution returns the ground size in metres of one patch pixel
// on a grid of cellM-metre cells: the patch covers the whole cell unless
// the patch spec fixes its resolution.
func (m *guiModels) patchResolution(cellM float64) float64 {
	if m.spec.GroundResolutionM > 0 {
		return m.spec.GroundResolutionM
	}
	return cellM / float64(m.spec.Size)
}

// bandNote warns when the models would read a raster as a grey image
// (geodata.DefaultBands picks one grey band), because they were trained on
// colour composites.
func bandNote(info geodata.Info) string {
	if mode, _ := geodata.DefaultBands(info); mode != geodata.ModeGrey {
		return ""
	}
	return "The models read this raster as a grey image, but they were trained on colour composites, so its views and land use are less reliable."
}

// resolutionNote warns when the detail in a cell's patch differs from the
// model set's training resolution by more than a factor of two, because
// the models then see imagery unlike what they learnt from. The detail is
// the coarser of the patch's pixels (cellM over the patch size) and the
// scene's: a finer scene is resampled to the patch and loses nothing the
// models need.
func resolutionNote(m *guiModels, sceneResM, cellM float64) string {
	if m == nil || !(m.trainedResM > 0) || !(sceneResM > 0) || !(cellM > 0) {
		return ""
	}
	detail := max(m.patchResolution(cellM), sceneResM)
	ratio := detail / m.trainedResM
	if ratio <= 2 && ratio >= 0.5 {
		return ""
	}
	return fmt.Sprintf("Model set %s was trained on %.3g m pixels; on this scene its patches show %.3g m detail, so its views and land use are less reliable.",
		m.ms.Name(), m.trainedResM, detail)
}

// guiModelSlot holds the model set in use; the training tab can replace
// it while the viewer runs.
type guiModelSlot struct {
	mu sync.Mutex
	m  *guiModels
}

func (s *guiModelSlot) get() *guiModels {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m
}

func (s *guiModelSlot) set(m *guiModels) {
	s.mu.Lock()
	s.m = m
	s.mu.Unlock()
}
