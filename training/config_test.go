package training

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		wantErr string
	}{
		{name: "defaults", json: `{}`},
		{name: "unknown field", json: `{"batchsize": 4}`, wantErr: "unknown field"},
		{name: "bad variant", json: `{"arch": {"variant": "big"}}`, wantErr: "arch.variant"},
		{name: "patch size", json: `{"patch_size": 20}`, wantErr: "patch_size 20"},
		{name: "batch size", json: `{"batch_size": 1}`, wantErr: "batch_size 1"},
		{name: "loss", json: `{"arch": {"loss": "wasserstein"}}`, wantErr: "arch.loss"},
		{name: "landsat cells", json: `{"setting": "landsat", "cell_size_m": 0}`, wantErr: "cell_size_m"},
		{name: "upsample", json: `{"arch": {"upsample": "bilinear"}}`, wantErr: "arch.upsample"},
		{name: "encoder kernel", json: `{"arch": {"encoder_kernel": 4}}`, wantErr: "arch.encoder_kernel 4"},
		{name: "generator aux weight", json: `{"arch": {"aux_weight_generator": -1}}`, wantErr: "arch.aux_weight_generator"},
		{name: "encoder schedule", json: `{"encoder_lr_schedule": "step"}`, wantErr: "encoder_lr_schedule"},
		{name: "noise scale zero", json: `{"noise_scale": 0}`, wantErr: "noise_scale 0"},
		{name: "noise scale above one", json: `{"noise_scale": 1.5}`, wantErr: "noise_scale 1.5"},
		{name: "truncated noise", json: `{"noise_scale": 0.5}`},
		{name: "encoder mixup", json: `{"encoder_mixup": 0.4}`},
		{name: "negative encoder mixup", json: `{"encoder_mixup": -0.4}`, wantErr: "encoder_mixup -0.4"},
		{name: "large encoder mixup", json: `{"encoder_mixup": 11}`, wantErr: "encoder_mixup 11"},
		{name: "encoder shift", json: `{"encoder_shift": 8}`},
		{name: "negative encoder shift", json: `{"encoder_shift": -1}`, wantErr: "encoder_shift -1"},
		{name: "encoder shift beyond a quarter patch", json: `{"encoder_shift": 17}`, wantErr: "encoder_shift 17 must be in [0,16]"},
		{name: "encoder ground weight", json: `{"encoder_ground_weight": 1}`},
		{name: "negative encoder ground weight", json: `{"encoder_ground_weight": -1}`, wantErr: "encoder_ground_weight -1"},
		{name: "large encoder ground weight", json: `{"encoder_ground_weight": 11}`, wantErr: "encoder_ground_weight 11"},
		{name: "legacy architecture", json: `{"arch": {"encoder_kernel": 2, "upsample": "subpixel"}, "encoder_lr_schedule": "constant"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(path, []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(path)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("LoadConfig: %v", err)
				}
				if cfg.Resolve("runs") != filepath.Join(filepath.Dir(path), "runs") {
					t.Errorf("Resolve(runs) = %s, want it beside the config", cfg.Resolve("runs"))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("LoadConfig error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestShippedConfigsLoad(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("configs", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no configs found: %v", err)
	}
	for _, p := range paths {
		cfg, err := LoadConfig(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if want := strings.TrimSuffix(filepath.Base(p), ".json"); cfg.Name != want {
			t.Errorf("%s: name %q, want %q", p, cfg.Name, want)
		}
	}
}

func TestConfigHashIgnoresEpochs(t *testing.T) {
	a := DefaultConfig()
	b := a
	b.GANEpochs, b.MaxSteps, b.RunDir, b.NoiseScale = 99, 5, "elsewhere", 0.5
	if a.Hash() != b.Hash() {
		t.Errorf("hash changed with epochs, max steps, run folder or noise scale")
	}
	b.Seed = 2
	if a.Hash() == b.Hash() {
		t.Errorf("hash did not change with the seed")
	}
}

// TestConfigHashStable pins the digests of the default config: a change
// to them orphans every checkpoint written before it, since runs resume
// only under the same digest. New fields must leave both unchanged at
// their defaults (omitempty, or zeroed in Hash).
func TestConfigHashStable(t *testing.T) {
	c := DefaultConfig()
	if got, want := c.Hash(), "47870f3ee06f3228"; got != want {
		t.Errorf("DefaultConfig().Hash() = %s, want %s", got, want)
	}
	if got, want := c.EncoderHash(), "ed09f1a207babc09"; got != want {
		t.Errorf("DefaultConfig().EncoderHash() = %s, want %s", got, want)
	}
}

func TestEncoderOptionsChangeDigests(t *testing.T) {
	tests := []struct {
		field string
		set   func(*Config, float64)
		a, b  float64 // two non-zero values
	}{
		{"encoder_mixup", func(c *Config, v float64) { c.EncoderMixup = v }, 0.4, 0.8},
		{"encoder_shift", func(c *Config, v float64) { c.EncoderShift = int(v) }, 4, 8},
		{"encoder_ground_weight", func(c *Config, v float64) { c.EncoderGroundWeight = v }, 1, 2},
	}
	for _, tt := range tests {
		off := DefaultConfig()
		withA, withB := off, off
		tt.set(&withA, tt.a)
		tt.set(&withB, tt.b)
		if withA.EncoderHash() == off.EncoderHash() {
			t.Errorf("%s %g leaves the encoder digest unchanged, so its encoder could be taken over by a run without it", tt.field, tt.a)
		}
		if withA.Hash() == off.Hash() {
			t.Errorf("%s %g leaves the config digest unchanged, so a run without it could resume its checkpoint", tt.field, tt.a)
		}
		if withA.EncoderHash() == withB.EncoderHash() {
			t.Errorf("%s %g and %g give one encoder digest", tt.field, tt.a, tt.b)
		}
		if withA.Hash() == withB.Hash() {
			t.Errorf("%s %g and %g give one config digest", tt.field, tt.a, tt.b)
		}
	}
}

func TestClassMappingComplete(t *testing.T) {
	if len(UCMercedClasses) != 21 {
		t.Fatalf("%d UC Merced classes, want 21", len(UCMercedClasses))
	}
	used := map[string]bool{}
	for _, c := range UCMercedClasses {
		if _, err := groundIndex(c.Ground); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
		used[c.Ground] = true
	}
	for _, g := range GroundClasses {
		if !used[g.Name] {
			t.Errorf("ground class %s has no UC Merced class", g.Name)
		}
		if len(g.Intel)+len(g.Flickr) == 0 {
			t.Errorf("ground class %s has no photo folder", g.Name)
		}
	}
}

func TestSplitIndicesDisjoint(t *testing.T) {
	train, test := SplitIndices(100, 0.2, 1, "x")
	if len(train) != 80 || len(test) != 20 {
		t.Fatalf("split 80/20 gave %d/%d", len(train), len(test))
	}
	seen := map[int]bool{}
	for _, i := range append(append([]int{}, train...), test...) {
		if seen[i] {
			t.Fatalf("index %d in both splits", i)
		}
		seen[i] = true
	}
	again, _ := SplitIndices(100, 0.2, 1, "x")
	for i := range again {
		if again[i] != train[i] {
			t.Fatal("split is not reproducible")
		}
	}
}

func TestGeneratorAuxWeight(t *testing.T) {
	tests := []struct {
		name       string
		d, g, want float64
	}{
		{"own weight", 1, 3, 3},
		{"falls back to the head's", 2, 0, 2},
		{"no head", 0, 3, 0},
	}
	for _, tc := range tests {
		a := Arch{AuxWeight: tc.d, AuxWeightGenerator: tc.g}
		if got := a.generatorAuxWeight(); got != tc.want {
			t.Errorf("%s: generatorAuxWeight() = %g, want %g", tc.name, got, tc.want)
		}
	}
}

func TestClassifierCurrent(t *testing.T) {
	tests := []struct {
		name  string
		st    runState
		scale float64
		want  bool
	}{
		{"checkpoint from before the noise scale", runState{GANSteps: 10, ClassifierAtGANStep: 10}, 1, true},
		{"old checkpoint exported truncated", runState{GANSteps: 10, ClassifierAtGANStep: 10}, 0.5, false},
		{"same scale", runState{GANSteps: 10, ClassifierAtGANStep: 10, ClassifierNoiseScale: 0.5}, 0.5, true},
		{"scale changed", runState{GANSteps: 10, ClassifierAtGANStep: 10, ClassifierNoiseScale: 0.5}, 1, false},
		{"GAN trained further", runState{GANSteps: 12, ClassifierAtGANStep: 10, ClassifierNoiseScale: 1}, 1, false},
		{"no classifier yet", runState{GANSteps: 0, ClassifierAtGANStep: -1}, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.st.classifierCurrent(tc.scale); got != tc.want {
				t.Errorf("classifierCurrent(%g) = %v, want %v", tc.scale, got, tc.want)
			}
		})
	}
}

func TestValidateGuide(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"off", func(c *Config) {}, ""},
		{"on", func(c *Config) { c.Arch.GuideWeight = 0.5 }, ""},
		{"negative weight", func(c *Config) { c.Arch.GuideWeight = -1 }, "arch.guide_weight"},
		{"negative epochs", func(c *Config) { c.Arch.GuideWeight, c.Arch.GuideEpochs = 1, -2 }, "arch.guide_epochs"},
		{"without aux head", func(c *Config) { c.Arch.GuideWeight, c.Arch.AuxWeight = 1, 0 }, "needs arch.aux_weight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			err := c.Validate()
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Validate() = %v, want an error naming %q", err, tt.wantErr)
			}
		})
	}
	if got := (Arch{GuideWeight: 1}).guideEpochs(); got != 8 {
		t.Errorf("default guide epochs = %d, want 8", got)
	}
	if got := (Arch{}).guideEpochs(); got != 0 {
		t.Errorf("guide epochs without the guide = %d, want 0", got)
	}
}

func TestEncoderTrainingText(t *testing.T) {
	tests := []struct {
		name string
		set  func(*Config)
		want []string
		not  []string
	}{
		{"defaults", func(*Config) {}, []string{"flips and quarter turns", "cross-entropy over the overhead classes"}, []string{"shifts", "mixup", "ground"}},
		{"shift", func(c *Config) { c.EncoderShift = 8 }, []string{"shifts of up to 8 pixels"}, []string{"ground"}},
		{"ground loss", func(c *Config) { c.EncoderGroundWeight = 1 }, []string{"plus, with weight 1, the cross-entropy of the ground class"}, []string{"shifts"}},
		{"mixup", func(c *Config) { c.EncoderMixup = 0.4 }, []string{"mixup with alpha 0.4"}, nil},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.set(&c)
		got := encoderTrainingText(c)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tt.name, got, w)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(got, w) {
				t.Errorf("%s: %q mentions %q", tt.name, got, w)
			}
		}
	}
}
