package training

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/downthere/downthere/models"
)

// Fixed sizes of the model contract shared with package inference.
const (
	CondDim   = 100 // length of the condition vector
	NoiseDim  = 100 // length of the standard-normal noise vector
	ImageSize = 64  // edge of the generated ground-level image in pixels
)

// Generator and discriminator variants (Arch.Variant).
const (
	// VariantProjected passes the condition through learned dense
	// projections in both networks and adds a projection term to the
	// discriminator's score. It is the default.
	VariantProjected = "projected"
	// VariantPaper follows Deng, Zhu and Newsam (2018): the raw 100-d
	// condition is concatenated with the noise in the generator and tiled
	// into the discriminator after its first convolution.
	VariantPaper = "paper"
	// VariantUnconditional ignores the condition (the paper's baseline).
	VariantUnconditional = "unconditional"
)

// Generator upsampling (Arch.Upsample).
const (
	// UpsampleSubpixel is a 3x3 convolution to four times the channels and
	// a depth-to-space (pixel shuffle).
	UpsampleSubpixel = "subpixel"
	// UpsampleICNR is UpsampleSubpixel with the four sub-pixel kernels of
	// each channel initialised equal (ICNR), so that training starts from
	// a convolution and a nearest-neighbour upsampling, without
	// checkerboard. It is the
	// default.
	UpsampleICNR = "icnr"
	// UpsampleNearest is a nearest-neighbour 2x upsampling and a 3x3
	// convolution. On the onnx backend a GAN step took 2.3 times as long
	// as with UpsampleICNR at batch 16 and 1.5 times at batch 64 (2 CPU
	// cores, see docs/benchmarks-training.md).
	UpsampleNearest = "nearest"
)

// Settings (Config.Setting): where the overhead patches and the ground
// photos come from.
const (
	// SettingUCMerced pairs UC Merced patches (0.3 m, resized) with ground
	// photos of the mapped class from the Intel scenes and Flickr landscapes.
	SettingUCMerced = "ucmerced"
	// SettingLandsat cuts a Landsat scene into grid cells labelled urban or
	// rural by polygons, with spatial block splits.
	SettingLandsat = "landsat"
)

// Arch describes the networks. The zero value is not valid; start from
// DefaultConfig.
type Arch struct {
	// Variant is VariantProjected, VariantPaper or VariantUnconditional.
	Variant string `json:"variant"`
	// BaseWidth is the channel count of the generator's last and the
	// discriminator's first convolution; the others are 2, 4 and 8 times it.
	BaseWidth int `json:"base_width"`
	// EncoderWidth is the channel count of the encoder's first convolution.
	EncoderWidth int `json:"encoder_width"`
	// Upsample is UpsampleICNR, UpsampleSubpixel or UpsampleNearest: how
	// the generator doubles its resolution.
	Upsample string `json:"upsample"`
	// EncoderKernel is 2 for the first encoder design (four 4x4 stride-2
	// convolutions, each written as padding, space-to-depth and a 2x2
	// convolution) or 3 (four stages of a stride-2 convolution written as
	// space-to-depth and 3x3, then a 3x3 stride-1 convolution).
	EncoderKernel int `json:"encoder_kernel"`
	// ConditionProjection is the width of the learned condition projection
	// in VariantProjected.
	ConditionProjection int `json:"condition_projection"`
	// AuxWeight weighs an auxiliary ground-class head on the discriminator
	// (AC-GAN); 0 disables it.
	AuxWeight float64 `json:"aux_weight"`
	// AuxWeightGenerator weighs the same head's loss on generated views in
	// the generator's step; 0 means AuxWeight. A larger value pushes the
	// views harder towards the condition's ground class. It is ignored
	// when AuxWeight is 0, which removes the head.
	AuxWeightGenerator float64 `json:"aux_weight_generator"`
	// Loss is "bce" (the paper's non-saturating binary cross-entropy) or
	// "hinge".
	Loss string `json:"loss"`
	// ModeSeeking weighs a diversity term in the generator loss against
	// the collapse of all noise vectors to one view per condition: pairs of
	// views with one condition and two noise vectors are pushed apart by
	// -min(mean|G(z1)-G(z2)| / mean|z1-z2|, DiversityCap), the bounded form
	// of Yang et al. (DSGAN, ICLR 2019). The unbounded ratio of Mao et al.
	// (MSGAN, CVPR 2019) filled the views with coloured stripes within 300
	// steps here, because its gradient grows as the views get closer. 0
	// disables the term; it needs an even batch size.
	ModeSeeking float64 `json:"mode_seeking"`
	// DiversityCap bounds the diversity term (mean absolute pixel
	// difference in [-1,1] units per unit of noise difference).
	DiversityCap float64 `json:"diversity_cap"`
	// MinibatchStd adds the standard deviation over the batch as an extra
	// channel before the discriminator's score (Karras et al., ICLR 2018),
	// so that a batch of identical views is easy to reject. The features
	// do not include it.
	MinibatchStd bool `json:"minibatch_std"`
	// RealLabel is the discriminator's target for real images in the "bce"
	// loss; below 1 it is one-sided label smoothing.
	RealLabel float64 `json:"real_label"`
	// GuideWeight weighs a frozen ground-scene classifier's cross-entropy
	// on generated views in the generator's step. The classifier (the
	// guide, see guideNet) is trained on the training split of the ground
	// photos before the GAN and then held fixed, so, unlike the
	// discriminator's auxiliary head, it cannot drift with the generator.
	// 0 disables it; it needs the auxiliary head (AuxWeight > 0).
	GuideWeight float64 `json:"guide_weight,omitempty"`
	// GuideEpochs is the number of passes of the guide's training over the
	// training photos. 0 means 8 when GuideWeight is on.
	GuideEpochs int `json:"guide_epochs,omitempty"`
	// AuxClasses is filled from the data: the number of ground classes.
	AuxClasses int `json:"-"`
}

