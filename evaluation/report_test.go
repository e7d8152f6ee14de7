package evaluation

import (
	"math"
	"strings"
	"testing"

	"github.com/downthere/downthere/models"
)

// TestVariantsTable checks the generator-variants table: a row per
// compared set with its spread, a missing row without a set, and a note
// when a variant brings its own encoder, and the shipped generator's
// noise scale.
func TestVariantsTable(t *testing.T) {
	shipped := setInfo{Name: "shipped", SHA256: map[models.Role]string{models.RoleEncoder: "aaa"},
		Training: models.Training{Steps: 2000, Config: map[string]any{"noise_scale": 0.5}}}
	paper := setInfo{Name: "paperset", SHA256: map[models.Role]string{models.RoleEncoder: "bbb"}, Training: models.Training{Steps: 300}}
	r := &Results{
		Set:   shipped,
		Paper: &paper,
		Quality: []*qualityResult{
			{Consistency: 0.6, Control: 0.2, CoarseConsistency: 0.8, CoarseControl: 0.5},
			{Consistency: 0.8, Control: 0.2, CoarseConsistency: 0.9, CoarseControl: 0.5},
		},
		Variants: map[string][]variantResult{
			variantPaper: {{Consistency: 0.3, CoarseConsistency: 0.6}, {Consistency: 0.5, CoarseConsistency: 0.6}},
		},
	}
	var b strings.Builder
	w := &reportWriter{b: &b, r: r}
	w.variants()
	out := b.String()

	for _, want := range []string{
		"| shipped (`shipped`, noise scale 0.5) | 2000 | 0.700 ± 0.141 | 0.850 ± 0.071 |",
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

// TestNoiseScaleTable checks the noise-scale table: one row per scale
// with the mean and spread over the seeds, the shipped scale marked, and
// the summary line naming the lowest and highest scale.
func TestNoiseScaleTable(t *testing.T) {
	seed := func(c float64) []scaleResult {
		return []scaleResult{
			{Scale: 0.3, Consistency: c + 0.1, CoarseConsistency: 0.9, MeanFID: 9, Spread: 0.2},
			{Scale: 0.5, Consistency: c, CoarseConsistency: 0.9, MeanFID: 7, Spread: 0.4},
			{Scale: 1, Consistency: c - 0.1, CoarseConsistency: 0.8, MeanFID: 6, Spread: math.NaN()},
		}
	}
	r := &Results{
		Set:         setInfo{Name: "shipped", Training: models.Training{Config: map[string]any{"noise_scale": 0.5}}},
		NoiseScales: [][]scaleResult{seed(0.7), seed(0.8)},
	}
	var b strings.Builder
	w := &reportWriter{b: &b, r: r}
	w.noiseScales()
	w.noiseScaleSummary()
	out := b.String()

	for _, want := range []string{
		"| 0.3 | 0.850 ± 0.071 | 0.900 ± 0.000 | 9.0 ± 0.0 | 0.200 ± 0.000 |",
		"| 0.5 (shipped) | 0.750 ± 0.071 | 0.900 ± 0.000 | 7.0 ± 0.0 | 0.400 ± 0.000 |",
		"| 1 | 0.650 ± 0.071 | 0.800 ± 0.000 | 6.0 ± 0.0 | n/a |",
		"reach a class consistency of 0.850 ± 0.071 (mean Frechet distance 9.0 ± 0.0) at noise scale 0.3 and 0.650 ± 0.071 (6.0 ± 0.0) at noise scale 1. The shipped scale is 0.5",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
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
