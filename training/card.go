//go:build onnx

package training

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// modelCard returns the CARD.md of the exported set.
func (r *runner) modelCard(exported []exportedModel) string {
	var b strings.Builder
	c := r.cfg
	a := r.eng.arch
	fmt.Fprintf(&b, "# Model card: %s\n\n", c.Name)
	fmt.Fprintf(&b, "Version %s, written by `viewer train` on %s.\n\n", r.version(), time.Now().UTC().Format("2006-01-02 15:04 UTC"))

	b.WriteString("## What the models do\n\n")
	b.WriteString("- `encoder.onnx`: an overhead RGB patch `patch` [B,3,P,P], normalised as (v/255-0.5)/0.5, to the 100-d condition `condition` (tanh). It is the penultimate layer of a small CNN trained to classify the 21 UC Merced land-use classes.\n")
	b.WriteString("- `generator.onnx`: `condition` [B,100] and standard-normal `noise` [B,100] to a 64x64 ground-level view `image` [B,3,64,64] in [-1,1].")
	if c.NoiseScale != 1 {
		fmt.Fprintf(&b, " It multiplies the noise by %g before its first layer (the truncation trick: the noise stays nearer the centre of its distribution, so the views of one cell vary less); its training steps saw unscaled noise.", c.NoiseScale)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "- `discriminator-features.onnx`: `image` and `condition` to `features` [B,%d], the discriminator's last convolutional activations averaged over their 4x4 positions (the cGAN features).\n", r.eng.featureDim())
	b.WriteString("- `classifier.onnx`: `features` to `probs` [B,2] over urban (#d7301f) and rural (#1a9850). It was trained on the features of generated views of the training patches.\n\n")
	fmt.Fprintf(&b, "All models are exported at a fixed batch size of %d.\n\n", c.ExportBatch)

	b.WriteString("## Data and licences\n\n")
	r.writeDataSection(&b)

	b.WriteString("## Architecture and training\n\n")
	aux := "no auxiliary ground-class head"
	if a.AuxWeight > 0 {
		aux = fmt.Sprintf("auxiliary ground-class weight %g in the discriminator and %g in the generator (%d classes)", a.AuxWeight, a.generatorAuxWeight(), a.AuxClasses)
	}
	fmt.Fprintf(&b, "- Variant `%s`, base width %d, encoder width %d, condition projection %d, %s, loss `%s`.\n",
		a.Variant, a.BaseWidth, a.EncoderWidth, a.ConditionProjection, aux, a.Loss)
	fmt.Fprintf(&b, "- %s\n- %s\n- %s\n", encoderText(a), generatorText(a), discriminatorText(a))
	b.WriteString("- The paper's 4x4 stride-2 (transposed) convolutions were replaced by 3x3 kernels because GoMLX v0.28.2 computes wrong input gradients for even kernel sizes.\n")
	fmt.Fprintf(&b, "- Generator loss: %s; discriminator real target %g.\n", generatorLossText(a), a.RealLabel)
	if a.GuideWeight > 0 {
		fmt.Fprintf(&b, "- Guide: a ground-scene classifier (four blocks of a full-resolution 3x3 convolution, batch norm, LeakyReLU(0.2) and 2x2 average pooling, widths %v) trained for %d steps (%d epochs) on the training photos before the GAN, then frozen; its cross-entropy on generated views enters the generator loss with weight %g. It is not exported.\n",
			guideWidths, r.st.GuideSteps, a.guideEpochs(), a.GuideWeight)
	}
	schedule := "constant"
	if c.EncoderSchedule == "cosine" {
		schedule = "falling along a cosine to a hundredth of it"
	}
	fmt.Fprintf(&b, "- Adam, learning rate %g, betas %g/%g, batch %d, seed %d; encoder: %d epochs from learning rate %g, %s.\n",
		c.LR, c.Beta1, c.Beta2, c.BatchSize, c.Seed, c.EncoderEpochs, c.EncoderLR, schedule)
	fmt.Fprintf(&b, "- %s\n", encoderTrainingText(c))
	fmt.Fprintf(&b, "- Trained steps: encoder %d, GAN %d (of %d epochs planned), classifier %d.\n", r.st.EncoderSteps, r.st.GANSteps, c.GANEpochs, c.ClassifierSteps)
	fmt.Fprintf(&b, "- Training time %s of wall clock, resumed runs included, on %s. An encoder taken over with `encoder_from` was trained, and timed, in its own run.\n\n",
		r.elapsed().Round(time.Second), hardware())

	b.WriteString("## Metrics (held-out data)\n\n")
	keys := make([]string, 0, len(r.st.Metrics))
	for k := range r.st.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "- `%s`: %.6g\n", k, r.st.Metrics[k])
	}
	b.WriteString("\n`aux_class_consistency_test` is the share of generated views of held-out patches that the discriminator's own auxiliary head assigns to the patch's ground class: a cheap proxy, not an independent ground-scene classifier. ")
	if _, ok := r.st.Metrics["encoder_test_ground_accuracy"]; ok {
		b.WriteString("`encoder_test_ground_accuracy` is the share of held-out patches whose predicted overhead class maps to their true ground class: the share of held-out conditions that point the generator at the right kind of view. ")
	}
	if _, ok := r.st.Metrics["guide_test_accuracy"]; ok {
		b.WriteString("`guide_test_accuracy` is the guide's accuracy on the held-out photos. ")
	}
	fmt.Fprintf(&b, "`onnx_max_abs_diff_*` is the largest difference between ONNX Runtime and GoMLX on one fixed batch. In the files, weight tensors of 1024 or more values are stored as float16 and cast to float32 by nodes at the start of each graph; `float16_tensors_*` counts them (0: the model kept float32 weights because float16 moved its output by more than %g), and `float16_max_abs_diff_*` is the largest difference of the file from GoMLX's float32 output on the same batch. `onnx_chain_max_abs_diff` runs the four files one after another, as the viewer does, and compares the final urban/rural probabilities with GoMLX's.\n\n", MaxFloat16Difference)

	b.WriteString("## Known limits\n\n")
	b.WriteString("- Views are 64x64 and blurry; they show the kind of place, not the place.\n")
	b.WriteString("- The land-use classifier sees features of generated views; on UC Merced the overhead features alone already separate urban from rural well, so its accuracy says little about the generator.\n")
	fmt.Fprintf(&b, "- The encoder expects patches at about %.2f m per pixel, %d px square; other resolutions are out of distribution.\n", r.data.ResolutionM, c.PatchSize)
	if r.st.GANSteps < c.GANEpochs*max(r.data.PhotosTrain.Len()/max(c.BatchSize, 1), 1) {
		b.WriteString("- The GAN was exported before its planned epochs were done.\n")
	}
	return b.String()
}

