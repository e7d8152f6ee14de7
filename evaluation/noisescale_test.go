package evaluation

import (
	"math"
	"slices"
	"testing"
)

func TestScalesFor(t *testing.T) {
	tests := []struct {
		own  float64
		want []float64
	}{
		{0.5, []float64{0.3, 0.4, 0.5, 0.7, 1}},
		{0.6, []float64{0.3, 0.4, 0.5, 0.6, 0.7, 1}},
		{1, []float64{0.3, 0.4, 0.5, 0.7, 1}},
	}
	for _, tc := range tests {
		if got := scalesFor(tc.own); !slices.Equal(got, tc.want) {
			t.Errorf("scalesFor(%g) = %v, want %v", tc.own, got, tc.want)
		}
	}
	if len(noiseScales) != 5 {
		t.Errorf("scalesFor changed noiseScales to %v", noiseScales)
	}
}

func TestMeanPairDistance(t *testing.T) {
	tests := []struct {
		name string
		rows [][]float32
		want float64
	}{
		{"none", nil, 0},
		{"one", [][]float32{{1, 2}}, 0},
		{"two", [][]float32{{0, 0}, {3, 4}}, 5},
		{"three on a line", [][]float32{{0}, {1}, {3}}, (1 + 3 + 2) / 3.0},
		{"all equal", [][]float32{{2, 2}, {2, 2}, {2, 2}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := meanPairDistance(tc.rows); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("meanPairDistance = %g, want %g", got, tc.want)
			}
		})
	}
}

// TestScoreScale scores two patches of two views each: the first patch's
// views are both right and 2 apart, the second's one right and identical
// in features, against real photos whose class spreads are 4 and 1.
func TestScoreScale(t *testing.T) {
	h := scaledHeldOut{
		ground: []int{0, 1},
		views:  2,
	}

	feat := [][]float32{{0, 0}, {2, 0}, {1, 1}, {1, 1}}
	probs := [][]float32{
		{0.9, 0.1, 0, 0, 0, 0, 0}, {0.6, 0.4, 0, 0, 0, 0, 0},
		{0.2, 0.8, 0, 0, 0, 0, 0}, {0, 0, 0, 0.7, 0.3, 0, 0},
	}
	r := scoreScale(0.4, feat, probs, h, []float64{4, 1, 0, 0, 0, 0, 0})

	if r.Scale != 0.4 {
		t.Errorf("scale %g, want 0.4", r.Scale)
	}
	if r.Consistency != 0.75 {
		t.Errorf("consistency %g, want 0.75", r.Consistency)
	}
	// Buildings and street are both built-up; field is natural.
	if r.CoarseConsistency != 0.75 {
		t.Errorf("built-up against natural %g, want 0.75", r.CoarseConsistency)
	}
	if want := (2.0/4 + 0.0/1) / 2; math.Abs(r.Spread-want) > 1e-12 {
		t.Errorf("spread %g, want %g", r.Spread, want)
	}
	// A class whose real photos have no spread is left out of the mean.
	r = scoreScale(0.4, feat, probs, h, []float64{4, 0, 0, 0, 0, 0, 0})
	if r.Spread != 0.5 {
		t.Errorf("spread %g with the second class's real spread 0, want the first patch's 0.5", r.Spread)
	}
	if !math.IsNaN(r.MeanFID) {
		t.Errorf("mean Frechet distance %g without held-out photos, want NaN", r.MeanFID)
	}
}
