package models

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"strings"
)

// Role names what a model does in the pipeline.
type Role string

// The four roles of a model set, in pipeline order.
const (
	RoleEncoder       Role = "encoder"                // overhead patch -> condition vector
	RoleGenerator     Role = "generator"              // condition + noise -> ground-level image
	RoleDiscriminator Role = "discriminator-features" // image + condition -> feature vector
	RoleClassifier    Role = "classifier"             // feature vector -> class probabilities
)

// Roles lists every role in pipeline order.
var Roles = []Role{RoleEncoder, RoleGenerator, RoleDiscriminator, RoleClassifier}

// Tensor describes one named input or output of a model. A dimension of -1
// is free (the batch dimension of a model exported with a dynamic batch).
type Tensor struct {
	Name  string  `json:"name"`
	Shape []int64 `json:"shape"`
	DType string  `json:"dtype"` // "float32" is the only type the engine feeds
}

// Normalization maps raw 8-bit channel values v in [0, 255] to model inputs
// as (v/255 - Mean[c]) / Std[c]. Mean and Std hold one entry per channel, or
// a single entry that applies to every channel.
type Normalization struct {
	Mean []float32 `json:"mean"`
	Std  []float32 `json:"std"`
}

// Class is one output class of a classifier, with its display colour.
type Class struct {
	Name  string `json:"name"`
	Color string `json:"color"` // "#rrggbb"
}

// Training records where a model came from and how well it did.
type Training struct {
	Data     []string           `json:"data,omitempty"`
	Config   map[string]any     `json:"config,omitempty"`
	Seed     int64              `json:"seed,omitempty"`
	Steps    int                `json:"steps,omitempty"`
	Seconds  float64            `json:"seconds,omitempty"`
	Hardware string             `json:"hardware,omitempty"`
	Metrics  map[string]float64 `json:"metrics,omitempty"`
}

// NoiseScale returns the training config's noise_scale: the factor the
// generator applies to its standard-normal noise before its first layer.
// Training writes values in (0, 1]. It is 1 when the config records no
// noise_scale, or one that is not a positive finite number.
func (t Training) NoiseScale() float64 {
	if v, ok := t.Config["noise_scale"].(float64); ok && v > 0 && !math.IsInf(v, 1) {
		return v
	}
	return 1
}

// Manifest describes one .onnx model file. It is stored as a JSON sidecar
// next to the model, named after it with ".json" appended
// ("generator.onnx" -> "generator.onnx.json").
type Manifest struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Role    Role     `json:"role"`
	File    string   `json:"file"`   // model file name, relative to the manifest
	SHA256  string   `json:"sha256"` // hex sha256 of the model file
	Inputs  []Tensor `json:"inputs"`
	Outputs []Tensor `json:"outputs"`

	// Normalization applies to image inputs (encoder patches, discriminator
	// images); it is empty for models that take vectors only.
	Normalization *Normalization `json:"normalization,omitempty"`

	// GroundResolutionM is the overhead ground sample distance in metres per
	// pixel that an encoder expects; PatchSize is its input edge in pixels.
	GroundResolutionM float64 `json:"ground_resolution_m,omitempty"`
	PatchSize         int     `json:"patch_size,omitempty"`

	Classes  []Class  `json:"classes,omitempty"`
	Training Training `json:"training"`
}

// ErrInvalid is wrapped by every manifest validation error.
var ErrInvalid = errors.New("invalid model manifest")

