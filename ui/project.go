package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/downthere/downthere/models"
)

// ProjectVersion is the version of the project file format written by
// SaveProject.
const ProjectVersion = 1

// Project is the content of a project file: the data it shows, the view,
// the grid, layer styles, selected cells, the model set and the seeds, so
// that reopening it shows the same map and re-running gives the same
// outputs. It is stored as indented JSON.
type Project struct {
	Version int `json:"version"`

	Imagery DataRef  `json:"imagery"`
	Labels  *DataRef `json:"labels,omitempty"`
	Photos  *DataRef `json:"photos,omitempty"`

	View   ProjectView           `json:"view"`
	Grid   ProjectGrid           `json:"grid"`
	Layers map[string]LayerStyle `json:"layers"`

	SelectedCells []string `json:"selected_cells,omitempty"`
	// ShownCell is the cell on the cell panel and the point clicked in it.
	ShownCell *ProjectClick    `json:"shown_cell,omitempty"`
	ModelSet  string           `json:"model_set,omitempty"`
	Seeds     map[string]int64 `json:"seeds,omitempty"`

	// ViewVariety is the cell panel's variety (see ViewRequest.Variety);
	// 0 or absent follows the model set's default.
	ViewVariety float64 `json:"view_variety,omitempty"`
}

// DataRef names a data file or folder and the sha256 of its content when
// it was saved (empty for folders).
type DataRef struct {
	Path   string `json:"path"` // relative to the project file's folder when below it
	SHA256 string `json:"sha256,omitempty"`
}

// ProjectView is the map view: its centre in the scene's map coordinates
// and its scale in map units per logical (density-independent) pixel.
type ProjectView struct {
	CenterX       float64 `json:"center_x"`
	CenterY       float64 `json:"center_y"`
	UnitsPerPixel float64 `json:"units_per_pixel"`
	CRS           string  `json:"crs,omitempty"`
}

