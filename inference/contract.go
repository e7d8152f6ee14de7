package inference

import (
	"fmt"
	"slices"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/downthere/downthere/models"
)

// The tensor names of the model-set contract.
const (
	tensorPatch     = "patch"     // encoder input [B,3,P,P]
	tensorCondition = "condition" // encoder output, generator and discriminator input [B,C]
	tensorNoise     = "noise"     // generator input [B,Z], standard normal
	tensorImage     = "image"     // generator output, discriminator input [B,3,H,W] in [-1,1]
	tensorFeatures  = "features"  // discriminator output, classifier input [B,F]
	tensorProbs     = "probs"     // classifier output [B,K]
)

// roleContract lists the inputs a role's model takes and the output the
// engine reads, with the rank of one item (the shape without the batch).
type roleContract struct {
	inputs []namedRank
	output namedRank
}

type namedRank struct {
	name string
	rank int
}

var contracts = map[models.Role]roleContract{
	models.RoleEncoder:       {inputs: []namedRank{{tensorPatch, 3}}, output: namedRank{tensorCondition, 1}},
	models.RoleGenerator:     {inputs: []namedRank{{tensorCondition, 1}, {tensorNoise, 1}}, output: namedRank{tensorImage, 3}},
	models.RoleDiscriminator: {inputs: []namedRank{{tensorImage, 3}, {tensorCondition, 1}}, output: namedRank{tensorFeatures, 1}},
	models.RoleClassifier:    {inputs: []namedRank{{tensorFeatures, 1}}, output: namedRank{tensorProbs, 1}},
}

// checkRole checks one manifest against its role's tensor names and ranks,
// and that every tensor has the same batch dimension (a fixed size, or -1
// for a dynamic batch) and no other free dimension. It names the manifest
// file.
func checkRole(file string, m *models.Manifest) error {
	c := contracts[m.Role]
	var problems []string

	names := make([]string, len(m.Inputs))
	for i, t := range m.Inputs {
		names[i] = t.Name
	}
	for _, in := range c.inputs {
		if !slices.Contains(names, in.name) {
			problems = append(problems, fmt.Sprintf("no input %q", in.name))
		}
	}
	if len(m.Inputs) != len(c.inputs) {
		problems = append(problems, fmt.Sprintf("inputs are %v, want %v", names, namesOfRanks(c.inputs)))
	}
	if _, ok := m.Output(c.output.name); !ok {
		problems = append(problems, fmt.Sprintf("no output %q", c.output.name))
	}

	batch := m.Inputs[0].Shape
	for _, t := range append(slices.Clone(m.Inputs), m.Outputs...) {
		problems = append(problems, checkTensorShape(t, batch[0], c)...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("model manifest %s (%s): %s", file, m.Role, strings.Join(problems, "; "))
	}
	return nil
}

func namesOfRanks(rs []namedRank) []string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.name
	}
	return names
}

// checkTensorShape checks one tensor's batch dimension, its other
// dimensions and, for a contract tensor, its rank.
func checkTensorShape(t models.Tensor, batch int64, c roleContract) []string {
	if len(t.Shape) < 2 {
		return []string{fmt.Sprintf("tensor %q has shape %v, want a batch dimension and at least one more", t.Name, t.Shape)}
	}
	var problems []string
	if t.Shape[0] != batch {
		problems = append(problems, fmt.Sprintf("tensor %q has batch %d but the first input has %d; all tensors must share one batch size", t.Name, t.Shape[0], batch))
	}
	if slices.Contains(t.Shape[1:], -1) {
		problems = append(problems, fmt.Sprintf("tensor %q has shape %v; only the batch dimension may be dynamic (-1)", t.Name, t.Shape))
	}
	for _, want := range append(slices.Clone(c.inputs), c.output) {
		if want.name == t.Name && len(t.Shape)-1 != want.rank {
			problems = append(problems, fmt.Sprintf("tensor %q has shape %v, want %d dimensions after the batch", t.Name, t.Shape, want.rank))
		}
	}
	return problems
}

