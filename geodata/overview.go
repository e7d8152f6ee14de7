package geodata

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrHasOverviews means overviews were requested for a raster that already
// has them.
var ErrHasOverviews = errors.New("raster already has overviews")

// OverviewOptions configure BuildOverviews. The zero value builds the
// default levels with AVERAGE resampling (NEAREST for palette rasters).
type OverviewOptions struct {
	// Levels are the reduction factors, each at least 2. The default is 2,
	// 4, 8, ... until the smallest overview fits in 256 x 256 pixels.
	Levels []int
	// Resampling is a GDAL overview resampling name ("AVERAGE", "NEAREST",
	// "MODE", "CUBIC", ...).
	Resampling string
	// Progress, when set, receives the fraction done (0 to 1). GDAL calls it
	// synchronously during the build, so it must return quickly.
	Progress func(done float64)
}

// overviewConfig are the GDAL configuration options for the .ovr file:
// no .aux (RRD) file, DEFLATE-compressed pixel-interleaved 256 x 256 tiles
// (the render tile size), BigTIFF when the file could pass 4 GB.
var overviewConfig = []string{
	"USE_RRD", "NO",
	"COMPRESS_OVERVIEW", "DEFLATE",
	"INTERLEAVE_OVERVIEW", "PIXEL",
	"GDAL_TIFF_OVR_BLOCKSIZE", "256",
	"BIGTIFF_OVERVIEW", "IF_SAFER",
}

// OverviewPath returns where BuildOverviews writes the overviews of path.
func OverviewPath(path string) string { return path + ".ovr" }

// BuildOverviews builds external overviews for the raster at path, written
// to OverviewPath(path). The raster itself is opened read-only and never
// modified. GDAL writes the overviews in a temporary folder beside the
// raster (through a symbolic link to it), and the finished file is synced
// and renamed into place, so a failure or cancellation leaves no .ovr
// file. It returns ErrHasOverviews when the raster already has internal or
// external overviews, and ctx.Err() when ctx is cancelled.
func BuildOverviews(ctx context.Context, path string, opts OverviewOptions) error {
	info, err := describeForOverviews(path)
	if err != nil {
		return err
	}
	levels, resampling, err := overviewPlan(info, opts)
	if err != nil {
		return fmt.Errorf("build overviews of %s: %w", path, err)
	}

	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("build overviews of %s: %w", path, err)
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".ovr-build-")
	if err != nil {
		return fmt.Errorf("build overviews of %s: cannot write beside the raster: %w", path, err)
	}
	defer os.RemoveAll(tmpDir)
	link := filepath.Join(tmpDir, filepath.Base(abs))
	if err := os.Symlink(abs, link); err != nil {
		return fmt.Errorf("build overviews of %s: %w", path, err)
	}

	run := &overviewRun{progress: opts.Progress, cancelled: func() bool { return ctx.Err() != nil }}
	if err := gdalBuildOverviews(link, resampling, levels, overviewConfig, run); err != nil {
		if run.stopped || ctx.Err() != nil {
			return fmt.Errorf("build overviews of %s: %w", path, context.Cause(ctx))
		}
		return fmt.Errorf("build overviews of %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("build overviews of %s: %w", path, err)
	}
	return commitFile(OverviewPath(link), OverviewPath(abs))
}

// describeForOverviews opens path and rejects rasters that already have
// overviews.
func describeForOverviews(path string) (Info, error) {
	ds, err := Open(path)
	if err != nil {
		return Info{}, err
	}
	info := ds.Info()
	if err := ds.Close(); err != nil {
		return Info{}, err
	}
	if _, err := os.Stat(OverviewPath(path)); err == nil {
		return Info{}, fmt.Errorf("build overviews of %s: %w: %s exists (delete it to rebuild)", path, ErrHasOverviews, OverviewPath(path))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("build overviews of %s: %w", path, err)
	}
	if n := len(info.Bands[0].Overviews); n > 0 {
		return Info{}, fmt.Errorf("build overviews of %s: %w: %d internal overview levels", path, ErrHasOverviews, n)
	}
	return info, nil
}

// overviewPlan returns the levels and resampling to build.
func overviewPlan(info Info, opts OverviewOptions) ([]int, string, error) {
	levels := opts.Levels
	if len(levels) == 0 {
		for f := 2; max(info.Width, info.Height)/(f/2) > 256; f *= 2 {
			levels = append(levels, f)
		}
	}
	for _, l := range levels {
		if l < 2 {
			return nil, "", fmt.Errorf("overview level %d: levels must be at least 2", l)
		}
	}
	if len(levels) == 0 {
		return nil, "", fmt.Errorf("raster is %dx%d, already small enough to need no overviews", info.Width, info.Height)
	}
	resampling := strings.ToUpper(opts.Resampling)
	if resampling == "" {
		resampling = "AVERAGE"
		if _, bands := DefaultBands(info); info.Bands[bands[0]-1].IsPalette() {
			resampling = "NEAREST"
		}
	}
	return levels, resampling, nil
}

// commitFile syncs tmp, renames it to final and syncs final's folder.
func commitFile(tmp, final string) error {
	f, err := os.Open(tmp)
	if err != nil {
		return fmt.Errorf("commit %s: GDAL wrote no overview file: %w", final, err)
	}
	syncErr := f.Sync()
	closeErr := f.Close()
	if err := errors.Join(syncErr, closeErr); err != nil {
		return fmt.Errorf("commit %s: %w", final, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("commit %s: %w", final, err)
	}
	dir, err := os.Open(filepath.Dir(final))
	if err != nil {
		return fmt.Errorf("commit %s: %w", final, err)
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("commit %s: sync folder: %w", final, err)
	}
	return nil
}
