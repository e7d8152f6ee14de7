package ui

import (
	"context"
	"image"
	"image/color"
	"io"
	"time"
)

// SourceInfo describes the imagery of a scene.
type SourceInfo struct {
	Name   string  // display name, usually the file's base name
	Path   string  // file path, stored in project files
	Extent MapRect // map rectangle covered by the raster

	// CRS is a short description of the coordinate reference system, such
	// as "EPSG:31985 (SIRGAS 2000 / UTM zone 25S)"; empty when the raster
	// has none.
	CRS string

	// Units names the map units: "m", "deg", or "units" for scene units
	// of a raster without a CRS.
	Units string

	// PixelSize is the native ground resolution in map units per raster
	// pixel.
	PixelSize float64

	Width, Height int // raster size in pixels
	Bands         int

	// HasLonLat reports whether map points can be converted to longitude
	// and latitude (false for local CRSs and rasters without georeferencing).
	HasLonLat bool

	// NeedsOverviews reports a large raster without overviews, which is
	// slow to show zoomed out because every pixel must be read.
	NeedsOverviews bool

	// Note explains how the raster is shown when that is not obvious,
	// such as "no georeferencing: shown in pixel coordinates".
	Note string
}

// PointInfo locates a map point in the raster. It is computed without I/O.
type PointInfo struct {
	Inside   bool    // the point lies on the raster
	Col, Row int     // raster pixel under the point (valid when Inside)
	Lon, Lat float64 // WGS 84 degrees (valid when HasLonLat)

	HasLonLat bool
}

// BandValue is the raw value of one band at a pixel.
type BandValue struct {
	Band   string // band description, such as "Band 3 (Red)"
	Value  float64
	NoData bool // the value is the band's nodata value or masked out
}

// MapSource renders a scene's imagery.
//
// Info and Locate must be cheap and free of I/O, because the UI calls them
// on every mouse move. Render and Values may read files; the UI calls them
// from goroutines only, possibly concurrently.
type MapSource interface {
	Info() SourceInfo
	Locate(p MapPoint) PointInfo

	// Render draws view v into dst, whose bounds are exactly v.Width x
	// v.Height pixels starting at (0,0). Areas outside the raster or with
	// no data are left fully transparent.
	Render(ctx context.Context, v View, dst *image.RGBA) error

	// Values returns the raw band values at p; the slice is empty when p is
	// outside the raster.
	Values(ctx context.Context, p MapPoint) ([]BandValue, error)
}

// Cell is one grid cell of a scene.
type Cell struct {
	ID       string  // stable identifier, such as "r003c012"
	Col, Row int     // grid column and row, from the top-left cell
	Bounds   MapRect // map rectangle the cell covers
}

// Grid cuts a scene into regular, axis-aligned cells: cell (col, row)
// lies right of (col-1, row) and below (col, row-1), and all cells have the
// same map size.
type Grid interface {
	// Dims returns the number of columns and rows.
	Dims() (cols, rows int)

	// Cell returns the cell at column col and row row, which must be in
	// range.
	Cell(col, row int) Cell

	// CellAt returns the cell containing p, or false when p is outside the
	// grid.
	CellAt(p MapPoint) (Cell, bool)

	// Span returns the inclusive column and row range of the cells that
	// intersect r; ok is false when none does.
	Span(r MapRect) (col0, row0, col1, row1 int, ok bool)

	// CellSize returns the width and height of a cell in map units.
	CellSize() (w, h float64)
}

// Class is one land-use or label class with its display colour.
type Class struct {
	Name  string
	Color color.NRGBA
}

// CellResult holds the classifier output for one cell.
type CellResult struct {
	Cell  Cell
	Probs []float32 // one probability per class, summing to about 1; empty for a cell skipped as nodata

	// NoDataFraction is the share of the cell's patch without data, 0..1.
	NoDataFraction float64
}

// Best returns the index of the most probable class and its probability,
// or -1 when Probs is empty.
func (r CellResult) Best() (class int, prob float32) {
	class = -1
	for i, p := range r.Probs {
		if class < 0 || p > prob {
			class, prob = i, p
		}
	}
	return class, prob
}

// Classifier assigns land-use class probabilities to cells.
type Classifier interface {
	Classes() []Class

	// Classify classifies cells of scene and calls emit once per cell as
	// results are ready, from any goroutine but never concurrently. It
	// returns ctx.Err() when cancelled; results already emitted stay valid.
	Classify(ctx context.Context, scene *Scene, cells []Cell, emit func(CellResult)) error
}

// ViewRequest describes the views of a cell to generate.
type ViewRequest struct {
	Seed  int64 // the noise seed
	Count int   // the number of views

	// Variety is the standard deviation of the generator's noise: 0 for
	// the model set's default (ViewGenerator.DefaultVariety), or a value in
	// [MinVariety, 1]. At 1, the noise the generator was trained with, its
	// views vary the most. Lower values keep the views nearer the cell's
	// most typical look (the truncation trick).
	Variety float64
}

