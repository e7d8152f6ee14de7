package assets

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExtractDefaultScene(t *testing.T) {
	dir := t.TempDir()
	scene, err := ExtractDefaultScene(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{scene.Raster, scene.Labels} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("extracted file missing: %v", err)
		}
	}
	for _, ext := range []string{".shx", ".dbf", ".prj"} {
		p := filepath.Join(dir, "olinda1"+ext)
		if _, err := os.Stat(p); err != nil {
			t.Errorf("shapefile part missing: %v", err)
		}
	}
}

func TestExtractDefaultSceneRepairsChangedFile(t *testing.T) {
	dir := t.TempDir()
	scene, err := ExtractDefaultScene(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(scene.Raster, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ExtractDefaultScene(dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(scene.Raster)
	if err != nil {
		t.Fatal(err)
	}
	want, err := files.ReadFile("olinda/L7_ETMs.tif")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("raster size after repair = %d bytes, want %d", len(got), len(want))
	}
}

func TestSHA256OfRaster(t *testing.T) {
	const want = "3b722bf4470144b6691bf720bac08f47c99464acff4dd258252891c06312678e"
	got, err := SHA256("L7_ETMs.tif")
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("SHA256(L7_ETMs.tif) = %s, want %s", got, want)
	}
}

func TestSHA256UnknownFile(t *testing.T) {
	if _, err := SHA256("missing.tif"); err == nil {
		t.Error("SHA256 of a missing file returned no error")
	}
}
