//go:build onnx

package training

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// CheckpointFile is the name of the checkpoint inside a run folder.
const CheckpointFile = "checkpoint.gob"

// savedVar is one model variable in a checkpoint.
type savedVar struct {
	Path      string
	DType     string
	Dims      []int
	Trainable bool
	Data      []byte
}

// checkpoint is the content of CheckpointFile: the run state and
// every variable of the model store (weights, batch-norm statistics, Adam
// moments and step counters).
type checkpoint struct {
	State runState
	Vars  []savedVar
}

// saveCheckpoint writes the state and the store's variables atomically.
func (e *engine) saveCheckpoint(path string, st runState) error {
	ck := checkpoint{State: st}
	for v := range e.store.IterVariables() {
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("save checkpoint: variable %s: %w", v.Path(), err)
		}
		sv := savedVar{Path: v.Path(), DType: t.DType().String(), Dims: t.Shape().Dimensions, Trainable: v.Trainable}
		if err := t.ConstBytes(func(b []byte) { sv.Data = append([]byte(nil), b...) }); err != nil {
			return fmt.Errorf("save checkpoint: variable %s: %w", v.Path(), err)
		}
		ck.Vars = append(ck.Vars, sv)
	}
	return writeFileAtomic(path, func(w *bufio.Writer) error { return gob.NewEncoder(w).Encode(&ck) })
}

// readCheckpoint reads a checkpoint; it returns an error wrapping
// os.ErrNotExist when there is none.
func readCheckpoint(path string) (*checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	defer f.Close()
	var ck checkpoint
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&ck); err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w; delete it to start over", path, err)
	}
	return &ck, nil
}

// loadVariables creates the checkpoint's variables in the (empty) store.
func (e *engine) loadVariables(ck *checkpoint) error {
	for _, sv := range ck.Vars {
		dt, err := dtypes.DTypeString(sv.DType)
		if err != nil {
			return fmt.Errorf("load checkpoint: variable %s: %w", sv.Path, err)
		}
		t := tensors.FromShape(shapes.Make(dt, sv.Dims...))
		var copyErr error
		if err := t.MutableBytes(func(b []byte) {
			if len(b) != len(sv.Data) {
				copyErr = fmt.Errorf("has %d bytes, want %d", len(sv.Data), len(b))
				return
			}
			copy(b, sv.Data)
		}); err != nil || copyErr != nil {
			return fmt.Errorf("load checkpoint: variable %s: %w", sv.Path, errors.Join(err, copyErr))
		}
		v, err := e.store.CreateVariable(sv.Path, t)
		if err != nil {
			return fmt.Errorf("load checkpoint: variable %s: %w", sv.Path, err)
		}
		v.SetTrainable(sv.Trainable)
	}
	return nil
}

func checkpointPath(runDir string) string { return filepath.Join(runDir, CheckpointFile) }
