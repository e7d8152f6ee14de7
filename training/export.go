//go:build onnx

package training

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	onnxbackend "github.com/gomlx/compute-onnx"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	gomlxonnx "github.com/gomlx/gomlx/ml/model/onnx"
	ort "github.com/yalue/onnxruntime_go"

	"github.com/downthere/downthere/inference"
	"github.com/downthere/downthere/models"
)

// MaxExportDifference is the largest absolute difference allowed between
// an exported model run by ONNX Runtime and the same graph run by GoMLX.
const MaxExportDifference = 1e-4

// Exported models store every float32 weight tensor of at least
// float16MinElements values as float16, cast back to float32 by nodes at
// the start of the graph (storeWeightsAsFloat16). MaxFloat16Difference is
// the largest absolute difference allowed between such a model run by ONNX
// Runtime and the float32 graph run by GoMLX. It is in the model's output
// unit: condition values in (-1,1), pixel values in [-1,1], features or
// probabilities. A model above it keeps its float32 weights. On the UC
// Merced set of 2026.12.05-gan3465 the rounding moved outputs by at most
// 8e-4, so 0.01 leaves a wide margin and still catches a broken rewrite.
const (
	float16MinElements   = 1024
	MaxFloat16Difference = 0.01
)

// Normalisation of every image input: v/255 mapped to [-1,1].
var imageNormalization = &models.Normalization{Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.5, 0.5, 0.5}}

// exportedModel is one model being exported.
type exportedModel struct {
	role    models.Role
	file    string
	inputs  []models.Tensor
	outputs []models.Tensor
	maxDiff float64
	// float16Diff is the largest absolute difference of the model with
	// float16 weights from GoMLX's float32 output, and float16Tensors the
	// number of weight tensors stored as float16 (0 when the model kept
	// float32 weights).
	float16Diff    float64
	float16Tensors int
}

// export writes the model set to cfg.ExportDir through a temporary folder
// beside it, which replaces the old folder only when every model passed
// its check.
func (r *runner) export(ctx context.Context) (*Result, error) {
	r.opts.emit(Event{Phase: PhaseExport, Elapsed: r.elapsed(), Message: "exporting ONNX models"})
	dest := r.cfg.Resolve(r.cfg.ExportDir)
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".partial-")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes folders private
		return nil, fmt.Errorf("export: %w", err)
	}

	exported, err := r.exportModels(tmp)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.writeSet(tmp, exported); err != nil {
		return nil, err
	}
	if _, err := models.ReadSet(os.DirFS(tmp), "."); err != nil {
		return nil, fmt.Errorf("export: the written model set does not validate: %w", err)
	}
	old := dest + ".old"
	os.RemoveAll(old)
	if _, err := os.Stat(dest); err == nil {
		if err := os.Rename(dest, old); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
	}
	if err := os.Rename(tmp, dest); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	os.RemoveAll(old)
	res := &Result{ExportDir: dest, GANSteps: r.st.GANSteps, Elapsed: r.elapsed(), Metrics: r.st.Metrics}
	r.opts.emit(Event{Phase: PhaseDone, Elapsed: r.elapsed(), Message: "exported to " + dest})
	return res, nil
}

