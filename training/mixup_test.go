package training

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMixupKeepsLabelsDistributions(t *testing.T) {
	const n, k, width = 6, 3, 4
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*width)
	y := make([]float32, n*k)
	for b := 0; b < n; b++ {
		for i := 0; i < width; i++ {
			x[b*width+i] = float32(b)
		}
		y[b*k+b%k] = 1
	}
	mixup(rng, 0.4, x, y, n)

	var xSum float32
	for b := 0; b < n; b++ {
		var rowSum float32
		for _, v := range y[b*k : (b+1)*k] {
			if v < 0 || v > 1 {
				t.Fatalf("row %d label %g outside [0,1]", b, v)
			}
			rowSum += v
		}
		if math.Abs(float64(rowSum-1)) > 1e-6 {
			t.Errorf("row %d labels sum to %g, want 1", b, rowSum)
		}
		row := x[b*width : (b+1)*width]
		for _, v := range row {
			if v != row[0] {
				t.Errorf("row %d is not blended as a whole: %v", b, row)
				break
			}
		}
		xSum += row[0]
	}
	// A permutation moves mass between rows but keeps the total.
	if want := float32(0 + 1 + 2 + 3 + 4 + 5); math.Abs(float64(xSum-want)) > 1e-4 {
		t.Errorf("blended rows sum to %g, want %g", xSum, want)
	}
}

func TestBetaSampleMoments(t *testing.T) {
	tests := []struct{ alpha float64 }{{0.2}, {0.4}, {1}, {2}}
	for _, tt := range tests {
		rng := rand.New(rand.NewPCG(3, 4))
		const draws = 20000
		var sum, sq float64
		for i := 0; i < draws; i++ {
			v := betaSample(rng, tt.alpha)
			if v < 0 || v > 1 || math.IsNaN(v) {
				t.Fatalf("alpha %g: draw %g outside [0,1]", tt.alpha, v)
			}
			sum += v
			sq += v * v
		}
		mean := sum / draws
		variance := sq/draws - mean*mean
		// Beta(a, a): mean 1/2, variance 1/(4(2a+1)).
		wantVar := 1 / (4 * (2*tt.alpha + 1))
		if math.Abs(mean-0.5) > 0.01 || math.Abs(variance-wantVar) > 0.01 {
			t.Errorf("alpha %g: mean %.4f variance %.4f, want 0.5 and %.4f", tt.alpha, mean, variance, wantVar)
		}
	}
}
