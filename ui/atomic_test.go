package ui

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomicPermissions(t *testing.T) {
	dir := t.TempDir()
	write := func(path string) {
		t.Helper()
		if err := writeFileAtomic(path, func(w io.Writer) error { _, err := w.Write([]byte("data")); return err }); err != nil {
			t.Fatal(err)
		}
	}
	mode := func(path string) os.FileMode {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}

	fresh := filepath.Join(dir, "new.png")
	write(fresh)
	if got := mode(fresh); got != 0o644 {
		t.Errorf("new file has mode %v, want -rw-r--r--", got)
	}

	private := filepath.Join(dir, "private.json")
	if err := os.WriteFile(private, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	write(private)
	if got := mode(private); got != 0o600 {
		t.Errorf("replaced file has mode %v, want its old -rw-------", got)
	}
}