// exportModels writes the four .onnx files into dir and checks each in
// ONNX Runtime against GoMLX on one fixed batch built from test patches.
func (r *runner) exportModels(dir string) ([]exportedModel, error) {
	b := r.cfg.ExportBatch
	p := r.cfg.PatchSize
	f := r.eng.featureDim()
	k := len(LandUseClasses)
	test := r.data.OverheadTest
	idx := make([]int, b)
	for i := range idx {
		idx[i] = i % test.Len()
	}
	patches := test.batch(idx, nil, nil)
	cond, _, err := r.eng.encode(patches, b, p)
	if err != nil {
		return nil, err
	}
	noise := normalNoise(r.rng("export-noise", 0), b)
	images, err := r.eng.generate(cond, noise, b)
	if err != nil {
		return nil, err
	}
	features, _, err := r.eng.discriminate(images, cond, b)
	if err != nil {
		return nil, err
	}
	probs, err := r.eng.classify(features, b)
	if err != nil {
		return nil, err
	}

	e, a := r.eng, r.eng.arch
	specs := []struct {
		m      exportedModel
		fn     func(*model.Scope, []*graph.Node) []*graph.Node
		in     [][]float32
		expect []float32
	}{
		{exportedModel{role: models.RoleEncoder, file: "encoder.onnx",
			inputs: []models.Tensor{tensorSpec("patch", b, 3, p, p)}, outputs: []models.Tensor{tensorSpec("condition", b, CondDim)}},
			func(s *model.Scope, in []*graph.Node) []*graph.Node {
				c, _ := encoderNet(s.At(scopeEncoder), e.lc(false), a, in[0], e.overheadClasses)
				return []*graph.Node{c}
			}, [][]float32{patches}, cond},
		{exportedModel{role: models.RoleGenerator, file: "generator.onnx",
			inputs:  []models.Tensor{tensorSpec("condition", b, CondDim), tensorSpec("noise", b, NoiseDim)},
			outputs: []models.Tensor{tensorSpec("image", b, 3, ImageSize, ImageSize)}},
			func(s *model.Scope, in []*graph.Node) []*graph.Node {
				return []*graph.Node{generatorNet(s.At(scopeGenerator), e.lc(false), a, in[0], e.scaleNoise(in[1]))}
			}, [][]float32{cond, noise}, images},
		{exportedModel{role: models.RoleDiscriminator, file: "discriminator-features.onnx",
			inputs:  []models.Tensor{tensorSpec("image", b, 3, ImageSize, ImageSize), tensorSpec("condition", b, CondDim)},
			outputs: []models.Tensor{tensorSpec("features", b, f)}},
			func(s *model.Scope, in []*graph.Node) []*graph.Node {
				return []*graph.Node{discriminatorNet(s.At(scopeDiscriminator), e.lc(false), a, in[0], in[1]).features}
			}, [][]float32{images, cond}, features},
		{exportedModel{role: models.RoleClassifier, file: "classifier.onnx",
			inputs: []models.Tensor{tensorSpec("features", b, f)}, outputs: []models.Tensor{tensorSpec("probs", b, k)}},
			func(s *model.Scope, in []*graph.Node) []*graph.Node {
				return []*graph.Node{softmax(classifierNet(s.At(scopeClassifier), e.lc(false), in[0], k))}
			}, [][]float32{features}, probs},
	}
	var out []exportedModel
	for _, spec := range specs {
		m := spec.m
		path := filepath.Join(dir, m.file)
		if err := e.saveONNX(path, spec.fn, m.inputs, m.outputs); err != nil {
			return nil, err
		}
		got, err := runORT(path, m.inputs, m.outputs[0], spec.in)
		if err != nil {
			return nil, err
		}
		m.maxDiff = maxAbsDiff(got, spec.expect)
		if !(m.maxDiff <= MaxExportDifference) {
			return nil, fmt.Errorf("export %s: ONNX Runtime output differs from GoMLX by %g (limit %g)", m.file, m.maxDiff, MaxExportDifference)
		}
		if m.float16Diff, m.float16Tensors, err = storeWeightsAsFloat16(path, m, spec.in, spec.expect); err != nil {
			return nil, err
		}
		if m.float16Tensors == 0 {
			r.opts.emit(Event{Phase: PhaseExport, Elapsed: r.elapsed(),
				Message: fmt.Sprintf("%s keeps float32 weights: with float16 weights it differs from GoMLX by %g (limit %g)", m.file, m.float16Diff, MaxFloat16Difference)})
		}
		out = append(out, m)
	}
	chain, err := chainDifference(dir, out, patches, noise, probs)
	if err != nil {
		return nil, err
	}
	r.st.Metrics["onnx_chain_max_abs_diff"] = chain
	return out, nil
}

// storeWeightsAsFloat16 stores the large weight tensors of the exported
// model at path as float16 (onnxbackend.ConvertWeightsToFloat16), which
// about halves a file made mostly of weights. It runs the rewritten model
// on in and compares it with expect, the float32 output of GoMLX. Within
// MaxFloat16Difference the rewrite replaces the file. Otherwise the file
// keeps its float32 weights and the count returned is 0. It returns the
// difference and the number of tensors converted.
func storeWeightsAsFloat16(path string, m exportedModel, in [][]float32, expect []float32) (diff float64, converted int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("export %s: %w", m.file, err)
	}
	half, converted, err := onnxbackend.ConvertWeightsToFloat16(data, float16MinElements)
	if err != nil {
		return 0, 0, fmt.Errorf("export %s: %w", m.file, err)
	}
	if converted == 0 {
		return 0, 0, nil
	}
	tmp := path + ".float16"
	defer os.Remove(tmp)
	if err := writeFileAtomic(tmp, func(w *bufio.Writer) error {
		_, err := w.Write(half)
		return err
	}); err != nil {
		return 0, 0, err
	}

	got, err := runORT(tmp, m.inputs, m.outputs[0], in)
	if err != nil {
		return 0, 0, err
	}
	diff = maxAbsDiff(got, expect)
	if !(diff <= MaxFloat16Difference) {
		return diff, 0, nil
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, 0, fmt.Errorf("export %s: %w", m.file, err)
	}
	return diff, converted, nil
}

