package geodata

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// DefaultClassifyBatch is the number of patches handed to a classifier at
// once.
const DefaultClassifyBatch = 16

// DefaultMaxNoDataFraction is the largest share of nodata a cell's patch
// may have and still be classified.
const DefaultMaxNoDataFraction = 0.5

// CellClassifier assigns class probabilities to overhead patches. The
// inference pipeline (encoder, generator, discriminator features,
// classifier) implements it outside this package.
type CellClassifier interface {
	// PatchSpec returns the overhead input the classifier expects.
	PatchSpec() PatchSpec
	// Classes returns the output classes, in probability order.
	Classes() []Class
	// ClassifyPatches returns one probability vector per patch, each with
	// one value per class.
	ClassifyPatches(ctx context.Context, patches []*Patch) ([][]float32, error)
}

// ClassifyOptions configure ClassifyGrid. The zero value classifies every
// cell with the dataset's default map style.
type ClassifyOptions struct {
	// Style colours the patches; the zero value means DefaultPatchStyle.
	// Pass the map layer's Style so that the models get the colours shown
	// on the map.
	Style Style
	// Cells limits the run to these cells; nil means every cell.
	Cells []Cell
	// BatchSize is the number of patches per classifier call; 0 means
	// DefaultClassifyBatch.
	BatchSize int
	// MaxNoDataFraction skips cells whose patch has more nodata than this
	// (status CellNoData); 0 means DefaultMaxNoDataFraction, and 1 never
	// skips a cell that has any valid pixel.
	MaxNoDataFraction float64
	// Labels, when set, is attached to the result as reference labels.
	Labels *LabelLayer
	// Progress, when set, is called after each batch with the cells done
	// and the total.
	Progress func(done, total int)
	// OnBatch, when set, receives each finished batch (cell and result)
	// so that an overlay can show partial results.
	OnBatch func(cells []Cell, results []CellResult)
}

// ClassifyGrid cuts the patch of each cell, classifies the patches in
// batches and returns the result. Cells whose patch has too much nodata
// are marked CellNoData and not classified. Patches are read by one
// goroutine while the previous batch is classified. On cancellation it
// returns the context's error.
func ClassifyGrid(ctx context.Context, ds *Dataset, g *Grid, classifier CellClassifier, opts ClassifyOptions) (*Result, error) {
	opts, err := classifyDefaults(ds, g, opts)
	if err != nil {
		return nil, err
	}
	reader, err := NewPatchReader(ds, g, classifier.PatchSpec(), opts.Style)
	if err != nil {
		return nil, err
	}
	defer reader.Close()

	res := NewResult(g, classifier.Classes())
	res.Labels = opts.Labels

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := readBatches(ctx, reader, opts.Cells, opts.BatchSize)

	done := 0
	for {
		var b patchBatch
		var ok bool
		select {
		case b, ok = <-batches:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if !ok {
			break
		}
		if b.err != nil {
			return nil, b.err
		}
		if err := classifyBatch(ctx, res, classifier, b.patches, opts); err != nil {
			return nil, err
		}
		done += len(b.patches)
		if opts.Progress != nil {
			opts.Progress(done, len(opts.Cells))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

func classifyDefaults(ds *Dataset, g *Grid, opts ClassifyOptions) (ClassifyOptions, error) {
	if opts.Cells == nil {
		opts.Cells = g.Cells()
	}
	for _, c := range opts.Cells {
		if !g.Contains(c) {
			return opts, fmt.Errorf("classify: cell %+v is outside the %d x %d grid", c, g.Rows(), g.Cols())
		}
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultClassifyBatch
	}
	if opts.MaxNoDataFraction <= 0 {
		opts.MaxNoDataFraction = DefaultMaxNoDataFraction
	}
	if opts.Style.Mode == "" {
		style, err := DefaultPatchStyle(ds)
		if err != nil {
			return opts, err
		}
		opts.Style = style
	}
	return opts, nil
}

// patchBatch is one batch of patches, or the error that stopped reading.
type patchBatch struct {
	patches []*Patch
	err     error
}

// readBatches reads the patches of cells in a goroutine, one batch ahead
// of the consumer.
func readBatches(ctx context.Context, reader *PatchReader, cells []Cell, size int) <-chan patchBatch {
	out := make(chan patchBatch, 1)
	go func() {
		defer close(out)
		for start := 0; start < len(cells); start += size {
			b := patchBatch{}
			for _, c := range cells[start:min(start+size, len(cells))] {
				// A patch of a large cell can take seconds to warp, so
				// cancellation is checked before each one.
				if ctx.Err() != nil {
					return
				}
				p, err := reader.Read(c)
				if err != nil {
					b.err = err
					break
				}
				b.patches = append(b.patches, p)
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	return out
}

// classifyBatch classifies the usable patches of a batch and stores every
// cell's result.
func classifyBatch(ctx context.Context, res *Result, classifier CellClassifier, patches []*Patch, opts ClassifyOptions) error {
	var usable []*Patch
	for _, p := range patches {
		if p.NoDataFraction <= opts.MaxNoDataFraction && p.NoDataFraction < 1 {
			usable = append(usable, p)
		}
	}

	probs := map[Cell][]float32{}
	if len(usable) > 0 {
		out, err := classifier.ClassifyPatches(ctx, usable)
		if err != nil {
			return fmt.Errorf("classify cells %s to %s: %w", usable[0].CellID, usable[len(usable)-1].CellID, err)
		}
		if len(out) != len(usable) {
			return fmt.Errorf("classifier returned %d results for %d patches", len(out), len(usable))
		}
		for i, p := range usable {
			if err := checkProbs(out[i], len(res.Classes)); err != nil {
				return fmt.Errorf("classifier output for cell %s: %w", p.CellID, err)
			}
			probs[p.Cell] = out[i]
		}
	}

	cells := make([]Cell, len(patches))
	results := make([]CellResult, len(patches))
	for i, p := range patches {
		cr := CellResult{Status: CellNoData, NoDataFraction: p.NoDataFraction}
		if pr, ok := probs[p.Cell]; ok {
			cr.Status, cr.Probs = CellClassified, pr
		}
		res.Cells[res.Grid.Index(p.Cell)] = cr
		cells[i], results[i] = p.Cell, cr
	}
	if opts.OnBatch != nil {
		opts.OnBatch(cells, results)
	}
	return nil
}

var errBadProbs = errors.New("invalid class probabilities")

func checkProbs(p []float32, classes int) error {
	if len(p) != classes {
		return fmt.Errorf("%w: %d values for %d classes", errBadProbs, len(p), classes)
	}
	for _, v := range p {
		if math.IsNaN(float64(v)) || v < 0 || v > 1 {
			return fmt.Errorf("%w: %v", errBadProbs, p)
		}
	}
	return nil
}
