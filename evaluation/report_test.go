package evaluation

import (
	"strings"
	"testing"

	"github.com/downthere/downthere/models"
)

// TestVariantsTable checks the generator-variants table: a row per
// compared set with its spread, a missing row without a set, and a note
// when a variant brings its own encoder, and the noise scales of the
// shipped generator and its untruncated export.
func TestVariantsTable(t *testing.T) {
	shipped := setInfo{Name: "shipped", SHA256: map[models.Role]string{models.RoleEncoder: "aaa"},
		Training: models.Training{Steps: 2000, Config: map[string]any{"noise_scale": 0.5}}}
	paper := setInfo{Name: "paperset", SHA256: map[models.Role]string{models.RoleEncoder: "bbb"}, Training: models.Training{Steps: 300}}
	untruncated := setInfo{Name: "shipped", SHA256: map[models.Role]string{models.RoleEncoder: "aaa"},
		Training: models.Training{Steps: 2000, Config: map[string]any{"noise_scale": 1.0}}}
	r := &Results{
		Set:         shipped,
		Paper:       &paper,
		Untruncated: &untruncated,
		Quality: []*qualityResult{
			{Consistency: 0.6, Control: 0.2, CoarseConsistency: 0.8, CoarseControl: 0.5},
			{Consistency: 0.8, Control: 0.2, CoarseConsistency: 0.9, CoarseControl: 0.5},
		},
		Variants: map[string][]variantResult{
			variantPaper:       {{Consistency: 0.3, CoarseConsistency: 0.6}, {Consistency: 0.5, CoarseConsistency: 0.6}},
			variantUntruncated: {{Consistency: 0.5, CoarseConsistency: 0.7}, {Consistency: 0.5, CoarseConsistency: 0.7}},
		},
	}
	var b strings.Builder
	w := &reportWriter{b: &b, r: r}
	w.variants()
	out := b.String()

	for _, want := range []string{
		"| shipped (`shipped`, noise scale 0.5) | 2000 | 0.700 ± 0.141 | 0.850 ± 0.071 |",
		"| shipped weights, noise scale 1 (`shipped`) | 2000 | 0.500 ± 0.000 | 0.700 ± 0.000 |",
		"| paper-faithful (`paperset`, its own encoder) | 300 | 0.400 ± 0.141 | 0.600 ± 0.000 |",
		"| unconditional | | missing | |",
		"| constant-condition control of the shipped generator | | 0.200 ± 0.000 | 0.500 ± 0.000 |",
		"pass them with `--paper` and `--unconditional`",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestSameCheckpoint(t *testing.T) {
	base := setInfo{SHA256: map[models.Role]string{models.RoleEncoder: "e", models.RoleDiscriminator: "d", models.RoleGenerator: "g"},
		Training: models.Training{Steps: 100}}
	with := func(edit func(*setInfo)) setInfo {
		s := base
		s.SHA256 = map[models.Role]string{}
		for r, v := range base.SHA256 {
			s.SHA256[r] = v
		}
		edit(&s)
		return s
	}
	tests := []struct {
		name  string
		other setInfo
		want  bool
	}{
		{"another generator only", with(func(s *setInfo) { s.SHA256[models.RoleGenerator] = "g2" }), true},
		{"other steps", with(func(s *setInfo) { s.Training.Steps = 99 }), false},
		{"other encoder", with(func(s *setInfo) { s.SHA256[models.RoleEncoder] = "e2" }), false},
		{"other discriminator", with(func(s *setInfo) { s.SHA256[models.RoleDiscriminator] = "d2" }), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameCheckpoint(base, tc.other); got != tc.want {
				t.Errorf("sameCheckpoint = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSummaryNamesGuide checks that the summary discloses a guided
// generator, with the guide's weight and accuracy, and does not mention a
// guide for a set trained without one.
func TestSummaryNamesGuide(t *testing.T) {
	quality := []*qualityResult{{Consistency: 0.8, Control: 0.1, Ceiling: 0.77}}
	tests := []struct {
		name   string
		config map[string]any
		want   string
	}{
		{"guided", map[string]any{"arch": map[string]any{"guide_weight": 1.0}}, "held-out photo accuracy 0.750), whose cross-entropy on its views entered the generator loss with weight 1."},
		{"unguided", map[string]any{"arch": map[string]any{"aux_weight": 1.0}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := setInfo{Name: "s", Training: models.Training{Config: tc.config, Metrics: map[string]float64{"guide_test_accuracy": 0.75}}}
			var b strings.Builder
			w := &reportWriter{b: &b, r: &Results{Set: set, Quality: quality}}
			w.summary()
			out := b.String()
			if tc.want == "" && strings.Contains(out, "guide") {
				t.Errorf("summary of an unguided set mentions a guide:\n%s", out)
			}
			if tc.want != "" && !strings.Contains(out, tc.want) {
				t.Errorf("summary lacks %q:\n%s", tc.want, out)
			}
		})
	}
}