// chainDifference runs the exported files in dir one after another, as
// the viewer does (encoder, generator, discriminator features,
// classifier), on patches and noise, and returns the largest absolute
// difference of the final urban/rural probabilities from GoMLX's probs.
func chainDifference(dir string, exported []exportedModel, patches, noise, probs []float32) (float64, error) {
	byRole := map[models.Role]exportedModel{}
	for _, m := range exported {
		byRole[m.role] = m
	}
	run := func(role models.Role, in ...[]float32) ([]float32, error) {
		m := byRole[role]
		return runORT(filepath.Join(dir, m.file), m.inputs, m.outputs[0], in)
	}
	cond, err := run(models.RoleEncoder, patches)
	if err != nil {
		return 0, err
	}
	images, err := run(models.RoleGenerator, cond, noise)
	if err != nil {
		return 0, err
	}
	features, err := run(models.RoleDiscriminator, images, cond)
	if err != nil {
		return 0, err
	}
	got, err := run(models.RoleClassifier, features)
	if err != nil {
		return 0, err
	}
	return maxAbsDiff(got, probs), nil
}

func tensorSpec(name string, dims ...int) models.Tensor {
	t := models.Tensor{Name: name, DType: "float32"}
	for _, d := range dims {
		t.Shape = append(t.Shape, int64(d))
	}
	return t
}

func dimsOf(t models.Tensor) []int {
	out := make([]int, len(t.Shape))
	for i, d := range t.Shape {
		out[i] = int(d)
	}
	return out
}

// saveONNX exports the inference graph fn with the current weights baked
// in, at the fixed input shapes.
func (e *engine) saveONNX(path string, fn func(*model.Scope, []*graph.Node) []*graph.Node, inputs, outputs []models.Tensor) (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			err = fmt.Errorf("export %s: %v", filepath.Base(path), rec)
		}
	}()
	ex, err := model.NewExec(e.backend, e.store, fn)
	if err != nil {
		return fmt.Errorf("export %s: %w", filepath.Base(path), err)
	}
	defer ex.Finalize()
	var inShapes []shapes.Shape
	var inNames, outNames []string
	for _, t := range inputs {
		inShapes = append(inShapes, shapes.Make(dtypes.Float32, dimsOf(t)...))
		inNames = append(inNames, t.Name)
	}
	for _, t := range outputs {
		outNames = append(outNames, t.Name)
	}
	if err := gomlxonnx.SaveToFile(e.backend, ex, path, inShapes, inNames, outNames); err != nil {
		return fmt.Errorf("export %s: %w", filepath.Base(path), err)
	}
	return nil
}

// initORT starts ONNX Runtime in this process through package inference,
// which owns the process's single ONNX Runtime environment, so that the
// viewer can load the exported set afterwards without a restart. The
// library is DOWNTHERE_ORT_LIB or inference's default search.
func initORT() error {
	if _, err := inference.Init(inference.LibraryOptions{Path: os.Getenv("DOWNTHERE_ORT_LIB")}); err != nil {
		return fmt.Errorf("check exported models: %w", err)
	}
	return nil
}

// runORT runs the model at path in onnxruntime_go on the given inputs and
// returns its output.
func runORT(path string, inputs []models.Tensor, output models.Tensor, data [][]float32) ([]float32, error) {
	if err := initORT(); err != nil {
		return nil, err
	}
	var inNames []string
	var values []ort.Value
	defer func() {
		for _, v := range values {
			v.Destroy()
		}
	}()
	for i, t := range inputs {
		v, err := ort.NewTensor(ort.NewShape(t.Shape...), data[i])
		if err != nil {
			return nil, fmt.Errorf("check %s: input %s: %w", filepath.Base(path), t.Name, err)
		}
		values = append(values, v)
		inNames = append(inNames, t.Name)
	}
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(output.Shape...))
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", filepath.Base(path), err)
	}
	defer out.Destroy()
	session, err := ort.NewDynamicAdvancedSession(path, inNames, []string{output.Name}, nil)
	if err != nil {
		return nil, fmt.Errorf("check %s: load in ONNX Runtime: %w", filepath.Base(path), err)
	}
	defer session.Destroy()
	if err := session.Run(values, []ort.Value{out}); err != nil {
		return nil, fmt.Errorf("check %s: run in ONNX Runtime: %w", filepath.Base(path), err)
	}
	return append([]float32(nil), out.GetData()...), nil
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		v := math.Abs(float64(a[i]) - float64(b[i]))
		if v > d || math.IsNaN(v) {
			d = v
		}
	}
	return d
}

