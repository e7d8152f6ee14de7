package inference

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/downthere/downthere/models"
)

// tensorSpec is one input or output of a model with the batch dimension
// removed.
type tensorSpec struct {
	name     string
	itemDims []int64 // shape of one item
	itemSize int     // product of itemDims
}

// session runs one model. It holds one ONNX Runtime session, created once,
// and pools of preallocated input and output tensors, one pool per batch
// size. ONNX Runtime allows concurrent Run calls on one session, so each
// call takes its own tensor set from a pool.
type session struct {
	file     string // model file, for errors
	manifest *models.Manifest
	ort      *ort.DynamicAdvancedSession
	inputs   []tensorSpec
	outputs  []tensorSpec

	// batch is the model's fixed batch size, or 0 for a dynamic batch, in
	// which case maxBatch is the largest batch the engine runs.
	batch    int
	maxBatch int

	slots chan struct{} // limits the tensor sets in use at once

	mu     sync.Mutex
	free   map[int][]*tensorSet // idle tensor sets by batch size
	closed bool
}

// tensorSet is the tensors for one run at one batch size.
type tensorSet struct {
	size    int
	inputs  []*ort.Tensor[float32]
	outputs []*ort.Tensor[float32]
	inVals  []ort.Value
	outVals []ort.Value
	options *ort.RunOptions // lets a cancelled context stop a run
}

func (t *tensorSet) destroy() {
	for _, v := range t.inputs {
		v.Destroy()
	}
	for _, v := range t.outputs {
		v.Destroy()
	}
	if t.options != nil {
		t.options.Destroy()
	}
}

// newSession creates the ONNX Runtime session for a model whose manifest
// was already checked against the model (see checkModel). The session
// computes only the outputs named. concurrency bounds the runs in flight,
// and so the tensor memory.
func newSession(file string, m *models.Manifest, outputs []models.Tensor, data []byte, so *ort.SessionOptions, maxBatch, concurrency int) (*session, error) {
	s := &session{
		file:     file,
		manifest: m,
		inputs:   specsOf(m.Inputs),
		outputs:  specsOf(outputs),
		batch:    int(m.Inputs[0].Shape[0]),
		maxBatch: maxBatch,
		slots:    make(chan struct{}, concurrency),
		free:     map[int][]*tensorSet{},
	}
	if s.batch < 0 {
		s.batch = 0
	}

	var err error
	s.ort, err = ort.NewDynamicAdvancedSessionWithONNXData(data, namesOf(s.inputs), namesOf(s.outputs), so)
	if err != nil {
		return nil, fmt.Errorf("model file %s: create ONNX Runtime session: %w", file, err)
	}
	return s, nil
}

func specsOf(ts []models.Tensor) []tensorSpec {
	specs := make([]tensorSpec, len(ts))
	for i, t := range ts {
		size := 1
		for _, d := range t.Shape[1:] {
			size *= int(d)
		}
		specs[i] = tensorSpec{name: t.Name, itemDims: t.Shape[1:], itemSize: size}
	}
	return specs
}

func namesOf(specs []tensorSpec) []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	return names
}

// batchSize returns the batch the engine runs: the model's own fixed batch,
// or maxBatch for a dynamic one.
func (s *session) batchSize() int {
	if s.batch > 0 {
		return s.batch
	}
	return s.maxBatch
}

// runSize returns the tensor batch size for a run of n items (n <= the
// batch size): the fixed batch, or for a dynamic model n rounded up to a
// power of two, so that few tensor sizes are kept.
func (s *session) runSize(n int) int {
	if s.batch > 0 {
		return s.batch
	}
	size := 1 << bits.Len(uint(n-1))
	return min(size, s.maxBatch)
}

// errClosed is returned by a run on a session whose model set was closed.
var errClosed = errors.New("model set is closed")

// acquire takes an idle tensor set of the given batch size, or makes one.
// It blocks while concurrency sets are in use.
func (s *session) acquire(ctx context.Context, size int) (*tensorSet, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.slots
		return nil, errClosed
	}
	if free := s.free[size]; len(free) > 0 {
		t := free[len(free)-1]
		s.free[size] = free[:len(free)-1]
		s.mu.Unlock()
		return t, nil
	}
	s.mu.Unlock()

	t, err := s.newTensorSet(size)
	if err != nil {
		<-s.slots
		return nil, err
	}
	return t, nil
}

// release returns a tensor set to its pool.
func (s *session) release(t *tensorSet) {
	s.mu.Lock()
	if s.closed {
		t.destroy()
	} else {
		s.free[t.size] = append(s.free[t.size], t)
	}
	s.mu.Unlock()
	<-s.slots
}