// generatorAuxWeight returns the weight of the auxiliary loss in the
// generator's step: 0 without the head (AuxWeight 0).
func (a Arch) generatorAuxWeight() float64 {
	if a.AuxWeight == 0 {
		return 0
	}
	if a.AuxWeightGenerator > 0 {
		return a.AuxWeightGenerator
	}
	return a.AuxWeight
}

// guideEpochs returns the guide's epochs: 0 without the guide.
func (a Arch) guideEpochs() int {
	if a.GuideWeight == 0 {
		return 0
	}
	if a.GuideEpochs > 0 {
		return a.GuideEpochs
	}
	return 8
}

// Config is one training run, read from JSON by LoadConfig. Relative paths
// are resolved against the directory of the config file.
type Config struct {
	// Name names the model set ("ucmerced-1.2m").
	Name string `json:"name"`
	// Setting is SettingUCMerced or SettingLandsat.
	Setting string `json:"setting"`
	// DataDir is the folder with ucmerced/, intel_scenes/,
	// flickr_landscapes/ and olinda/.
	DataDir string `json:"data_dir"`
	// RunDir receives checkpoints, loss curves, sample grids and the cache.
	RunDir string `json:"run_dir"`
	// CacheDir holds decoded, resized images shared between runs.
	CacheDir string `json:"cache_dir"`
	// ExportDir receives the model set (set.json, models, manifests, card).
	ExportDir string `json:"export_dir"`

	Seed int64 `json:"seed"`
	// PatchSize is the encoder's input edge in pixels (divisible by 16).
	PatchSize int `json:"patch_size"`
	// CellSizeM is the grid cell edge in metres (SettingLandsat only).
	CellSizeM float64 `json:"cell_size_m"`
	// BlockCells is the edge of a spatial split block in cells
	// (SettingLandsat only).
	BlockCells int `json:"block_cells"`
	// TestFraction is the share of overhead patches (and of Flickr photos)
	// held out.
	TestFraction float64 `json:"test_fraction"`
	// MaxPerClass limits images per class folder; 0 means all. Tests use it.
	MaxPerClass int `json:"max_per_class"`

	Arch Arch `json:"arch"`

	BatchSize     int     `json:"batch_size"`
	EncoderEpochs int     `json:"encoder_epochs"`
	EncoderLR     float64 `json:"encoder_lr"`
	// EncoderSchedule is "cosine" (the learning rate falls from
	// EncoderLR along half a cosine to a hundredth of it) or "constant".
	EncoderSchedule string `json:"encoder_lr_schedule"`
	// EncoderMixup is the alpha of mixup in encoder training: each batch
	// is blended with a shuffled copy of itself, images and one-hot labels
	// alike, by a weight drawn from Beta(alpha, alpha). Valid values are
	// 0 (off) to 10.
	EncoderMixup float64 `json:"encoder_mixup,omitempty"`
	// EncoderShift is the largest random translation of an encoder
	// training patch, in pixels along each axis, with the edge mirrored
	// into the vacated rows and columns. Valid values are 0 (off) to a
	// quarter of the patch size.
	EncoderShift int `json:"encoder_shift,omitempty"`
	// EncoderGroundWeight weights a second encoder loss: the cross-entropy
	// of the ground class, whose probability is the summed softmax of the
	// overhead classes that map to it. It penalises mistakes between
	// ground classes more than mistakes inside one. Valid values are 0
	// (off) to 10.
	EncoderGroundWeight float64 `json:"encoder_ground_weight,omitempty"`
	GANEpochs           int     `json:"gan_epochs"`
	LR                  float64 `json:"lr"`
	Beta1               float64 `json:"beta1"`
	Beta2               float64 `json:"beta2"`
	ClassifierSteps     int     `json:"classifier_steps"`
	ClassifierViews     int     `json:"classifier_views"`
	CheckpointEvery     int     `json:"checkpoint_every_steps"`
	ExportBatch         int     `json:"export_batch"`
	// NoiseScale multiplies the standard-normal noise of every view the
	// trained generator draws outside its training steps: sample grids,
	// the land-use classifier's views and the exported generator.onnx,
	// which applies it to its noise input. Below 1 it is the truncation
	// trick: the noise stays nearer the centre of its distribution, so the
	// views of one cell vary less. 1 turns it off. It is left out of Hash
	// (omitted from JSON when zeroed there), so one checkpoint can be
	// exported at several scales.
	NoiseScale float64 `json:"noise_scale,omitempty"`
	// EncoderFrom names a checkpoint whose trained encoder a new run takes
	// over, skipping its own encoder phase, so that variants of the GAN
	// share one encoder. It is ignored when the run has a checkpoint.
	EncoderFrom      string `json:"encoder_from"`
	MaxSteps         int    `json:"max_steps"`
	Threads          int    `json:"-"`
	configFileDirAbs string
}

