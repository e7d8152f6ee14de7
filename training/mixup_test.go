package training

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMixupBlendsImagesAndLabels(t *testing.T) {
	const n, width = 8, 4
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*width)
	y := make([]float32, n*n)
	for b := 0; b < n; b++ {
		for i := 0; i < width; i++ {
			x[b*width+i] = float32(b)
		}
		y[b*n+b] = 1
	}
	mixup(rng, 0.4, x, y, n)

	changed := false
	for b := 0; b < n; b++ {
		labels := y[b*n : (b+1)*n]
		var sum, expected float32
		for j, v := range labels {
			if v < 0 || v > 1 {
				t.Fatalf("row %d label %d is %g, outside [0,1]", b, j, v)
			}
			sum += v
			expected += float32(j) * v
		}
		if math.Abs(float64(sum-1)) > 1e-6 {
			t.Errorf("row %d labels sum to %g, want 1", b, sum)
		}
		// Row j started as the value j with label j, so an image blended
		// like its label equals the label-weighted mean of the row values.
		for i, v := range x[b*width : (b+1)*width] {
			if math.Abs(float64(v-expected)) > 1e-5 {
				t.Errorf("row %d value %d is %g, want %g from its labels", b, i, v, expected)
			}
		}
		if labels[b] != 1 {
			changed = true
		}
	}
	if !changed {
		t.Error("mixup left every row as it was")
	}
}

// sampleMoments returns the mean and variance of draws values of sample.
func sampleMoments(draws int, sample func() float64) (mean, variance float64) {
	var sum, sq float64
	for i := 0; i < draws; i++ {
		v := sample()
		sum += v
		sq += v * v
	}
	mean = sum / float64(draws)
	return mean, sq/float64(draws) - mean*mean
}

func TestGammaSampleMoments(t *testing.T) {
	for _, shape := range []float64{0.2, 0.5, 1, 2, 5} {
		rng := rand.New(rand.NewPCG(5, 6))
		mean, variance := sampleMoments(40000, func() float64 { return math.Exp(logGammaSample(rng, shape)) })

		// Gamma(shape, 1) has mean and variance equal to shape.
		if math.Abs(mean-shape) > 0.03*shape+0.01 {
			t.Errorf("shape %g: mean %.4f, want %g", shape, mean, shape)
		}
		if math.Abs(variance-shape) > 0.1*shape+0.01 {
			t.Errorf("shape %g: variance %.4f, want %g", shape, variance, shape)
		}
	}
}

func TestBetaSampleMoments(t *testing.T) {
	for _, alpha := range []float64{0.2, 0.4, 1, 2} {
		rng := rand.New(rand.NewPCG(3, 4))
		mean, variance := sampleMoments(40000, func() float64 {
			v := betaSample(rng, alpha)
			if v < 0 || v > 1 || math.IsNaN(v) {
				t.Fatalf("alpha %g: draw %g outside [0,1]", alpha, v)
			}
			return v
		})

		// Beta(a, a) has mean 1/2 and variance 1/(4(2a+1)).
		wantVar := 1 / (4 * (2*alpha + 1))
		if math.Abs(mean-0.5) > 0.01 {
			t.Errorf("alpha %g: mean %.4f, want 0.5", alpha, mean)
		}
		if math.Abs(variance-wantVar) > 0.003 {
			t.Errorf("alpha %g: variance %.4f, want %.4f", alpha, variance, wantVar)
		}
	}
}

func TestBetaSampleTinyAlpha(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	middle := 0
	for i := 0; i < 10000; i++ {
		v := betaSample(rng, 0.001)
		if v < 0 || v > 1 || math.IsNaN(v) {
			t.Fatalf("draw %g outside [0,1]", v)
		}
		if v > 0.01 && v < 0.99 {
			middle++
		}
	}
	// Beta(0.001, 0.001) puts about 0.46 % of its mass in (0.01, 0.99):
	// its density is close to a/(2x(1-x)) there.
	if middle > 300 {
		t.Errorf("%d of 10000 draws fell in (0.01, 0.99), want about 46", middle)
	}
}