func (s *session) newTensorSet(size int) (*tensorSet, error) {
	t := &tensorSet{size: size}
	for _, spec := range s.inputs {
		v, err := ort.NewEmptyTensor[float32](batchShape(size, spec))
		if err != nil {
			t.destroy()
			return nil, fmt.Errorf("model file %s: allocate input %q for batch %d: %w", s.file, spec.name, size, err)
		}
		t.inputs = append(t.inputs, v)
		t.inVals = append(t.inVals, v)
	}
	for _, spec := range s.outputs {
		v, err := ort.NewEmptyTensor[float32](batchShape(size, spec))
		if err != nil {
			t.destroy()
			return nil, fmt.Errorf("model file %s: allocate output %q for batch %d: %w", s.file, spec.name, size, err)
		}
		t.outputs = append(t.outputs, v)
		t.outVals = append(t.outVals, v)
	}
	var err error
	if t.options, err = ort.NewRunOptions(); err != nil {
		t.destroy()
		return nil, fmt.Errorf("model file %s: create run options: %w", s.file, err)
	}
	return t, nil
}

func batchShape(size int, spec tensorSpec) ort.Shape {
	dims := append([]int64{int64(size)}, spec.itemDims...)
	return ort.NewShape(dims...)
}

// feed fills one input of a batch: item i of the batch gets the values for
// item first+i. It must write every value of dst it is given for an item.
type feed func(input, item int, dst []float32)

// run runs the model on count items in batches. fill writes the input
// values of each item; out[j] receives output j of all items, item after
// item, and must hold count*outputs[j].itemSize values. A padded last
// batch gets zeros in its unused rows. A cancelled ctx stops between
// batches and interrupts a batch in progress.
func (s *session) run(ctx context.Context, count int, fill feed, out [][]float32) error {
	for j, spec := range s.outputs {
		if len(out[j]) != count*spec.itemSize {
			return fmt.Errorf("model file %s: output %q buffer has %d values, want %d", s.file, spec.name, len(out[j]), count*spec.itemSize)
		}
	}

	step := s.batchSize()
	for first := 0; first < count; first += step {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(step, count-first)
		if err := s.runBatch(ctx, first, n, fill, out); err != nil {
			return err
		}
	}
	return nil
}

// runBatch runs items first..first+n-1 through one tensor set.
func (s *session) runBatch(ctx context.Context, first, n int, fill feed, out [][]float32) error {
	t, err := s.acquire(ctx, s.runSize(n))
	if err != nil {
		return fmt.Errorf("model file %s: %w", s.file, err)
	}
	defer s.release(t)

	for i, spec := range s.inputs {
		data := t.inputs[i].GetData()
		for item := 0; item < n; item++ {
			fill(i, first+item, data[item*spec.itemSize:(item+1)*spec.itemSize])
		}
		clear(data[n*spec.itemSize:])
	}

	if err := s.runTensors(ctx, t, t.outVals); err != nil {
		return err
	}
	for j, spec := range s.outputs {
		src := t.outputs[j].GetData()[:n*spec.itemSize]
		copy(out[j][first*spec.itemSize:], src)
	}
	return nil
}

// runTensors runs the session on a filled tensor set, writing the outputs
// to outVals. A context that can be cancelled gets a callback that
// terminates the run.
func (s *session) runTensors(ctx context.Context, t *tensorSet, outVals []ort.Value) error {
	if ctx.Done() == nil {
		if err := s.ort.Run(t.inVals, outVals); err != nil {
			return fmt.Errorf("model file %s: run: %w", s.file, err)
		}
		return nil
	}

	terminated := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		t.options.Terminate()
		close(terminated)
	})
	err := s.ort.RunWithOptions(t.inVals, outVals, t.options)
	if !stop() {
		// The callback has started: wait until it has set the terminate
		// flag, then clear the flag so that the set can be reused.
		<-terminated
		t.options.UnsetTerminate()
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("model file %s: run: %w", s.file, err)
	}
	return nil
}

// close destroys the session and its tensors. Runs must have ended; the
// model set's reference count ensures this.
func (s *session) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.closed {
		return nil
	}
	s.closed = true
	for _, sets := range s.free {
		for _, t := range sets {
			t.destroy()
		}
	}
	s.free = nil
	if err := s.ort.Destroy(); err != nil {
		return fmt.Errorf("model file %s: destroy session: %w", s.file, err)
	}
	return nil
}
