package ui

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func FuzzLoadProject(f *testing.F) {
	f.Add([]byte(`{"version": 1, "imagery": {"path": "scene.tif", "sha256": "00"}, "view": {"center_x": 1, "center_y": 2, "units_per_pixel": 30},
 "grid": {"cell_width": 960, "cell_height": 960, "cols": 3, "rows": 4}, "layers": {}, "selected_cells": ["b", "a"], "seeds": {"views": 7}}`))
	f.Add([]byte(`{"version": 2, "imagery": {"path": ""}, "view": {"units_per_pixel": 0}}`))
	f.Add([]byte(`{"version": 1, "imagery": {"path": "/abs/x.tif"}, "labels": {"path": "../l.shp"}, "photos": {"path": "p"}, "view": {"units_per_pixel": 1e308}}`))
	dir := f.TempDir()
	path := filepath.Join(dir, "project.json")
	saved := filepath.Join(dir, "saved.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := LoadProject(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Errorf("LoadProject accepted a project that Validate rejects: %v\n%s", err, data)
		}
		checkProjectRoundTrip(t, p, saved)
	})
}

// checkProjectRoundTrip saves p and loads it again, and compares what does
// not depend on where the file is.
func checkProjectRoundTrip(t *testing.T, p Project, path string) {
	t.Helper()
	if err := SaveProject(path, p); err != nil {
		t.Errorf("SaveProject of a loaded project: %v", err)
		return
	}
	q, err := LoadProject(path)
	if err != nil {
		t.Errorf("LoadProject of a saved project: %v", err)
		return
	}
	sorted := slices.Clone(p.SelectedCells)
	slices.Sort(sorted)
	if !slices.Equal(sorted, q.SelectedCells) && (len(sorted) > 0 || len(q.SelectedCells) > 0) {
		t.Errorf("selected cells %q came back as %q", sorted, q.SelectedCells)
	}
	if p.View != q.View || p.Grid != q.Grid || p.ModelSet != q.ModelSet {
		t.Errorf("view, grid or model set changed in a round trip:\n%+v %+v %q\n%+v %+v %q", p.View, p.Grid, p.ModelSet, q.View, q.Grid, q.ModelSet)
	}
	if !reflect.DeepEqual(p.Layers, q.Layers) || !reflect.DeepEqual(p.Seeds, q.Seeds) {
		t.Errorf("layers or seeds changed in a round trip: %v %v -> %v %v", p.Layers, p.Seeds, q.Layers, q.Seeds)
	}
}

func TestLoadProjectTrailingData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "project.json")
	valid := `{"version": 1, "imagery": {"path": "scene.tif"}, "view": {"units_per_pixel": 30}}`
	if err := os.WriteFile(path, []byte(valid+"\n"+valid), 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := LoadProject(path)
	if err == nil {
		t.Fatal("LoadProject accepted two JSON objects in one file")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "after") {
		t.Errorf("error %q does not name the file and the trailing data", err)
	}
}
