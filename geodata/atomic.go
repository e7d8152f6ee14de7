package geodata

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// partialSuffix ends the name of every temporary file an export writes
// beside its target. A file with this suffix left in a folder comes from a
// write that was killed before it finished and can be deleted.
const partialSuffix = ".partial"

// atomicTarget is a file being written under a temporary name beside its
// final name. commit makes it appear under the final name in one rename;
// abort removes it. Sidecars are files that GDAL may write next to the
// temporary file (such as ".aux.xml"), moved or removed with it.
type atomicTarget struct {
	final    string
	temp     string
	sidecars []string // suffixes appended to the file name
	done     bool
}

// sidecarsGDAL are the files GDAL may leave beside a dataset: PAM
// metadata, and SQLite's journals while a GeoPackage is open.
var sidecarsGDAL = []string{".aux.xml", "-journal", "-wal", "-shm"}

// newAtomicTarget reserves a temporary name in the folder of final. The
// folder must exist; the temporary file exists (empty) on return.
func newAtomicTarget(final string, sidecars ...string) (*atomicTarget, error) {
	dir := filepath.Dir(final)
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("write %s: output folder: %w", final, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("write %s: %s is not a folder", final, dir)
	}
	if st, err := os.Stat(final); err == nil && st.IsDir() {
		return nil, fmt.Errorf("write %s: a folder has this name; choose a file name", final)
	}

	f, err := os.CreateTemp(dir, "."+filepath.Base(final)+".*"+partialSuffix)
	if err != nil {
		return nil, fmt.Errorf("write %s: create temporary file: %w", final, err)
	}
	temp := f.Name()
	if err := f.Close(); err != nil {
		_ = os.Remove(temp)
		return nil, fmt.Errorf("write %s: create temporary file: %w", final, err)
	}
	return &atomicTarget{final: final, temp: temp, sidecars: sidecars}, nil
}

// commit flushes the temporary file to disk and renames it (and its
// sidecars) to the final name. A sidecar of an earlier file under the
// final name that this write did not produce is removed, so stale
// metadata never describes the new file.
func (a *atomicTarget) commit() error {
	return commitAll(a)
}

// commitAll commits targets together: it flushes all of them before it
// renames any, and when a step fails it removes every temporary file and
// every final file already renamed, so no target appears without the
// others. NOTE: a failed rename can only be undone by removing the new
// final file, so a file replaced by the first targets is then lost.
func commitAll(targets ...*atomicTarget) error {
	for _, a := range targets {
		if a.done {
			abortAll(targets)
			return errors.New("atomic write committed or aborted twice")
		}
		if err := a.flush(); err != nil {
			abortAll(targets)
			return err
		}
	}
	for i, a := range targets {
		if err := a.rename(); err != nil {
			for _, renamed := range targets[:i] {
				renamed.removeFinal()
			}
			abortAll(targets[i:])
			return err
		}
	}
	for _, a := range targets {
		if err := syncDir(filepath.Dir(a.final)); err != nil {
			return err
		}
	}
	return nil
}

func abortAll(targets []*atomicTarget) {
	for _, a := range targets {
		a.abort()
	}
}

// flush writes the temporary file and its sidecars to disk and gives the
// file the final permissions.
func (a *atomicTarget) flush() error {
	if err := syncFile(a.temp); err != nil {
		return fmt.Errorf("write %s: flush to disk: %w", a.final, err)
	}
	if err := os.Chmod(a.temp, a.finalMode()); err != nil {
		return fmt.Errorf("write %s: set permissions: %w", a.final, err)
	}
	for _, s := range a.sidecars {
		if err := syncFile(a.temp + s); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("write %s: flush %s: %w", a.final, a.temp+s, err)
		}
	}
	return nil
}

// rename moves the sidecars and then the file to their final names.
func (a *atomicTarget) rename() error {
	for _, s := range a.sidecars {
		if err := a.commitSidecar(s); err != nil {
			return err
		}
	}
	if err := os.Rename(a.temp, a.final); err != nil {
		return fmt.Errorf("write %s: rename from temporary file: %w", a.final, err)
	}
	a.done = true
	return nil
}

// removeFinal removes a committed file and its sidecars from their final
// names, when a target committed with it failed.
func (a *atomicTarget) removeFinal() {
	_ = os.Remove(a.final)
	for _, s := range a.sidecars {
		_ = os.Remove(a.final + s)
	}
}

// finalMode returns the permissions of the file being replaced, or
// rw-r--r-- for a new file (os.CreateTemp makes the temporary file rw-------).
func (a *atomicTarget) finalMode() os.FileMode {
	if st, err := os.Stat(a.final); err == nil {
		return st.Mode().Perm()
	}
	return 0o644
}

func (a *atomicTarget) commitSidecar(suffix string) error {
	from, to := a.temp+suffix, a.final+suffix
	if _, err := os.Stat(from); errors.Is(err, os.ErrNotExist) {
		if err := os.Remove(to); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("write %s: remove stale %s: %w", a.final, to, err)
		}
		return nil
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("write %s: rename %s: %w", a.final, from, err)
	}
	return nil
}

// abort removes the temporary file and its sidecars. It is safe to call
// after commit (it then does nothing) and more than once.
func (a *atomicTarget) abort() {
	if a.done {
		return
	}
	a.done = true
	_ = os.Remove(a.temp)
	for _, s := range append(a.sidecars, sidecarsGDAL...) {
		_ = os.Remove(a.temp + s)
	}
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// syncDir flushes a folder's entries so that a rename survives a power
// loss. File systems that cannot sync a folder are not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// writeFileAtomic writes a file through write, which streams into a
// buffered temporary file beside path. The file appears under path only
// when write returns nil and ctx is not cancelled; otherwise the
// temporary file is removed and the error returned.
func writeFileAtomic(ctx context.Context, path string, write func(w io.Writer) error) error {
	target, err := stageFile(ctx, path, write)
	if err != nil {
		return err
	}
	return target.commit()
}

// stageFile is writeFileAtomic without the commit: on success the caller
// owns the returned target and must commit or abort it.
func stageFile(ctx context.Context, path string, write func(w io.Writer) error) (*atomicTarget, error) {
	target, err := newAtomicTarget(path)
	if err != nil {
		return nil, err
	}
	if err := writeTemp(ctx, target.temp, write); err != nil {
		target.abort()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		target.abort()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return target, nil
}

func writeTemp(ctx context.Context, temp string, write func(w io.Writer) error) error {
	f, err := os.OpenFile(temp, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	buf := bufio.NewWriterSize(f, 1<<16)
	if err := write(buf); err != nil {
		_ = f.Close()
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = f.Close()
		return err
	}
	if err := buf.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// writeGDALAtomic runs write with a temporary path beside path, for
// writers (GDAL drivers) that create the file by name. The temporary file
// exists, empty, when write starts. Write should remove it (os.Remove)
// just before GDAL creates the file, because some drivers open an
// existing file instead of replacing it. The file and its GDAL sidecars
// appear under path only when write returns nil and ctx is not cancelled.
func writeGDALAtomic(ctx context.Context, path string, write func(temp string) error) error {
	target, err := stageGDAL(ctx, path, write)
	if err != nil {
		return err
	}
	return target.commit()
}

// stageGDAL is writeGDALAtomic without the commit: on success the caller
// owns the returned target and must commit or abort it.
func stageGDAL(ctx context.Context, path string, write func(temp string) error) (*atomicTarget, error) {
	target, err := newAtomicTarget(path, ".aux.xml")
	if err != nil {
		return nil, err
	}
	if err := write(target.temp); err != nil {
		target.abort()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		target.abort()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return target, nil
}