// writeSet writes a manifest per model, set.json and CARD.md into dir.
func (r *runner) writeSet(dir string, exported []exportedModel) error {
	spec := models.SetSpec{
		Name:              r.cfg.Name,
		Version:           r.version(),
		Description:       r.setDescription(),
		GroundResolutionM: r.data.ResolutionM,
		Models:            map[models.Role]string{},
		Card:              "CARD.md",
	}
	for _, m := range exported {
		man, err := r.manifest(dir, m)
		if err != nil {
			return err
		}
		name := m.file + ".json"
		if err := writeJSON(filepath.Join(dir, name), man); err != nil {
			return err
		}
		spec.Models[m.role] = name
		role := strings.ReplaceAll(string(m.role), "-", "_")
		r.st.Metrics["onnx_max_abs_diff_"+role] = m.maxDiff
		r.st.Metrics["float16_max_abs_diff_"+role] = m.float16Diff
		r.st.Metrics["float16_tensors_"+role] = float64(m.float16Tensors)
	}
	if err := writeJSON(filepath.Join(dir, models.SetFileName), spec); err != nil {
		return err
	}
	card := r.modelCard(exported)
	return writeFileAtomic(filepath.Join(dir, "CARD.md"), func(w *bufio.Writer) error {
		_, err := w.WriteString(card)
		return err
	})
}

// version names an export: the UTC date, the GAN steps and the first six
// hex digits of the config digest (Config.Hash). Two runs with as many
// steps on one day differ when their configs differ in a field of the
// digest. Exports of one checkpoint at two noise scales share a version.
func (r *runner) version() string {
	return fmt.Sprintf("%s-gan%d-%.6s", time.Now().UTC().Format("2006.01.02"), r.st.GANSteps, r.st.ConfigHash)
}

func (r *runner) setDescription() string {
	if r.cfg.Setting == SettingLandsat {
		return fmt.Sprintf("cGAN trained on Landsat cells at %.1f m per pixel, urban/rural classifier", r.data.ResolutionM)
	}
	return fmt.Sprintf("cGAN trained on UC Merced patches at %.1f m per pixel paired by class with ground photos, urban/rural classifier", r.data.ResolutionM)
}

func (r *runner) manifest(dir string, m exportedModel) (*models.Manifest, error) {
	sum, err := fileSHA256(filepath.Join(dir, m.file))
	if err != nil {
		return nil, err
	}
	cfgMap := map[string]any{}
	raw, _ := json.Marshal(r.cfg)
	_ = json.Unmarshal(raw, &cfgMap)
	metrics := map[string]float64{"onnx_max_abs_diff": m.maxDiff, "float16_max_abs_diff": m.float16Diff, "float16_tensors": float64(m.float16Tensors)}
	for k, v := range r.st.Metrics {
		if !strings.HasPrefix(k, "onnx_max_abs_diff_") && !strings.HasPrefix(k, "float16_") {
			metrics[k] = v
		}
	}
	man := &models.Manifest{
		Name:    r.cfg.Name + "/" + string(m.role),
		Version: r.version(),
		Role:    m.role,
		File:    m.file,
		SHA256:  sum,
		Inputs:  m.inputs,
		Outputs: m.outputs,
		Training: models.Training{
			Data:     r.data.Sources,
			Config:   cfgMap,
			Seed:     r.cfg.Seed,
			Steps:    r.stepsFor(m.role),
			Seconds:  math.Round(r.elapsed().Seconds()),
			Hardware: hardware(),
			Metrics:  metrics,
		},
	}
	switch m.role {
	case models.RoleEncoder:
		man.Normalization = imageNormalization
		man.GroundResolutionM = r.data.ResolutionM
		man.PatchSize = r.cfg.PatchSize
	case models.RoleDiscriminator:
		man.Normalization = imageNormalization
	case models.RoleClassifier:
		for _, c := range LandUseClasses {
			man.Classes = append(man.Classes, models.Class{Name: c.Name, Color: c.Color})
		}
	}
	if err := man.Validate(); err != nil {
		return nil, fmt.Errorf("export %s: %w", m.file, err)
	}
	return man, nil
}

func (r *runner) stepsFor(role models.Role) int {
	switch role {
	case models.RoleEncoder:
		return r.st.EncoderSteps
	case models.RoleClassifier:
		return r.cfg.ClassifierSteps
	}
	return r.st.GANSteps
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return writeFileAtomic(path, func(w *bufio.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
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

// hardware describes the CPU the run is on, from /proc/cpuinfo on Linux.
func hardware() string {
	model := runtime.GOARCH
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "model name") {
				if i := strings.Index(line, ":"); i >= 0 {
					model = strings.TrimSpace(line[i+1:])
				}
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d logical CPUs available to Go, ONNX Runtime 1.29.0 CPU through GoMLX v0.28.2", model, runtime.NumCPU())
}
