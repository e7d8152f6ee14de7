// Package assets embeds the default scene that the viewer opens when it is
// started without a file: a Landsat 7 ETM+ subset of Olinda, Brazil, with
// the IBGE 2010 census tracts that label it urban or rural. See
// olinda/ATTRIBUTION.md for sources and licences.
//
// GDAL reads files by path, so DefaultScene copies the embedded files into a
// cache folder once and returns the paths there.
package assets

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed olinda
var files embed.FS

// Scene is an extracted default scene.
type Scene struct {
	Raster string // path of the overhead raster (GeoTIFF)
	Labels string // path of the label polygons (ESRI Shapefile)

	// LabelField is the attribute of Labels that holds the class, and
	// LabelClasses maps its values to the land-use class names.
	LabelField   string
	LabelClasses map[string]string
}

// DefaultScene extracts the embedded Olinda scene into the user's cache
// folder (os.UserCacheDir()/downthere/olinda, or the system temporary
// folder when there is none) and returns its paths. Files already there with
// the right content are reused; others are rewritten atomically.
func DefaultScene() (Scene, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return ExtractDefaultScene(filepath.Join(base, "downthere", "olinda"))
}

// ExtractDefaultScene writes the embedded Olinda scene into dir and returns
// its paths.
func ExtractDefaultScene(dir string) (Scene, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Scene{}, fmt.Errorf("create default scene folder %s: %w", dir, err)
	}
	entries, err := fs.ReadDir(files, "olinda")
	if err != nil {
		return Scene{}, fmt.Errorf("list embedded default scene: %w", err)
	}
	for _, e := range entries {
		data, err := files.ReadFile("olinda/" + e.Name())
		if err != nil {
			return Scene{}, fmt.Errorf("read embedded %s: %w", e.Name(), err)
		}
		if err := writeIfChanged(filepath.Join(dir, e.Name()), data); err != nil {
			return Scene{}, err
		}
	}
	return Scene{
		Raster:       filepath.Join(dir, "L7_ETMs.tif"),
		Labels:       filepath.Join(dir, "olinda1.shp"),
		LabelField:   "TIPO",
		LabelClasses: map[string]string{"URBANO": "urban", "RURAL": "rural"},
	}, nil
}

// writeIfChanged writes data to path through a temporary file and a rename,
// unless path already holds exactly data.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.partial")
	if err != nil {
		return fmt.Errorf("write default scene file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())

	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write default scene file %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write default scene file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write default scene file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write default scene file %s: %w", path, err)
	}
	return nil
}

// SHA256 returns the hex sha256 of an embedded default-scene file, such as
// "L7_ETMs.tif".
func SHA256(name string) (string, error) {
	data, err := files.ReadFile("olinda/" + name)
	if err != nil {
		return "", fmt.Errorf("embedded default scene has no %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
