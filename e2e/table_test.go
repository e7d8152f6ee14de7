package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// exportArgs are the arguments of an export of scene to out with the
// valid test model set on the CPU, then extra.
func exportArgs(scene, out string, extra ...string) []string {
	args := []string{"--scene", scene, "--out", out, "--models", "{testset}", "--provider", "cpu"}
	return append(args, extra...)
}

// evalArgs are the arguments of a quick one-seed evaluation of models on
// data that writes only under {dir}.
func evalArgs(models, data string) []string {
	return []string{"--models", models, "--data", data, "--olinda=", "--out", "{dir}/results.md",
		"--cache", "{dir}/cache", "--work", "{dir}/work", "--seeds", "1", "--quick", "--provider", "cpu"}
}

// badInputs is the table of broken inputs. docs/failure-behaviour.md
// lists the same cases (TestCaseTableInDocs).
var badInputs = []badInput{
	// --- viewer info: rasters -------------------------------------------------
	{name: "info-empty-file", command: "info", input: "zero-byte .tif",
		args: []string{"{bad}/raster/empty.tif"}, status: 1, stderr: []string{"empty.tif", "empty (0 bytes)"}},
	{name: "info-text-file", command: "info", input: "text file named .tif",
		args: []string{"{bad}/raster/not_a_raster.tif"}, status: 1, stderr: []string{"not_a_raster.tif", "not a raster format"}},
	{name: "info-missing-file", command: "info", input: "path that does not exist",
		args: []string{"{bad}/raster/no_such_file.tif"}, status: 1, stderr: []string{"no_such_file.tif", "does not exist"}},
	{name: "info-directory", command: "info", input: "a folder instead of a file",
		args: []string{"{bad}/raster"}, status: 1, stderr: []string{"raster", "is a directory|is a folder"}},
	{name: "info-corrupt-header", command: "info", input: "TIFF whose first directory offset points past the end",
		args: []string{"{bad}/raster/corrupt_header.tif"}, status: 1, stderr: []string{"corrupt_header.tif", "corrupt or truncated"}},
	{name: "info-zero-width", command: "info", input: "TIFF header declaring 0 x 16 pixels",
		args: []string{"{bad}/raster/zero_width.tif"}, status: 1, stderr: []string{"zero_width.tif", "corrupt or truncated"}},
	{name: "info-zero-size-vrt", command: "info", input: "VRT of 0 x 0 pixels",
		args: []string{"{bad}/raster/zero_size.vrt"}, status: 1, stderr: []string{"zero_size.vrt", "0 x 0"}},
	{name: "info-no-bands", command: "info", input: "VRT without bands",
		args: []string{"{bad}/raster/no_bands.vrt"}, status: 1, stderr: []string{"no_bands.vrt", "bands"}},
	{name: "info-huge-envi", command: "info", input: "ENVI header of 1000000 x 1000000 pixels over 64 bytes",
		args: []string{"{bad}/raster/huge_envi.img"}, status: 1, stderr: []string{"huge_envi.img", "too small"}},
	{name: "info-envi-header-chosen", command: "info", input: "the .hdr of an ENVI pair instead of its data file",
		args: []string{"{bad}/raster/huge_envi.hdr"}, status: 1, stderr: []string{"huge_envi.hdr", "data file"}},
	{name: "info-huge-header", command: "info", input: "TIFF header declaring 2147483647 x 2147483647 pixels over 16 bytes",
		args: []string{"{bad}/raster/huge_header.tif"}, status: 0, stdout: []string{"2147483647 x 2147483647"}},
	{name: "info-truncated", command: "info", input: "GeoTIFF cut to 40 % (header intact)",
		args: []string{"{bad}/raster/truncated.tif"}, status: 0, stdout: []string{"128 x 128 pixels"}},
	{name: "info-complex", command: "info", input: "CInt16 (complex) samples",
		args: []string{"{bad}/raster/complex.tif"}, status: 0, stdout: []string{"CInt16"}},
	{name: "info-no-georeferencing", command: "info", input: "TIFF without geotransform or CRS",
		args: []string{"{bad}/raster/no_georef.tif"}, status: 0, stdout: []string{"Georeferencing:  none"}},
	{name: "info-stdout-full", command: "info", input: "stdout is /dev/full",
		args: []string{"--json", "{scene}"}, prepare: stdoutTo("/dev/full"),
		status: 1, stderr: []string{"no space left on device"}},
	{name: "info-c-locale", command: "info", input: "LANG and LC_ALL set to C.UTF-8",
		args: []string{"{scene}"}, prepare: locale("C.UTF-8"), status: 0, quiet: true},
	{name: "info-posix-locale", command: "info", input: "LANG and LC_ALL set to POSIX",
		args: []string{"{scene}"}, prepare: locale("POSIX"), status: 0, quiet: true},
	{name: "info-lang-c-only", command: "info", input: "LANG=C.UTF-8, no LC_ALL or LC_MESSAGES (a stock container)",
		args: []string{"{scene}"}, prepare: langOnly("C.UTF-8"), status: 0, quiet: true},

	// --- viewer export: scenes -------------------------------------------------
	{name: "export-empty-scene", command: "export", input: "zero-byte scene", needsRuntime: true,
		args: exportArgs("{bad}/raster/empty.tif", "{dir}/out.tif"), status: 1,
		stderr: []string{"empty.tif", "empty (0 bytes)"}, absent: []string{"{dir}/out.tif"}},
	{name: "export-missing-scene", command: "export", input: "scene path that does not exist",
		args: exportArgs("{bad}/raster/no_such_file.tif", "{dir}/out.tif"), status: 2,
		stderr: []string{"no_such_file.tif", "no such file"}},
	{name: "export-truncated-scene", command: "export", input: "GeoTIFF cut to 40 %", needsRuntime: true,
		args: exportArgs("{bad}/raster/truncated.tif", "{dir}/out.tif"), status: 1,
		stderr: []string{"truncated.tif", "corrupt or truncated"}, absent: []string{"{dir}/out.tif"}},
	{name: "export-corrupt-tiles", command: "export", input: "GeoTIFF whose DEFLATE tiles are garbage", needsRuntime: true,
		args: exportArgs("{bad}/raster/corrupt_tiles.tif", "{dir}/out.gpkg"), status: 1,
		stderr: []string{"corrupt_tiles.tif", "corrupt or truncated"}, absent: []string{"{dir}/out.gpkg"}},
	{name: "export-huge-header", command: "export", input: "TIFF header declaring 2147483647 x 2147483647 pixels", needsRuntime: true,
		args: exportArgs("{bad}/raster/huge_header.tif", "{dir}/out.tif"), status: 1,
		stderr: []string{"huge_header.tif", "choose a larger cell size"}, absent: []string{"{dir}/out.tif"}},
	{name: "export-huge-header-big-cells", command: "export", input: "the same with --grid 100000000 (22 x 22 cells)", needsRuntime: true,
		args: exportArgs("{bad}/raster/huge_header.tif", "{dir}/out.tif", "--grid", "100000000"), status: 1,
		stderr: []string{"huge_header.tif", "corrupt or truncated"}, absent: []string{"{dir}/out.tif"}},
	{name: "export-complex", command: "export", input: "CInt16 scene", needsRuntime: true,
		args: exportArgs("{bad}/raster/complex.tif", "{dir}/out.tif"), status: 1,
		stderr: []string{"complex.tif", "CInt16", "not supported"}, absent: []string{"{dir}/out.tif"}},
	{name: "export-no-crs-to-tif", command: "export", input: "scene without CRS, to GeoTIFF", needsRuntime: true,
		args: exportArgs("{bad}/raster/no_crs.tif", "{dir}/out.tif"), status: 0,
		stderr: []string{"no CRS"}, stdout: []string{"{dir}/out.tif"}},
	{name: "export-no-crs-to-geojson", command: "export", input: "scene without CRS, to GeoJSON (needs lon/lat)", needsRuntime: true,
		args: exportArgs("{bad}/raster/no_crs.tif", "{dir}/out.geojson"), status: 1,
		stderr: []string{"no_crs.tif", "longitude/latitude"}, absent: []string{"{dir}/out.geojson"}},
	{name: "export-no-georeferencing", command: "export", input: "scene without geotransform or CRS", needsRuntime: true,
		args: exportArgs("{bad}/raster/no_georef.tif", "{dir}/out.tif"), status: 1,
		stderr: []string{"no_georef.tif", "no georeferencing"}, absent: []string{"{dir}/out.tif"}},

	// --- viewer export: label layers ----------------------------------------------
	{name: "labels-other-crs", command: "export", input: "labels in WGS 84 over a UTM scene (reprojected)", needsRuntime: true,
		args: exportArgs("{scene}", "{dir}/out.gpkg", "--labels", "{bad}/labels/labels_lonlat.geojson"), status: 0,
		stderr: []string{"labels_lonlat.geojson", "8 cells at least half labelled"}},
	{name: "labels-unknown-classes", command: "export", input: "TIPO values FAVELA, INDUSTRIAL that the mapping lacks", needsRuntime: true,
		args: exportArgs("{scene}", "{dir}/out.gpkg", "--labels", "{bad}/labels/labels_unknown_class.geojson"), status: 0,
		stderr: []string{"labels_unknown_class.geojson", "FAVELA", "INDUSTRIAL"}},
	{name: "labels-far-away", command: "export", input: "labels in Brazil, scene in Croatia", needsRuntime: true,
		args: exportArgs("{scene}", "{dir}/out.gpkg", "--labels", "{bad}/labels/labels_far_away.geojson"), status: 0,
		stderr: []string{"labels_far_away.geojson", "0 cells at least half labelled"}},
	{name: "labels-no-crs", command: "export", input: "shapefile without .prj", needsRuntime: true,
		args: exportArgs("{scene}", "{dir}/out.gpkg", "--labels", "{bad}/labels/labels_no_crs.shp"), status: 1,
		stderr: []string{"labels_no_crs.shp", "no CRS"}, absent: []string{"{dir}/out.gpkg"}},
	{name: "labels-no-class-field", command: "export", input: "polygons without the TIPO attribute", needsRuntime: true,
		args: exportArgs("{scene}", "{dir}/out.gpkg", "--labels", "{bad}/labels/labels_no_field.geojson"), status: 1,
		stderr: []string{"labels_no_field.geojson", `no attribute "TIPO"`}, absent: []string{"{dir}/out.gpkg"}},
	{name: "labels-not-vector", command: "export", input: "text file as labels", needsRuntime: true,
		args: exportArgs("{scene}", "{dir}/out.gpkg", "--labels", "{bad}/labels/labels_not_vector.txt"), status: 1,
		stderr: []string{"labels_not_vector.txt", "not recognized"}, absent: []string{"{dir}/out.gpkg"}},

	// --- viewer export: output folders ------------------------------------------------
	{name: "output-read-only", command: "export", input: "--out in a read-only folder", needsRuntime: true,
		args: exportArgs("{scene}", "{dir}/ro/out.tif"), prepare: readOnlyDir, status: 1,
		stderr: []string{"{dir}/ro/out.tif", "read-only file system|permission denied"}},
	{name: "output-full-geotiff", command: "export", input: "--out .tif with 8 KiB free", needsRuntime: true,
		args: exportArgs("{scene}", "{dir}/full/out.tif"), prepare: fullDir(2), status: 1,
		stderr: []string{"{dir}/full/out.tif", "no space left on device"},
		absent: []string{"{dir}/full/out.tif", "{dir}/full/out.tif.aux.xml"}},
	{name: "output-full-geopackage", command: "export", input: "--out .gpkg on a full file system", needsRuntime: true,
		args: exportArgs("{scene}", "{dir}/full/out.gpkg"), prepare: fullDir(0), status: 1,
		stderr: []string{"{dir}/full/out.gpkg", "disk is full|no space left on device"}, absent: []string{"{dir}/full/out.gpkg"},
		maxStderr: 2000},
	{name: "output-full-geojson", command: "export", input: "--out .geojson on a full file system", needsRuntime: true,
		args: exportArgs("{scene}", "{dir}/full/out.geojson"), prepare: fullDir(0), status: 1,
		stderr: []string{"{dir}/full/out.geojson", "no space left on device"}, absent: []string{"{dir}/full/out.geojson"}},
	{name: "output-missing-folder", command: "export", input: "--out in a folder that does not exist",
		args: exportArgs("{scene}", "{dir}/no/such/folder/out.tif"), status: 2,
		stderr: []string{"{dir}/no/such/folder", "does not exist"}},
	{name: "output-unknown-format", command: "export", input: "--out with extension .xyz",
		args: exportArgs("{scene}", "{dir}/out.xyz"), status: 2,
		stderr: []string{"out.xyz", ".tif, .gpkg, .geojson or .kml"}},

	// --- models ------------------------------------------------------------------
	{name: "models-missing-folder", command: "runtime", input: "--models folder that does not exist", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/no_such_set"}, status: 1,
		stderr: []string{"{dir}/no_such_set", "set.json"}},
	{name: "models-bad-checksum", command: "runtime", input: "encoder.onnx with one byte appended", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/set"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) { appendByte(t, filepath.Join(set, "encoder.onnx")) }),
		stderr:  []string{"encoder.onnx", "sha256", "damaged or was replaced"}},
	{name: "models-truncated", command: "runtime", input: "generator.onnx cut to 1000 bytes, checksum updated", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/set"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) {
			truncateFile(t, filepath.Join(set, "generator.onnx"), 1000)
			rehash(t, set, "generator.onnx")
		}),
		stderr: []string{"generator.onnx", "truncated"}},
	{name: "models-empty-file", command: "runtime", input: "encoder.onnx of 0 bytes, checksum updated", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/set"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) {
			truncateFile(t, filepath.Join(set, "encoder.onnx"), 0)
			rehash(t, set, "encoder.onnx")
		}),
		stderr: []string{"encoder.onnx"}},
	{name: "models-wrong-shape", command: "runtime", input: "the classifier saved as encoder.onnx, checksum updated", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/set"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) {
			if err := copyFile(filepath.Join(set, "encoder.onnx"), filepath.Join(set, "classifier.onnx"), 0o644); err != nil {
				t.Fatal(err)
			}
			rehash(t, set, "encoder.onnx")
		}),
		stderr: []string{"encoder.onnx", "does not match its manifest"}},
	{name: "models-manifest-disagrees", command: "runtime", input: "encoder manifest input 3x48x32 with patch_size 32", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/set"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) {
			editJSON(t, filepath.Join(set, "encoder.onnx.json"), func(m map[string]any) {
				m["inputs"].([]any)[0].(map[string]any)["shape"] = []int{4, 3, 48, 32}
			})
		}),
		stderr: []string{"encoder", "patch_size"}},
	{name: "models-file-missing", command: "runtime", input: "classifier.onnx deleted", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/set"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) {
			if err := os.Remove(filepath.Join(set, "classifier.onnx")); err != nil {
				t.Fatal(err)
			}
		}),
		stderr: []string{"classifier.onnx", "no such file"}},
	{name: "models-set-json-missing", command: "runtime", input: "set.json deleted", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/set"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) {
			if err := os.Remove(filepath.Join(set, "set.json")); err != nil {
				t.Fatal(err)
			}
		}),
		stderr: []string{"set.json", "no such file"}},
	{name: "models-set-json-truncated", command: "runtime", input: "set.json cut after 10 bytes", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/set"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) { truncateFile(t, filepath.Join(set, "set.json"), 10) }),
		stderr:  []string{"set.json", "unexpected EOF"}},
	{name: "models-set-json-trailing-data", command: "runtime", input: "set.json followed by a line of garbage", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/set"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) { appendText(t, filepath.Join(set, "set.json"), "garbage\n") }),
		stderr:  []string{"set.json", "after"}},
	{name: "models-manifest-trailing-data", command: "runtime", input: "encoder.onnx.json followed by a stray }", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/set"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) { appendText(t, filepath.Join(set, "encoder.onnx.json"), "}\n") }),
		stderr:  []string{"encoder.onnx.json", "after"}},
	{name: "models-unknown-role", command: "runtime", input: "set.json naming a role \"segmenter\"", needsRuntime: true,
		args: []string{"--provider", "cpu", "--models", "{dir}/set"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) {
			editJSON(t, filepath.Join(set, "set.json"), func(m map[string]any) {
				m["models"].(map[string]any)["segmenter"] = "encoder.onnx.json"
			})
		}),
		stderr: []string{"segmenter"}},
	{name: "export-bad-checksum", command: "export", input: "export with a damaged encoder.onnx", needsRuntime: true,
		args: []string{"--scene", "{scene}", "--out", "{dir}/out.tif", "--models", "{dir}/set", "--provider", "cpu"}, status: 1,
		prepare: brokenSet(func(t *testing.T, set string) { appendByte(t, filepath.Join(set, "encoder.onnx")) }),
		stderr:  []string{"encoder.onnx", "sha256"}, absent: []string{"{dir}/out.tif"}},

	// --- ONNX Runtime library and execution providers ----------------------------------
	{name: "ort-flag-missing", command: "runtime", input: "--ort-lib names a file that does not exist",
		args: []string{"--ort-lib", "{dir}/libonnxruntime.so.1"}, status: 1,
		stderr: []string{"{dir}/libonnxruntime.so.1", "no such file", "make deps"}},
	{name: "ort-flag-not-a-library", command: "runtime", input: "--ort-lib names a text file",
		args: []string{"--ort-lib", "{bad}/raster/not_a_raster.tif"}, status: 1,
		stderr: []string{"not_a_raster.tif", "cannot be loaded"}},
	{name: "ort-env-missing", command: "runtime", input: "$DOWNTHERE_ORT_LIB names a file that does not exist",
		args: []string{}, prepare: withEnv("DOWNTHERE_ORT_LIB={dir}/gone.so"), status: 1,
		stderr: []string{"$DOWNTHERE_ORT_LIB", "{dir}/gone.so", "no such file"}},
	{name: "ort-not-installed", command: "runtime", input: "no library anywhere (binary copied to an empty folder, no variables)",
		args: []string{}, prepare: binaryAlone, status: 1,
		stderr: []string{"not found", "looked in", "make deps"}},
	{name: "ort-too-old", command: "runtime", input: "library reporting ONNX Runtime 1.16.3",
		args: []string{"--ort-lib", "{dir}/libonnxruntime.so.1"}, prepare: oldRuntime, status: 1,
		stderr: []string{"{dir}/libonnxruntime.so.1", "1.16.3", "1.29.0"}},
	{name: "ort-too-old-export", command: "export", input: "export with the 1.16.3 library",
		args: exportArgs("{scene}", "{dir}/out.tif", "--ort-lib", "{dir}/libonnxruntime.so.1"), prepare: oldRuntime, status: 1,
		stderr: []string{"1.16.3", "1.29.0"}, absent: []string{"{dir}/out.tif"}},
	{name: "provider-unknown", command: "runtime", input: "--provider tpu",
		args: []string{"--provider", "tpu"}, status: 2, stderr: []string{`"tpu"`, "auto, cuda, tensorrt, cpu"}},
	{name: "provider-cuda-no-gpu", command: "runtime", input: "--provider cuda without GPU: falls back to CPU", needsRuntime: true,
		args: []string{"--provider", "cuda", "--models", "{testset}"}, prepare: noGPU, status: 0,
		stdout: []string{"provider:  cpu", "cuda"}},
	{name: "provider-cuda-no-fallback", command: "runtime", input: "--provider cuda --no-fallback without GPU", needsRuntime: true,
		args: []string{"--provider", "cuda", "--no-fallback", "--models", "{testset}"}, prepare: noGPU, status: 1,
		stderr: []string{"cuda", "cannot start"}},

	// --- viewer train ------------------------------------------------------------------
	{name: "train-config-missing", command: "train", input: "--config path that does not exist",
		args: []string{"--config", "{dir}/no_such_config.json"}, status: 2,
		stderr: []string{"no_such_config.json", "no such file"}},
	{name: "train-config-invalid-values", command: "train", input: "batch_size 1",
		args: []string{"--config", "{dir}/invalid_values.json"}, prepare: copyTrainConfig("invalid_values.json"), status: 2,
		stderr: []string{"invalid_values.json", "batch_size 1 must be in [2,1024]"}},
	{name: "train-config-unknown-field", command: "train", input: "field learning_rate (the name is lr)",
		args: []string{"--config", "{dir}/unknown_field.json"}, prepare: copyTrainConfig("unknown_field.json"), status: 2,
		stderr: []string{"unknown_field.json", `unknown field "learning_rate"`}},
	{name: "train-config-wrong-type", command: "train", input: "batch_size given as a string",
		args: []string{"--config", "{dir}/wrong_type.json"}, prepare: copyTrainConfig("wrong_type.json"), status: 2,
		stderr: []string{"wrong_type.json", "batch_size"}},
	{name: "train-config-truncated", command: "train", input: "config cut mid-object",
		args: []string{"--config", "{dir}/truncated.json"}, prepare: copyTrainConfig("truncated.json"), status: 2,
		stderr: []string{"truncated.json", "unexpected EOF"}},
	{name: "train-config-two-objects", command: "train", input: "two JSON objects in one config file",
		args: []string{"--config", "{dir}/two_objects.json", "--print-config"}, prepare: copyTrainConfig("two_objects.json"), status: 2,
		stderr: []string{"two_objects.json", "after"}},
	{name: "train-data-missing", command: "train", input: "data_dir that does not exist", needsRuntime: true,
		args: []string{"--config", "{dir}/missing_data_dir.json"}, prepare: copyTrainConfig("missing_data_dir.json"), status: 1,
		stderr: []string{"{dir}/no-such-folder", "data_dir"}},
	{name: "train-image-corrupt", command: "train", input: "a UC Merced JPEG cut to 100 bytes", needsRuntime: true,
		args: []string{"--config", "{dir}/config.json"}, status: 1,
		prepare: trainingData(func(t *testing.T, dir string) {
			truncateFile(t, filepath.Join(dir, "data", "ucmerced", "forest", "00.jpg"), 100)
		}),
		stderr: []string{"ucmerced/forest/00.jpg"}},
	{name: "train-image-folder-empty", command: "train", input: "a Flickr class folder without images", needsRuntime: true,
		args: []string{"--config", "{dir}/config.json"}, status: 1,
		prepare: trainingData(func(t *testing.T, dir string) {
			folder := filepath.Join(dir, "data", "flickr_landscapes", "lake")
			if err := os.RemoveAll(folder); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(folder, 0o755); err != nil {
				t.Fatal(err)
			}
		}),
		stderr: []string{"flickr_landscapes/lake", "no JPEG or PNG files"}},
	{name: "train-checkpoint-corrupt", command: "train", input: "run_dir/checkpoint.gob of random bytes", needsRuntime: true,
		args: []string{"--config", "{dir}/config.json"}, status: 1,
		prepare: trainingData(func(t *testing.T, dir string) {
			run := filepath.Join(dir, "run")
			if err := os.MkdirAll(run, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(run, "checkpoint.gob"), []byte("\x17\xff\x81not a gob stream at all"), 0o644); err != nil {
				t.Fatal(err)
			}
		}),
		stderr: []string{"checkpoint.gob", "delete it to start over"}},
	{name: "train-run-dir-read-only", command: "train", input: "run_dir in a read-only folder", needsRuntime: true,
		args: []string{"--config", "{dir}/config.json"}, status: 1,
		prepare: func(t *testing.T, c *caseRun) {
			trainingData(nil)(t, c)
			readOnlyDir(t, c)
			writeTinyConfig(t, c.dir, func(m map[string]any) { m["run_dir"] = filepath.Join(c.dir, "ro", "run") })
		},
		stderr: []string{"{dir}/ro/run", "read-only file system|permission denied"}},
	{name: "train-print-config-full", command: "train", input: "--print-config with stdout on /dev/full",
		args: []string{"--print-config"}, prepare: stdoutTo("/dev/full"), status: 1,
		stderr: []string{"no space left on device"}},

	// --- viewer eval --------------------------------------------------------------------
	{name: "eval-models-missing", command: "eval", input: "--models folder that does not exist",
		args: evalArgs("{dir}/no_such_set", "{dir}/data"), status: 2,
		stderr: []string{"{dir}/no_such_set", "set.json"}},
	{name: "eval-data-missing", command: "eval", input: "--data folder without intel_scenes/",
		args: evalArgs("{testset}", "{dir}/no_data"), status: 2,
		stderr: []string{"{dir}/no_data", "intel_scenes"}},
	{name: "eval-seeds-zero", command: "eval", input: "--seeds 0",
		args: append(evalArgs("{testset}", "{dir}/data"), "--seeds", "0"), status: 2,
		stderr: []string{"--seeds 0"}},
	{name: "eval-untrained-set", command: "eval", input: "model set without a training record (the test set)", needsRuntime: true,
		args: evalArgs("{testset}", "{dir}/data"), prepare: trainingData(nil), status: 1,
		stderr: []string{"testset-encoder", "re-export"}, absent: []string{"{dir}/results.md"}},
	{name: "eval-ort-too-old", command: "eval", input: "ONNX Runtime 1.16.3 library",
		args:    append(evalArgs("{testset}", "{dir}/data"), "--ort-lib", "{dir}/libonnxruntime.so.1"),
		prepare: func(t *testing.T, c *caseRun) { trainingData(nil)(t, c); oldRuntime(t, c) }, status: 1,
		stderr: []string{"{dir}/libonnxruntime.so.1", "1.16.3", "1.29.0"}, absent: []string{"{dir}/results.md"}},
}