// ViewGenerator generates ground-level views for a cell.
type ViewGenerator interface {
	// Generate makes req.Count views of a cell of scene and calls emit for
	// each image as it is ready, never concurrently. The same cell and
	// request give the same images. It returns ctx.Err() when cancelled.
	Generate(ctx context.Context, scene *Scene, cell Cell, req ViewRequest, emit func(index int, img image.Image)) error

	// DefaultVariety returns the variety the model set's views are drawn
	// with when a request leaves it 0, normally in (0, 1]; it may lie
	// below MinVariety.
	DefaultVariety() float64
}

// MinVariety is the lowest variety the viewer offers.
const MinVariety = 0.1

// ValidVariety reports whether v may be a ViewRequest's Variety: 0, or a
// value in [MinVariety, 1].
func ValidVariety(v float64) bool { return v == 0 || (v >= MinVariety && v <= 1) }

// Photo is one geotagged ground photo.
type Photo struct {
	Name string
	Path string
	At   MapPoint // position in the scene's map coordinates
}

// PhotoLayer is a set of geotagged ground photos placed on the scene.
type PhotoLayer interface {
	Name() string
	Path() string

	// PhotosIn lists the photos inside r, without I/O.
	PhotosIn(r MapRect) []Photo

	// Load reads a photo, scaled so its longer edge is at most maxEdge
	// pixels.
	Load(ctx context.Context, p Photo, maxEdge int) (image.Image, error)
}

// LabelLayer assigns a label class to grid cells, for instance from
// census-tract polygons.
type LabelLayer interface {
	Name() string
	Path() string
	Classes() []Class

	// CellLabel returns the label class index of the cell at col, row, or
	// false when the cell has no label. It must not do I/O, because the map
	// calls it for every visible cell when it draws the layer.
	CellLabel(col, row int) (class int, ok bool)
}

// Scene is an opened data set: imagery, its grid and optional layers.
type Scene struct {
	Source MapSource
	Grid   Grid
	Labels LabelLayer // nil when none is loaded
	Photos PhotoLayer // nil when none is loaded

	// SHA256 is the hex sha256 of the imagery file, stored in project
	// files; empty when it was not computed.
	SHA256 string

	// Closer releases the scene's files; nil when there is nothing to
	// release.
	Closer io.Closer
}

// ExportFormat is one format that an [Exporter] writes.
type ExportFormat struct {
	ID   string // short name, such as "gpkg"
	Name string // display name, such as "GeoPackage (one polygon per cell)"
	Ext  string // file extension with the dot, such as ".gpkg"

	// NeedsLonLat marks formats that store longitude/latitude (GeoJSON,
	// KML); the export dialog hides them for rasters without them.
	NeedsLonLat bool
}

// ExportRequest is a request to write the classified cells of a scene.
type ExportRequest struct {
	Scene   *Scene
	Format  string // ExportFormat.ID
	Path    string // output file
	Classes []Class
	Results []CellResult
}

// Exporter writes land-use results as zoning layers.
type Exporter interface {
	Formats() []ExportFormat

	// Export writes req.Results to req.Path atomically: a cancelled or
	// failed export leaves no file under the final name. It calls progress
	// with the cells written so far.
	Export(ctx context.Context, req ExportRequest, progress func(done, total int)) error
}

// RuntimeStatus describes how models run, for the status bar and job logs.
type RuntimeStatus struct {
	Provider  string // execution provider in use, such as "CPU" or "CUDA"
	Requested string // provider the user asked for, such as "auto" or "cuda"
	Reason    string // reason Provider differs from Requested; empty when it does not

	ModelSet  string // name and version of the model set in use
	ModelHash string // short hash of the model set's files
}

// TrainConfig holds the parameters of a training run that the training
// tab lets the user set.
type TrainConfig struct {
	Name      string // model set name
	Setting   string // data setting, one of Trainer.Settings()
	DataDir   string // folder with the training data sets
	RunDir    string // folder for checkpoints, loss curves and sample grids
	ExportDir string // folder the trained model set is written to

	BatchSize     int
	EncoderEpochs int
	GANEpochs     int
	LearningRate  float64 // Adam learning rate of the GAN
	MaxSteps      int     // stop after this many GAN steps; 0 means no limit
	Seed          int64
}

// TrainEvent reports training progress.
type TrainEvent struct {
	Phase          string // such as "encoder", "gan", "classifier", "export"
	Epoch, Epochs  int
	Step, Steps    int // steps done and total in the phase
	Elapsed, ETA   time.Duration
	Losses         map[string]float64 // latest value of each named loss
	SampleGridPath string             // PNG of generated samples, when one was written
	Message        string
}

// TrainResult is a finished training run.
type TrainResult struct {
	ModelSetDir string // folder of the exported model set
	Name        string // model set name
}

// Trainer trains a model set, one run at a time.
type Trainer interface {
	Defaults() TrainConfig
	Settings() []string

	// Train runs a training loop, resuming from a checkpoint in
	// cfg.RunDir when there is one, and calls emit from that loop; emit
	// must return quickly. It returns ctx.Err() when cancelled, after
	// saving a checkpoint.
	Train(ctx context.Context, cfg TrainConfig, emit func(TrainEvent)) (TrainResult, error)

	// SetPaused holds (true) or resumes (false) the running loop between
	// steps.
	SetPaused(paused bool)
}