// DefaultConfig returns the value of every field a config file omits:
// 64x64 patches (256 px at 0.3 m resized, so about 1.2 m per pixel), base
// width 24, batch 32, Adam with learning rate 2e-4 and betas 0.5/0.999 for
// the GAN, and an encoder of width 32 trained for 40 epochs from learning
// rate 2e-3 along a cosine. The shipped UC Merced config widens the
// encoder to 48, trains it for 80 epochs and sets noise_scale 0.5.
func DefaultConfig() Config {
	return Config{
		Name:         "ucmerced-1.2m",
		Setting:      SettingUCMerced,
		DataDir:      "../shared/data",
		RunDir:       "runs/ucmerced-1.2m",
		CacheDir:     "runs/cache",
		ExportDir:    "models/sets/ucmerced-1.2m",
		Seed:         1,
		PatchSize:    64,
		CellSizeM:    500,
		BlockCells:   4,
		TestFraction: 0.2,
		Arch: Arch{
			Variant:             VariantProjected,
			BaseWidth:           24,
			EncoderWidth:        32,
			EncoderKernel:       3,
			Upsample:            UpsampleICNR,
			ConditionProjection: 32,
			AuxWeight:           1,
			AuxWeightGenerator:  2,
			Loss:                "bce",
			ModeSeeking:         1,
			DiversityCap:        0.2,
			MinibatchStd:        true,
			RealLabel:           0.9,
		},
		BatchSize:       32,
		EncoderEpochs:   40,
		EncoderLR:       2e-3,
		EncoderSchedule: "cosine",
		GANEpochs:       60,
		LR:              2e-4,
		Beta1:           0.5,
		Beta2:           0.999,
		ClassifierSteps: 400,
		ClassifierViews: 2,
		CheckpointEvery: 25,
		ExportBatch:     8,
		NoiseScale:      1,
	}
}

// LoadConfig reads a JSON config; fields it omits keep DefaultConfig's
// values. Unknown fields are rejected.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("read training config: %w", err)
	}
	if err := models.DecodeStrictJSON(data, &cfg); err != nil {
		return cfg, fmt.Errorf("training config %s: %w", path, err)
	}
	abs, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return cfg, fmt.Errorf("training config %s: %w", path, err)
	}
	cfg.configFileDirAbs = abs
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("training config %s: %w", path, err)
	}
	return cfg, nil
}