// ProjectClick is a click on a grid cell: the cell's id and the clicked
// point in the scene's map coordinates.
type ProjectClick struct {
	Cell string  `json:"cell"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
}

// ProjectGrid is the scene's grid: cell size in map units and cell count.
type ProjectGrid struct {
	CellWidth  float64 `json:"cell_width"`
	CellHeight float64 `json:"cell_height"`
	Cols       int     `json:"cols"`
	Rows       int     `json:"rows"`
	Units      string  `json:"units,omitempty"`
}

// Validate checks the fields a viewer needs to restore the project.
func (p *Project) Validate() error {
	var problems []string
	if p.Version != ProjectVersion {
		problems = append(problems, fmt.Sprintf("version is %d, this viewer reads version %d", p.Version, ProjectVersion))
	}
	if p.Imagery.Path == "" {
		problems = append(problems, "imagery.path is empty")
	}
	v := p.View
	if !(v.UnitsPerPixel > 0) || !finite(v.UnitsPerPixel) || !finite(v.CenterX) || !finite(v.CenterY) {
		problems = append(problems, fmt.Sprintf("view needs a finite center_x and center_y and units_per_pixel > 0, got center_x %g, center_y %g, units_per_pixel %g", v.CenterX, v.CenterY, v.UnitsPerPixel))
	}
	if p.Grid.CellWidth < 0 || p.Grid.CellHeight < 0 {
		problems = append(problems, fmt.Sprintf("grid cell size %gx%g is negative", p.Grid.CellWidth, p.Grid.CellHeight))
	}
	if c := p.ShownCell; c != nil && (c.Cell == "" || !finite(c.X) || !finite(c.Y)) {
		problems = append(problems, fmt.Sprintf("shown_cell needs a cell id and a finite x and y, got cell %q, x %g, y %g; remove shown_cell to show the last selected cell", c.Cell, c.X, c.Y))
	}
	if !ValidVariety(p.ViewVariety) {
		problems = append(problems, fmt.Sprintf("view_variety %g is not between %g and 1 (0 or absent uses the model set's default)", p.ViewVariety, MinVariety))
	}
	for name, st := range p.Layers {
		if layerByName(name) < 0 {
			problems = append(problems, fmt.Sprintf("unknown layer %q (known: %v)", name, layerNames))
		}
		if st.Opacity < 0 || st.Opacity > 1 {
			problems = append(problems, fmt.Sprintf("layer %q opacity %g is outside 0..1", name, st.Opacity))
		}
	}
	if len(problems) > 0 {
		return errors.New(joinProblems(problems))
	}
	return nil
}

func joinProblems(ps []string) string {
	var b bytes.Buffer
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p)
	}
	return b.String()
}

// layerByName returns the layer with display name name, or -1.
func layerByName(name string) LayerID {
	for id, n := range layerNames {
		if n == name {
			return LayerID(id)
		}
	}
	return -1
}

// SaveProject writes p to path as JSON, atomically. Data paths below the
// project file's folder are stored relative to it, so a project folder can
// be moved as a whole.
func SaveProject(path string, p Project) error {
	p.Version = ProjectVersion
	dir := filepath.Dir(path)
	p.Imagery.Path = relativeTo(dir, p.Imagery.Path)
	if p.Labels != nil {
		ref := *p.Labels
		ref.Path = relativeTo(dir, ref.Path)
		p.Labels = &ref
	}
	if p.Photos != nil {
		ref := *p.Photos
		ref.Path = relativeTo(dir, ref.Path)
		p.Photos = &ref
	}
	sort.Strings(p.SelectedCells)
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("save project %s: %w", path, err)
	}
	data = append(data, '\n')
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// LoadProject reads and validates the project file at path. Relative data
// paths are resolved against the project file's folder.
func LoadProject(path string) (Project, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Project{}, fmt.Errorf("open project %s: %w", path, err)
	}
	var p Project
	if err := models.DecodeStrictJSON(data, &p); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return Project{}, fieldTypeError(path, typeErr)
		}
		return Project{}, fmt.Errorf("project %s is not a valid project file: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return Project{}, fmt.Errorf("project %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	p.Imagery.Path = resolveFrom(dir, p.Imagery.Path)
	if p.Labels != nil {
		p.Labels.Path = resolveFrom(dir, p.Labels.Path)
	}
	if p.Photos != nil {
		p.Photos.Path = resolveFrom(dir, p.Photos.Path)
	}
	return p, nil
}

// fieldTypeError describes a project field whose JSON value does not fit
// its Go type, in JSON terms.
func fieldTypeError(path string, e *json.UnmarshalTypeError) error {
	want := jsonKind(e.Type)
	if want == "number" && strings.HasPrefix(e.Value, "number") {
		_, err := strconv.ParseInt(strings.TrimPrefix(e.Value, "number "), 10, 64)
		if isInteger(e.Type) && !errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("project %s: field %s is the %s, expected a whole number; correct or remove it", path, e.Field, e.Value)
		}
		return fmt.Errorf("project %s: field %s is the %s, which is out of range for that field; correct or remove it",
			path, e.Field, e.Value)
	}
	article := "a"
	if want == "object" || want == "array" {
		article = "an"
	}
	return fmt.Errorf("project %s: field %s is a JSON %s, expected %s %s; correct or remove it", path, e.Field, e.Value, article, want)
}

// isInteger reports whether t is a Go integer type.
func isInteger(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

// inUserCache reports whether path lies in the user's cache folder, where
// the viewer unpacks the embedded default scene.
func inUserCache(path string) bool {
	cache, err := os.UserCacheDir()
	return err == nil && strings.HasPrefix(path, cache+string(filepath.Separator))
}

// relativeTo returns path relative to dir when it lies below dir. Paths in
// the user's cache folder (the unpacked default scene) stay absolute, so
// that a project saved in the home folder can be moved.
func relativeTo(dir, path string) string {
	if path == "" || !filepath.IsAbs(path) {
		return path
	}
	if inUserCache(path) {
		return path
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(absDir, path)
	if err != nil || rel == ".." || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) {
		return path
	}
	return rel
}

func resolveFrom(dir, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// FileSHA256 returns the hex sha256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CheckRef compares a data file with the hash stored for it and returns a
// warning when it changed since the project was saved, or "" when it did
// not (or no hash was stored).
func CheckRef(ref DataRef) (string, error) {
	if ref.SHA256 == "" {
		return "", nil
	}
	info, err := os.Stat(ref.Path)
	if err != nil {
		return "", fmt.Errorf("project data %s: %w", ref.Path, err)
	}
	if info.IsDir() {
		return "", nil
	}
	sum, err := FileSHA256(ref.Path)
	if err != nil {
		return "", err
	}
	if sum != ref.SHA256 {
		return fmt.Sprintf("%s changed since the project was saved (sha256 %s, project has %s); results may differ", ref.Path, sum[:12], ref.SHA256[:min(12, len(ref.SHA256))]), nil
	}
	return "", nil
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
