package geodata

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")

	if err := writeFileAtomic(context.Background(), path, func(w io.Writer) error {
		_, err := io.WriteString(w, "first")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("new file mode = %v (%v), want -rw-r--r--", st.Mode(), err)
	}

	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	failure := errors.New("disk full")
	err := writeFileAtomic(context.Background(), path, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half")
		return failure
	})
	if !errors.Is(err, failure) {
		t.Errorf("error = %v, want the writer's error", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "first" {
		t.Errorf("content after a failed write = %q, want the old %q", data, "first")
	}

	if err := writeFileAtomic(context.Background(), path, func(w io.Writer) error {
		_, err := io.WriteString(w, "second")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if data, _ := os.ReadFile(path); string(data) != "second" || st.Mode().Perm() != 0o600 {
		t.Errorf("replaced file = %q mode %v, want %q with the old mode -rw-------", data, st.Mode(), "second")
	}
	assertNoPartialFiles(t, dir)
}

func TestWriteGDALAtomicRemovesStaleSidecar(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.tif")
	if err := os.WriteFile(path+".aux.xml", []byte("<PAMDataset/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeGDALAtomic(context.Background(), path, func(temp string) error {
		return os.WriteFile(temp, []byte("new"), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".aux.xml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale %s.aux.xml survived: %v", path, err)
	}
}

func TestCommitAllFailure(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	write := func(w io.Writer) error { _, err := io.WriteString(w, "data"); return err }
	first, err := stageFile(ctx, filepath.Join(dir, "out.tif"), write)
	if err != nil {
		t.Fatal(err)
	}
	second, err := stageFile(ctx, filepath.Join(dir, "out.tif.provenance.json"), write)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(second.temp); err != nil {
		t.Fatal(err)
	}

	if err := commitAll(first, second); err == nil {
		t.Fatal("commitAll with a missing temporary file returned nil")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s left in the folder after a failed commit", e.Name())
	}
}