// Resolve returns p made absolute against the config file's folder (or the
// working directory for a config not read from a file).
func (c Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if c.configFileDirAbs != "" {
		return filepath.Join(c.configFileDirAbs, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

// WithBaseDir returns c with relative paths resolved against dir.
func (c Config) WithBaseDir(dir string) Config {
	abs, err := filepath.Abs(dir)
	if err == nil {
		c.configFileDirAbs = abs
	}
	return c
}

// Validate checks every field and names the first invalid ones.
func (c Config) Validate() error {
	var problems []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	check(c.Name != "" && !strings.ContainsAny(c.Name, `/\`), "name %q must be a non-empty folder name", c.Name)
	check(c.Setting == SettingUCMerced || c.Setting == SettingLandsat, "setting %q must be %q or %q", c.Setting, SettingUCMerced, SettingLandsat)
	check(c.DataDir != "", "data_dir is empty")
	check(c.RunDir != "", "run_dir is empty")
	check(c.PatchSize >= 16 && c.PatchSize%16 == 0, "patch_size %d must be a positive multiple of 16", c.PatchSize)
	check(c.TestFraction > 0 && c.TestFraction < 1, "test_fraction %g must be in (0,1)", c.TestFraction)
	check(c.MaxPerClass >= 0, "max_per_class %d must be >= 0", c.MaxPerClass)
	a := c.Arch
	check(a.Variant == VariantProjected || a.Variant == VariantPaper || a.Variant == VariantUnconditional,
		"arch.variant %q must be %q, %q or %q", a.Variant, VariantProjected, VariantPaper, VariantUnconditional)
	check(a.BaseWidth >= 4 && a.BaseWidth <= 256, "arch.base_width %d must be in [4,256]", a.BaseWidth)
	check(a.EncoderWidth >= 4 && a.EncoderWidth <= 256, "arch.encoder_width %d must be in [4,256]", a.EncoderWidth)
	check(a.Upsample == UpsampleICNR || a.Upsample == UpsampleNearest || a.Upsample == UpsampleSubpixel,
		"arch.upsample %q must be %q, %q or %q", a.Upsample, UpsampleICNR, UpsampleNearest, UpsampleSubpixel)
	check(a.EncoderKernel == 2 || a.EncoderKernel == 3, "arch.encoder_kernel %d must be 2 or 3", a.EncoderKernel)
	check(a.AuxWeightGenerator >= 0, "arch.aux_weight_generator %g must be >= 0", a.AuxWeightGenerator)
	check(a.ConditionProjection >= 1 && a.ConditionProjection <= 1024, "arch.condition_projection %d must be in [1,1024]", a.ConditionProjection)
	check(a.AuxWeight >= 0, "arch.aux_weight %g must be >= 0", a.AuxWeight)
	check(a.GuideWeight >= 0 && a.GuideEpochs >= 0, "arch.guide_weight %g and arch.guide_epochs %d must be >= 0", a.GuideWeight, a.GuideEpochs)
	check(a.GuideWeight == 0 || a.AuxWeight > 0, "arch.guide_weight %g needs arch.aux_weight > 0, which supplies the ground classes", a.GuideWeight)
	check(a.Loss == "bce" || a.Loss == "hinge", "arch.loss %q must be \"bce\" or \"hinge\"", a.Loss)
	check(a.ModeSeeking >= 0, "arch.mode_seeking %g must be >= 0", a.ModeSeeking)
	check(a.ModeSeeking == 0 || a.DiversityCap > 0, "arch.diversity_cap %g must be > 0 when arch.mode_seeking is on", a.DiversityCap)
	check(a.ModeSeeking == 0 || c.BatchSize%2 == 0, "batch_size %d must be even when arch.mode_seeking is on", c.BatchSize)
	check(a.RealLabel > 0.5 && a.RealLabel <= 1, "arch.real_label %g must be in (0.5,1]", a.RealLabel)
	check(c.BatchSize >= 2 && c.BatchSize <= 1024, "batch_size %d must be in [2,1024]", c.BatchSize)
	check(c.EncoderEpochs >= 0 && c.GANEpochs >= 0, "encoder_epochs and gan_epochs must be >= 0")
	check(c.LR > 0 && c.EncoderLR > 0, "lr and encoder_lr must be > 0")
	check(c.EncoderMixup >= 0 && c.EncoderMixup <= 10, "encoder_mixup %g must be in [0,10]", c.EncoderMixup)
	check(c.EncoderShift >= 0 && c.EncoderShift <= c.PatchSize/4, "encoder_shift %d must be in [0,%d] (a quarter of patch_size)", c.EncoderShift, c.PatchSize/4)
	check(c.EncoderGroundWeight >= 0 && c.EncoderGroundWeight <= 10, "encoder_ground_weight %g must be in [0,10]", c.EncoderGroundWeight)
	check(c.EncoderSchedule == "cosine" || c.EncoderSchedule == "constant", "encoder_lr_schedule %q must be \"cosine\" or \"constant\"", c.EncoderSchedule)
	check(c.Beta1 >= 0 && c.Beta1 < 1 && c.Beta2 >= 0 && c.Beta2 < 1, "beta1 and beta2 must be in [0,1)")
	check(c.ClassifierSteps >= 1 && c.ClassifierViews >= 1, "classifier_steps and classifier_views must be >= 1")
	check(c.CheckpointEvery >= 1, "checkpoint_every_steps %d must be >= 1", c.CheckpointEvery)
	check(c.ExportBatch >= 1 && c.ExportBatch <= 256, "export_batch %d must be in [1,256]", c.ExportBatch)
	check(c.MaxSteps >= 0, "max_steps %d must be >= 0", c.MaxSteps)
	check(c.NoiseScale > 0 && c.NoiseScale <= 1, "noise_scale %g must be in (0,1]", c.NoiseScale)
	if c.Setting == SettingLandsat {
		check(c.CellSizeM > 0, "cell_size_m %g must be > 0", c.CellSizeM)
		check(c.BlockCells >= 1, "block_cells %d must be >= 1", c.BlockCells)
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid training config: %s", strings.Join(problems, "; "))
	}
	return nil
}

// EncoderHash returns a short digest of the fields that shape the encoder
// and the data splits, so that an encoder is only taken over (EncoderFrom)
// by runs that hold out the same patches.
func (c Config) EncoderHash() string {
	k := []any{c.Setting, c.Arch.EncoderWidth, c.Arch.EncoderKernel, c.Seed, c.PatchSize, c.TestFraction, c.MaxPerClass,
		c.CellSizeM, c.BlockCells, c.EncoderEpochs, c.EncoderLR, c.EncoderSchedule, c.BatchSize}
	// The later fields are appended only when set, so that encoders
	// trained before they existed keep their digest.
	if c.EncoderMixup > 0 {
		k = append(k, c.EncoderMixup)
	}
	if c.EncoderShift > 0 {
		k = append(k, "shift", c.EncoderShift)
	}
	if c.EncoderGroundWeight > 0 {
		k = append(k, "ground", c.EncoderGroundWeight)
	}
	data, _ := json.Marshal(k)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// Hash returns a short digest of the fields that shape the trained
// weights, so that a checkpoint is not resumed under another config.
// MaxSteps, the export settings, NoiseScale and the paths are left out.
func (c Config) Hash() string {
	k := c
	k.MaxSteps, k.ExportBatch, k.CheckpointEvery = 0, 0, 0
	k.DataDir, k.RunDir, k.CacheDir, k.ExportDir, k.EncoderFrom = "", "", "", "", ""
	k.GANEpochs, k.ClassifierSteps, k.NoiseScale = 0, 0, 0
	k.Arch.GuideEpochs = k.Arch.guideEpochs() // 0 and 8 train the same guide
	data, _ := json.Marshal(k)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// encoderTrainingText describes the encoder's augmentation and loss in
// two sentences for the model card.
func encoderTrainingText(c Config) string {
	aug := "random flips and quarter turns"
	if c.EncoderShift > 0 {
		aug += fmt.Sprintf(", shifts of up to %d pixels with mirrored edges", c.EncoderShift)
	}
	if c.EncoderMixup > 0 {
		aug += fmt.Sprintf(", mixup with alpha %g", c.EncoderMixup)
	}
	loss := "cross-entropy over the overhead classes"
	if c.EncoderGroundWeight > 0 {
		loss += fmt.Sprintf(", plus, with weight %g, the cross-entropy of the ground class, whose probability is the sum of its overhead classes' probabilities", c.EncoderGroundWeight)
	}
	return "Encoder augmentation: " + aug + ". Encoder loss: " + loss + "."
}