func encoderText(a Arch) string {
	if a.EncoderKernel == 3 {
		return "Encoder: four stages of a stride-2 convolution (space-to-depth, then 3x3) and a 3x3 convolution, batch norm and LeakyReLU(0.2) after each, a spatial mean, a dense layer to the condition and tanh; a dense head on the condition classifies the overhead classes."
	}
	return "Encoder: four 4x4 stride-2 convolutions (padding, space-to-depth, 2x2), batch norm after all but the first and LeakyReLU(0.2), a spatial mean, a dense layer to the condition and tanh; a dense head on the condition classifies the overhead classes."
}

func generatorText(a Arch) string {
	up := "sub-pixel 3x3 convolutions (3x3 convolution to four times the channels, then pixel shuffle)"
	switch a.Upsample {
	case UpsampleNearest:
		up = "nearest-neighbour 2x upsamplings each followed by a 3x3 convolution"
	case UpsampleICNR:
		up = "sub-pixel 3x3 convolutions (3x3 convolution to four times the channels, then pixel shuffle) with ICNR initialisation (the four sub-pixel kernels start equal, against checkerboard artefacts)"
	}
	in := "the condition through a learned dense projection (LeakyReLU) joined with the noise"
	switch a.Variant {
	case VariantPaper:
		in = "the raw condition joined with the noise"
	case VariantUnconditional:
		in = "the noise alone (the condition input is ignored)"
	}
	return fmt.Sprintf("Generator: %s, a dense layer (no bias) to 4x4x(8w), four %s, batch norm, LeakyReLU(0.2), tanh.", in, up)
}

