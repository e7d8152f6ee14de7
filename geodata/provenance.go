package geodata

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/airbusgeo/godal"
)

// ProvenanceSuffix is appended to an export's path to name its provenance
// record.
const ProvenanceSuffix = ".provenance.json"

// Provenance records how an export was made, so that it can be checked
// and reproduced. The caller fills what geodata cannot know (program,
// models, runtime versions, parameters); Export adds the grid, the
// classes, GDAL's version, the output's checksum and the time.
type Provenance struct {
	Program        string `json:"program"`
	ProgramVersion string `json:"program_version"`
	Created        string `json:"created,omitempty"` // RFC 3339, UTC

	Input    InputRecord     `json:"input"`
	ModelSet *ModelSetRecord `json:"model_set,omitempty"`

	Grid    GridSpec `json:"grid"`
	Classes []string `json:"classes"`
	// Parameters are the settings of the run (batch size, nodata limit,
	// execution provider, seeds).
	Parameters map[string]any `json:"parameters,omitempty"`

	GDALVersion        string `json:"gdal_version"`
	ONNXRuntimeVersion string `json:"onnxruntime_version,omitempty"`

	Output OutputRecord `json:"output"`
}

// InputRecord identifies the scene file.
type InputRecord struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// ModelSetRecord identifies the model set and each of its model files.
type ModelSetRecord struct {
	Name    string        `json:"name"`
	Version string        `json:"version,omitempty"`
	Models  []ModelRecord `json:"models"`
}

// ModelRecord identifies one model file.
type ModelRecord struct {
	Role    string `json:"role"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	File    string `json:"file"`
	SHA256  string `json:"sha256"`
}

// OutputRecord identifies the export the record belongs to.
type OutputRecord struct {
	Path   string `json:"path"`
	Format Format `json:"format"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// NewInputRecord hashes the scene file at path.
func NewInputRecord(path string) (InputRecord, error) {
	sum, n, err := FileSHA256(path)
	if err != nil {
		return InputRecord{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return InputRecord{Path: abs, SHA256: sum, Bytes: n}, nil
}

// FileSHA256 returns the hex sha256 of a file and its size in bytes.
func FileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// GDALVersion returns the version of the GDAL library in use, such as
// "3.6.2".
func GDALVersion() string {
	v := godal.Version()
	return fmt.Sprintf("%d.%d.%d", v.Major(), v.Minor(), v.Revision())
}

// stageExportProvenance completes p for the export that will appear at
// path, whose bytes are still in the temporary file staged, and writes the
// record under a temporary name beside path. The caller commits or aborts
// the returned target together with the export.
func stageExportProvenance(ctx context.Context, path, staged string, format Format, r *Result, p Provenance) (*atomicTarget, error) {
	sum, n, err := FileSHA256(staged)
	if err != nil {
		return nil, fmt.Errorf("provenance of %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	p.Output = OutputRecord{Path: abs, Format: format, SHA256: sum, Bytes: n}
	p.Grid = r.Grid.Spec()
	p.Classes = make([]string, len(r.Classes))
	for i, c := range r.Classes {
		p.Classes[i] = c.Name
	}
	p.GDALVersion = GDALVersion()
	if p.Created == "" {
		p.Created = time.Now().UTC().Format(time.RFC3339)
	}
	return stageFile(ctx, path+ProvenanceSuffix, func(w io.Writer) error {
		return encodeProvenance(w, p)
	})
}

// WriteProvenance writes p as indented JSON to path, atomically.
func WriteProvenance(ctx context.Context, path string, p Provenance) error {
	return writeFileAtomic(ctx, path, func(w io.Writer) error {
		return encodeProvenance(w, p)
	})
}

func encodeProvenance(w io.Writer, p Provenance) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// ReadProvenance reads a provenance record written by WriteProvenance.
func ReadProvenance(path string) (*Provenance, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read provenance %s: %w", path, err)
	}
	var p Provenance
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("read provenance %s: %w", path, err)
	}
	return &p, nil
}
