package ui

import (
	"sort"
	"sync"
)

// cellKey indexes a grid cell by column and row.
type cellKey struct{ Col, Row int }

// Results holds the land-use classes of a scene and the classifier output
// per cell. It is safe for concurrent use: jobs add results from their
// goroutines while the map's render worker reads them.
type Results struct {
	mu       sync.Mutex
	classes  []Class
	byCell   map[cellKey]CellResult
	version  uint64
	onChange func()
}

// NewResults returns an empty store for the given classes.
func NewResults(classes []Class) *Results {
	return &Results{classes: append([]Class(nil), classes...), byCell: map[cellKey]CellResult{}}
}

// Classes returns the classes the results refer to.
func (r *Results) Classes() []Class {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Class(nil), r.classes...)
}

// SetClasses replaces the classes and drops every result, because indices
// of one class list mean nothing in another.
func (r *Results) SetClasses(classes []Class) {
	r.mu.Lock()
	r.classes = append([]Class(nil), classes...)
	r.byCell = map[cellKey]CellResult{}
	r.version++
	notify := r.onChange
	r.mu.Unlock()
	if notify != nil {
		notify()
	}
}

// Add stores res, replacing any earlier result for the same cell.
func (r *Results) Add(res CellResult) {
	r.mu.Lock()
	r.byCell[cellKey{res.Cell.Col, res.Cell.Row}] = res
	r.version++
	notify := r.onChange
	r.mu.Unlock()
	if notify != nil {
		notify()
	}
}

// Clear drops every result.
func (r *Results) Clear() {
	r.mu.Lock()
	r.byCell = map[cellKey]CellResult{}
	r.version++
	notify := r.onChange
	r.mu.Unlock()
	if notify != nil {
		notify()
	}
}

// Get returns the result for the cell at col, row.
func (r *Results) Get(col, row int) (CellResult, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res, ok := r.byCell[cellKey{col, row}]
	return res, ok
}

// Len returns the number of classified cells.
func (r *Results) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byCell)
}

// All returns every result, sorted by row and then column.
func (r *Results) All() []CellResult {
	r.mu.Lock()
	out := make([]CellResult, 0, len(r.byCell))
	for _, res := range r.byCell {
		out = append(out, res)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Cell.Row != out[j].Cell.Row {
			return out[i].Cell.Row < out[j].Cell.Row
		}
		return out[i].Cell.Col < out[j].Cell.Col
	})
	return out
}

// Version returns a number that changes whenever the results change.
func (r *Results) Version() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version
}

// setOnChange sets the function called after each change, outside the
// store's lock and on the goroutine that made the change.
func (r *Results) setOnChange(f func()) {
	r.mu.Lock()
	r.onChange = f
	r.mu.Unlock()
}

// resultView reads a Results store whose lock is held.
type resultView struct {
	byCell map[cellKey]CellResult
}

func (v resultView) get(col, row int) (CellResult, bool) {
	res, ok := v.byCell[cellKey{col, row}]
	return res, ok
}

func (v resultView) len() int { return len(v.byCell) }

func (v resultView) each(f func(CellResult)) {
	for _, res := range v.byCell {
		f(res)
	}
}

// lookup calls f with a view of the results that is valid while f runs;
// the render worker uses it to read many cells under one lock.
func (r *Results) lookup(f func(resultView)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(resultView{byCell: r.byCell})
}