// stdoutTo sends the binary's stdout to path.
func stdoutTo(path string) func(*testing.T, *caseRun) {
	return func(t *testing.T, c *caseRun) {
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s is not available: %v", path, err)
		}
		c.opts.stdout = path
	}
}

// locale runs the binary with LANG and LC_ALL set to value.
func locale(value string) func(*testing.T, *caseRun) {
	return func(t *testing.T, c *caseRun) {
		c.opts.env = append(c.opts.env, "LANG="+value, "LC_ALL="+value)
	}
}

// langOnly sets LANG to value and removes LC_ALL, LC_MESSAGES and
// LANGUAGE.
func langOnly(value string) func(*testing.T, *caseRun) {
	return func(t *testing.T, c *caseRun) {
		c.opts.env = append(c.opts.env, "LANG="+value)
		c.opts.unset = append(c.opts.unset, "LC_ALL", "LC_MESSAGES", "LANGUAGE")
	}
}

// withEnv adds NAME=VALUE entries ({dir} expanded) to the environment.
func withEnv(kvs ...string) func(*testing.T, *caseRun) {
	return func(t *testing.T, c *caseRun) {
		for _, kv := range kvs {
			c.opts.env = append(c.opts.env, c.expand(kv))
		}
	}
}

// noGPU skips cases that expect the CUDA provider to fail on a machine
// with an NVIDIA device.
func noGPU(t *testing.T, c *caseRun) {
	if _, err := os.Stat("/dev/nvidia0"); err == nil {
		t.Skip("this machine has an NVIDIA device, so the CUDA provider may start; scripts/gpu-check covers it")
	}
}