func discriminatorText(a Arch) string {
	cond := "the condition, through a learned dense projection, tiled and concatenated after the first convolution, plus a projection term on the score"
	switch a.Variant {
	case VariantPaper:
		cond = "the raw condition tiled and concatenated after the first convolution"
	case VariantUnconditional:
		cond = "no condition"
	}
	extra := ""
	if a.MinibatchStd {
		extra = ", minibatch standard deviation before the score"
	}
	if a.AuxWeight > 0 {
		extra += ", an auxiliary ground-class head on the features"
	}
	return fmt.Sprintf("Discriminator: four stride-2 convolutions (space-to-depth, then 3x3) with %s, batch norm, LeakyReLU(0.2)%s.", cond, extra)
}

func generatorLossText(a Arch) string {
	parts := []string{"non-saturating adversarial loss"}
	if a.Loss == "hinge" {
		parts[0] = "hinge adversarial loss"
	}
	if a.AuxWeight > 0 {
		parts = append(parts, "auxiliary ground-class loss")
	}
	if a.ModeSeeking > 0 {
		parts = append(parts, fmt.Sprintf("a bounded diversity term (weight %g, cap %g) between views of one condition", a.ModeSeeking, a.DiversityCap))
	}
	return strings.Join(parts, ", ")
}

func (r *runner) writeDataSection(b *strings.Builder) {
	d := r.data
	if r.cfg.Setting == SettingLandsat {
		writeLandsatDataSection(b, r.cfg, d)
		return
	}
	fmt.Fprintf(b, "- Overhead: UC Merced Land Use (Yang and Newsam, ACM SIGSPATIAL 2010), 21 classes, 256x256 px at 0.3 m from USGS orthoimagery (public domain; cite the dataset paper). Centre-cropped and resized to %d px, so about %.2f m per pixel. %d training and %d held-out patches, split per class with seed %d.\n",
		r.cfg.PatchSize, d.ResolutionM, d.OverheadTrain.Len(), d.OverheadTest.Len(), r.cfg.Seed)
	fmt.Fprintf(b, "- Ground: Intel Image Classification scenes (licence unclear, research use only; their own train/test split) and Flickr landscape photos under CC BY 2.0, CC BY-SA 2.0, CC0 or public domain (split with the same seed), centre-cropped and resized to 64x64: %d training and %d held-out photos.\n\n",
		d.PhotosTrain.Len(), d.PhotosTest.Len())
	b.WriteString("Pairing is by class, not by place: each photo is paired with a random training patch whose UC Merced class maps to the photo's ground class. This is a weaker pairing than geographic co-location, since a patch and a photo share a kind of place, not a place.\n\n")
	b.WriteString("| UC Merced class | ground class | land use |\n|---|---|---|\n")
	for _, c := range UCMercedClasses {
		lu := "rural"
		if c.Urban {
			lu = "urban"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", c.Name, c.Ground, lu)
	}
	b.WriteString("\n| ground class | Intel scenes folders | Flickr folders |\n|---|---|---|\n")
	for _, g := range GroundClasses {
		fmt.Fprintf(b, "| %s | %s | %s |\n", g.Name, strings.Join(g.Intel, ", "), strings.Join(g.Flickr, ", "))
	}
	b.WriteString("\n")
}