// Validate checks the manifest's own fields (not the model file).
func (m *Manifest) Validate() error {
	var problems []string
	if m.Name == "" {
		problems = append(problems, "name is empty")
	}
	if !validRole(m.Role) {
		problems = append(problems, fmt.Sprintf("role %q is not one of %v", m.Role, Roles))
	}
	if m.File == "" || strings.Contains(m.File, "/") || strings.Contains(m.File, `\`) {
		problems = append(problems, fmt.Sprintf("file %q must be a bare file name", m.File))
	}
	if len(m.SHA256) != 64 {
		problems = append(problems, fmt.Sprintf("sha256 %q is not 64 hex digits", m.SHA256))
	} else if _, err := hex.DecodeString(m.SHA256); err != nil {
		problems = append(problems, fmt.Sprintf("sha256 %q is not hex", m.SHA256))
	}
	problems = append(problems, checkTensors("inputs", m.Inputs)...)
	problems = append(problems, checkTensors("outputs", m.Outputs)...)
	if m.Role == RoleEncoder && (m.PatchSize <= 0 || m.GroundResolutionM <= 0) {
		problems = append(problems, "an encoder needs patch_size > 0 and ground_resolution_m > 0")
	}
	if m.Role == RoleClassifier && len(m.Classes) < 2 {
		problems = append(problems, "a classifier needs at least 2 classes")
	}
	for i, c := range m.Classes {
		if _, err := ParseColor(c.Color); err != nil || c.Name == "" {
			problems = append(problems, fmt.Sprintf("class %d (%q): needs a name and a #rrggbb colour, got %q", i, c.Name, c.Color))
		}
	}
	if m.Normalization != nil && len(m.Normalization.Mean) != len(m.Normalization.Std) {
		problems = append(problems, "normalization mean and std differ in length")
	}
	if m.Normalization != nil {
		for _, s := range m.Normalization.Std {
			if s == 0 {
				problems = append(problems, "normalization std contains 0")
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

func validRole(r Role) bool {
	for _, known := range Roles {
		if r == known {
			return true
		}
	}
	return false
}

func checkTensors(kind string, ts []Tensor) []string {
	var problems []string
	if len(ts) == 0 {
		problems = append(problems, kind+" are empty")
	}
	for _, t := range ts {
		if t.Name == "" {
			problems = append(problems, kind+" contain a tensor without a name")
		}
		if t.DType != "float32" {
			problems = append(problems, fmt.Sprintf("%s tensor %q has dtype %q, want float32", kind, t.Name, t.DType))
		}
		for _, d := range t.Shape {
			if d == 0 || d < -1 {
				problems = append(problems, fmt.Sprintf("%s tensor %q has invalid shape %v", kind, t.Name, t.Shape))
				break
			}
		}
	}
	return problems
}

// ParseColor parses "#rrggbb" into its three components.
func ParseColor(s string) ([3]uint8, error) {
	var c [3]uint8
	if len(s) != 7 || s[0] != '#' {
		return c, fmt.Errorf("colour %q is not #rrggbb", s)
	}
	b, err := hex.DecodeString(s[1:])
	if err != nil {
		return c, fmt.Errorf("colour %q is not #rrggbb: %w", s, err)
	}
	copy(c[:], b)
	return c, nil
}

// Input returns the input tensor with the given name.
func (m *Manifest) Input(name string) (Tensor, bool) { return findTensor(m.Inputs, name) }

// Output returns the output tensor with the given name.
func (m *Manifest) Output(name string) (Tensor, bool) { return findTensor(m.Outputs, name) }

func findTensor(ts []Tensor, name string) (Tensor, bool) {
	for _, t := range ts {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// ReadManifest reads and validates the manifest at name in fsys, then
// checks the sha256 of the model file it names. The error names the file.
func ReadManifest(fsys fs.FS, name string) (*Manifest, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read model manifest %s: %w", name, err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("model manifest %s: %w", name, err)
	}
	modelPath := path.Join(path.Dir(name), m.File)
	sum, err := fileSHA256(fsys, modelPath)
	if err != nil {
		return nil, fmt.Errorf("model file %s (named by %s): %w", modelPath, name, err)
	}
	if sum != m.SHA256 {
		return nil, fmt.Errorf("model file %s: sha256 is %s but its manifest %s expects %s; the file is damaged or was replaced, so re-export or re-download it", modelPath, sum, name, m.SHA256)
	}
	return m, nil
}

// ParseManifest decodes and validates manifest JSON. Unknown fields are
// rejected so that typos do not pass silently.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := DecodeStrictJSON(data, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

func fileSHA256(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
