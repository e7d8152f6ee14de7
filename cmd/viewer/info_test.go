package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestInfoCommand(t *testing.T) {
	fixtures := filepath.Join("..", "..", "testdata", "fixtures")
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantOut    []string
		wantErr    string
	}{
		{"text", []string{filepath.Join(fixtures, "olinda_landsat6.tif")}, 0,
			[]string{"96 x 96 pixels, 6 bands", "EPSG:31985", "Default display: rgb, bands 3,2,1"}, ""},
		{"json after file", []string{filepath.Join(fixtures, "palette.tif"), "--json"}, 0,
			[]string{`"mode": "palette"`, `"color_table_entries": 256`}, ""},
		{"gcp only", []string{filepath.Join(fixtures, "gcp_only.tif")}, 0, []string{"4 GCPs only"}, ""},
		{"NaN nodata as JSON", []string{"-json", filepath.Join(fixtures, "float_nan_nodata.tif")}, 0, []string{`"nodata": "nan"`}, ""},
		{"corrupt file", []string{filepath.Join(fixtures, "corrupt_header.tif")}, 1, nil, "corrupt or truncated"},
		{"missing file", []string{filepath.Join(fixtures, "missing.tif")}, 1, nil, "missing.tif: file does not exist"},
		{"no file", nil, 2, nil, "expected one FILE"},
		{"unknown flag", []string{"--colour", "x.tif"}, 2, nil, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := runInfo(tt.args, &stdout, &stderr)
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q", want)
				}
			}
			if tt.wantErr != "" && !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q", tt.wantErr)
			}
		})
	}
}

func TestInfoJSONIsValid(t *testing.T) {
	var stdout, stderr bytes.Buffer
	path := filepath.Join("..", "..", "testdata", "fixtures", "antimeridian.tif")
	if status := runInfo([]string{"--json", path}, &stdout, &stderr); status != 0 {
		t.Fatalf("status %d: %s", status, stderr.String())
	}
	var got struct {
		Width        int `json:"width"`
		LonLatExtent struct {
			MinX, MaxX float64
		} `json:"lonlat_extent"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if got.Width != 32 || got.LonLatExtent.MinX != 179.5 || got.LonLatExtent.MaxX != -179.5 {
		t.Errorf("decoded %+v, want width 32 and lon 179.5 to -179.5", got)
	}
}
