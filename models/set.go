package models

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// SetFileName is the name of the file that describes a model set inside its
// folder.
const SetFileName = "set.json"

// SetSpec is the content of a model set's set.json.
type SetSpec struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description"`

	// GroundResolutionM is the overhead ground sample distance in metres per
	// pixel the set was trained for; the viewer picks the shipped set whose
	// resolution is closest to the scene's.
	GroundResolutionM float64 `json:"ground_resolution_m"`

	// Models maps each role to the manifest file of its model, relative to
	// the set's folder.
	Models map[Role]string `json:"models"`

	// Card is the model card (Markdown), relative to the set's folder.
	Card string `json:"card,omitempty"`
}

// Set is a validated model set: its spec and the manifest of every role.
type Set struct {
	Spec      SetSpec
	Dir       string // folder inside FS
	FS        fs.FS
	Manifests map[Role]*Manifest
}

// ModelPath returns the path of the role's model file inside s.FS.
func (s *Set) ModelPath(r Role) string {
	return path.Join(s.Dir, s.Manifests[r].File)
}

// ReadSet reads the model set in folder dir of fsys, validates every
// manifest and checks every model file's sha256.
func ReadSet(fsys fs.FS, dir string) (*Set, error) {
	specPath := path.Join(dir, SetFileName)
	spec, err := ReadSpec(fsys, dir)
	if err != nil {
		return nil, err
	}
	set := &Set{Spec: spec, Dir: dir, FS: fsys, Manifests: map[Role]*Manifest{}}
	for _, r := range Roles {
		name, ok := spec.Models[r]
		if !ok {
			return nil, fmt.Errorf("model set %s: %w: no model for role %q", specPath, ErrInvalid, r)
		}
		m, err := ReadManifest(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("model set %s: %w", specPath, err)
		}
		if m.Role != r {
			return nil, fmt.Errorf("model set %s: %w: %s has role %q, listed as %q", specPath, ErrInvalid, name, m.Role, r)
		}
		set.Manifests[r] = m
	}
	return set, nil
}

// ReadSpec reads and checks only the set.json of the model set in folder
// dir of fsys, without reading its manifests or hashing its model files.
func ReadSpec(fsys fs.FS, dir string) (SetSpec, error) {
	var spec SetSpec
	specPath := path.Join(dir, SetFileName)
	data, err := fs.ReadFile(fsys, specPath)
	if err != nil {
		return spec, fmt.Errorf("read model set %s: %w", specPath, err)
	}
	if err := DecodeStrictJSON(data, &spec); err != nil {
		return spec, fmt.Errorf("model set %s: %w: %v", specPath, ErrInvalid, err)
	}
	if spec.Name == "" {
		return spec, fmt.Errorf("model set %s: %w: name is empty", specPath, ErrInvalid)
	}
	for role := range spec.Models {
		if !validRole(role) {
			return spec, fmt.Errorf("model set %s: %w: unknown role %q in models; the roles are %v", specPath, ErrInvalid, role, Roles)
		}
	}
	return spec, nil
}

// Shipped holds the model sets that ship inside the binary, one folder per
// set under sets/.
//
//go:embed all:sets
var Shipped embed.FS

// ShippedSetDirs lists the folders of the shipped model sets, sorted.
func ShippedSetDirs() ([]string, error) {
	return SetDirs(Shipped, "sets")
}

// SetDirs lists the folders directly under root in fsys that hold a set.json.
func SetDirs(fsys fs.FS, root string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("list model sets in %s: %w", root, err)
	}
	var dirs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := path.Join(root, e.Name())
		if _, err := fs.Stat(fsys, path.Join(dir, SetFileName)); err == nil {
			dirs = append(dirs, dir)
		}
	}
	sort.Strings(dirs)
	return dirs, nil
}