// checkSet checks that the four models of a set fit together: one condition
// size, one image shape, one feature size, one probability per class, and
// an encoder patch of patch_size pixels.
func checkSet(set *models.Set) error {
	enc := set.Manifests[models.RoleEncoder]
	gen := set.Manifests[models.RoleGenerator]
	disc := set.Manifests[models.RoleDiscriminator]
	cls := set.Manifests[models.RoleClassifier]
	var problems []string

	patch := itemShape(enc.Inputs, tensorPatch)
	if patch[0] != 3 || patch[1] != int64(enc.PatchSize) || patch[2] != int64(enc.PatchSize) {
		problems = append(problems, fmt.Sprintf("encoder input %q is %v per item, want [3 %d %d] from its patch_size", tensorPatch, patch, enc.PatchSize, enc.PatchSize))
	}
	if n := enc.Normalization; n != nil && len(n.Mean) != 1 && len(n.Mean) != 3 {
		problems = append(problems, fmt.Sprintf("encoder normalization has %d entries, want 3 (one per channel) or 1 (for all channels)", len(n.Mean)))
	}
	problems = append(problems, sameShape(tensorCondition,
		shapeOf{"encoder output", itemShape(enc.Outputs, tensorCondition)},
		shapeOf{"generator input", itemShape(gen.Inputs, tensorCondition)},
		shapeOf{"discriminator-features input", itemShape(disc.Inputs, tensorCondition)})...)
	problems = append(problems, sameShape(tensorImage,
		shapeOf{"generator output", itemShape(gen.Outputs, tensorImage)},
		shapeOf{"discriminator-features input", itemShape(disc.Inputs, tensorImage)})...)
	if image := itemShape(gen.Outputs, tensorImage); image[0] != 3 {
		problems = append(problems, fmt.Sprintf("generator output %q is %v per item, want 3 channels first", tensorImage, image))
	}
	problems = append(problems, sameShape(tensorFeatures,
		shapeOf{"discriminator-features output", itemShape(disc.Outputs, tensorFeatures)},
		shapeOf{"classifier input", itemShape(cls.Inputs, tensorFeatures)})...)
	if probs := itemShape(cls.Outputs, tensorProbs); probs[0] != int64(len(cls.Classes)) {
		problems = append(problems, fmt.Sprintf("classifier output %q has %d values per item but the manifest lists %d classes", tensorProbs, probs[0], len(cls.Classes)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("model set %s: %w: the models do not fit together: %s", set.Spec.Name, models.ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

type shapeOf struct {
	where string
	shape []int64
}

func sameShape(name string, shapes ...shapeOf) []string {
	for _, s := range shapes[1:] {
		if !slices.Equal(s.shape, shapes[0].shape) {
			return []string{fmt.Sprintf("%q is %v per item as %s but %v as %s", name, shapes[0].shape, shapes[0].where, s.shape, s.where)}
		}
	}
	return nil
}

// itemShape returns the shape of one item of the named tensor. checkRole
// has made sure it exists.
func itemShape(ts []models.Tensor, name string) []int64 {
	for _, t := range ts {
		if t.Name == name {
			return t.Shape[1:]
		}
	}
	return nil
}

// checkModel compares a manifest with the inputs and outputs ONNX Runtime
// reports for the model file. Every model input must be in the manifest,
// with the same shape and float32 elements; every manifest output must be
// in the model. A model may have more outputs than its manifest lists.
func checkModel(file, manifestFile string, m *models.Manifest, inputs, outputs []ort.InputOutputInfo) error {
	var problems []string
	for _, info := range inputs {
		if _, ok := m.Input(info.Name); !ok {
			problems = append(problems, fmt.Sprintf("the model has input %q that the manifest does not list", info.Name))
		}
	}
	problems = append(problems, compareTensors("input", m.Inputs, inputs)...)
	problems = append(problems, compareTensors("output", m.Outputs, outputs)...)
	if len(problems) > 0 {
		return fmt.Errorf("model file %s does not match its manifest %s: %w: %s; re-export the model or correct the manifest",
			file, manifestFile, models.ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

func compareTensors(kind string, want []models.Tensor, have []ort.InputOutputInfo) []string {
	var problems []string
	for _, t := range want {
		i := slices.IndexFunc(have, func(info ort.InputOutputInfo) bool { return info.Name == t.Name })
		if i < 0 {
			problems = append(problems, fmt.Sprintf("the manifest lists %s %q, which the model does not have (it has %v)", kind, t.Name, infoNames(have)))
			continue
		}
		info := have[i]
		if info.OrtValueType != ort.ONNXTypeTensor || info.DataType != ort.TensorElementDataTypeFloat {
			problems = append(problems, fmt.Sprintf("%s %q is %s, want a float32 tensor", kind, t.Name, info.String()))
			continue
		}
		if !slices.Equal([]int64(info.Dimensions), t.Shape) {
			problems = append(problems, fmt.Sprintf("%s %q has shape %v in the model but %v in the manifest", kind, t.Name, []int64(info.Dimensions), t.Shape))
		}
	}
	return problems
}

func infoNames(infos []ort.InputOutputInfo) []string {
	names := make([]string, len(infos))
	for i, info := range infos {
		names[i] = info.Name
	}
	return names
}
