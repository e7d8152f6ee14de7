package geodata

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/airbusgeo/godal"
)

var registerOnce sync.Once

// godalInit registers GDAL's drivers and the message handler once per
// process.
func godalInit() {
	registerOnce.Do(func() {
		installGDALHandler()
		godal.RegisterAll()
	})
}

// maxIdleHandles is how many unused GDAL handles a Dataset keeps open for
// reuse. More handles are opened while more goroutines read at once, and
// closed again when they are returned beyond this number.
const maxIdleHandles = 4

// Dataset is an open raster. It owns a pool of GDAL handles on the same
// file and lends one to each call, so all its methods are safe for
// concurrent use. Close it when done.
type Dataset struct {
	path   string
	info   Info
	opener func() (*handle, error)

	mu     sync.Mutex
	idle   []*handle
	busy   int
	closed bool

	lonLatOnce sync.Once
	toLonLat   *CRSTransform
	fromLonLat *CRSTransform
	lonLatErr  error
}

// handle is one GDAL dataset handle with the handles it depends on (for a
// warped VRT, its source), closed together.
type handle struct {
	ds      *godal.Dataset
	sources []*godal.Dataset
}

func (h *handle) close() error {
	var errs []error
	if h.ds != nil {
		errs = append(errs, h.ds.Close((&gdalCall{}).option()))
		h.ds = nil
	}
	for _, src := range h.sources {
		errs = append(errs, src.Close((&gdalCall{}).option()))
	}
	h.sources = nil
	return errors.Join(errs...)
}

// Open opens a raster read-only and describes it. The error names the file
// and wraps os.ErrNotExist, ErrEmptyFile, ErrUnsupportedFormat, ErrCorrupt
// or ErrNoBands when one of them is the cause.
func Open(path string) (*Dataset, error) {
	godalInit()
	if err := checkFile(path); err != nil {
		return nil, err
	}
	opener := func() (*handle, error) { return openHandle(path) }
	return newDataset(path, opener)
}

// checkFile rejects missing and empty files before GDAL opens them, so
// their errors name the cause plainly. Paths GDAL resolves itself (/vsi..., URLs,
// VRT XML) pass through.
func checkFile(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if isGDALVirtualPath(path) {
			return nil
		}
		return fmt.Errorf("open raster %s: %w", path, fs.ErrNotExist)
	case err != nil:
		return fmt.Errorf("open raster %s: %w", path, err)
	case st.Mode().IsRegular() && st.Size() == 0:
		return fmt.Errorf("open raster %s: %w", path, ErrEmptyFile)
	}
	return nil
}

func isGDALVirtualPath(path string) bool {
	for _, prefix := range []string{"/vsi", "<", "http://", "https://"} {
		if len(path) >= len(prefix) && path[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}

func openHandle(path string) (*handle, error) {
	call := &gdalCall{}
	// godal passes GDAL a sibling list holding only the file itself, which
	// hides side-car files (.ovr, .msk, .aux.xml, world files). An empty
	// SiblingFiles option lets GDAL list the folder itself.
	ds, err := godal.Open(path, godal.RasterOnly(), godal.SiblingFiles(), call.option())
	if err != nil {
		return nil, classifyOpenError(path, err)
	}
	return &handle{ds: ds}, nil
}

// newDataset opens a first handle with opener, reads the Info from it and
// keeps the handle in the pool.
func newDataset(path string, opener func() (*handle, error)) (*Dataset, error) {
	h, err := opener()
	if err != nil {
		return nil, err
	}
	info, err := readInfo(path, h.ds)
	if err != nil {
		return nil, errors.Join(err, h.close())
	}
	d := &Dataset{path: path, info: info, opener: opener, idle: []*handle{h}}
	return d, nil
}

// Path returns the path the dataset was opened with.
func (d *Dataset) Path() string { return d.path }

// Info returns the raster's description, read once at Open. The slices in
// it are shared: do not modify them.
func (d *Dataset) Info() Info { return d.info }

// Close closes every GDAL handle of the dataset. Handles lent to calls in
// progress are closed when those calls return. Close is idempotent: later
// calls return nil.
func (d *Dataset) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	idle := d.idle
	d.idle = nil
	d.mu.Unlock()

	var errs []error
	for _, h := range idle {
		errs = append(errs, h.close())
	}
	for _, tr := range []*CRSTransform{d.toLonLat, d.fromLonLat} {
		if tr != nil {
			errs = append(errs, tr.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close raster %s: %w", d.path, err)
	}
	return nil
}

// WithHandle lends fn a GDAL handle of the dataset for the duration of the
// call. fn must not keep the handle, close it or share it with another
// goroutine. Concurrent calls get different handles.
func (d *Dataset) WithHandle(fn func(ds *godal.Dataset) error) error {
	h, err := d.acquire()
	if err != nil {
		return err
	}
	defer d.release(h)
	return fn(h.ds)
}

func (d *Dataset) acquire() (*handle, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, fmt.Errorf("raster %s: %w", d.path, ErrClosed)
	}
	if n := len(d.idle); n > 0 {
		h := d.idle[n-1]
		d.idle = d.idle[:n-1]
		d.busy++
		d.mu.Unlock()
		return h, nil
	}
	d.busy++
	d.mu.Unlock()

	h, err := d.opener()
	if err != nil {
		d.mu.Lock()
		d.busy--
		d.mu.Unlock()
		return nil, err
	}
	return h, nil
}

func (d *Dataset) release(h *handle) {
	d.mu.Lock()
	d.busy--
	if d.closed || len(d.idle) >= maxIdleHandles {
		d.mu.Unlock()
		_ = h.close() // a read-only handle has nothing to flush
		return
	}
	d.idle = append(d.idle, h)
	d.mu.Unlock()
}
