package training

import (
	"math"
	"math/rand/v2"
	"slices"
)

// mixup blends a batch of n rows with a shuffled copy of itself, in place.
// Row b of x and of y becomes w*row(b) + (1-w)*row(perm[b]), with one
// weight w drawn from Beta(alpha, alpha) for the whole batch. x and y hold
// n rows each, of any width.
func mixup(rng *rand.Rand, alpha float64, x, y []float32, n int) {
	weight := float32(betaSample(rng, alpha))
	perm := rng.Perm(n)
	srcX, srcY := slices.Clone(x), slices.Clone(y)
	blend(x, srcX, perm, weight, len(x)/n)
	blend(y, srcY, perm, weight, len(y)/n)
}

// blend writes weight*src row b + (1-weight)*src row perm[b] to row b of
// dst, for every row of the given width.
func blend(dst, src []float32, perm []int, weight float32, width int) {
	for b, p := range perm {
		row, partner := src[b*width:(b+1)*width], src[p*width:(p+1)*width]
		out := dst[b*width : (b+1)*width]
		for i := range out {
			out[i] = weight*row[i] + (1-weight)*partner[i]
		}
	}
}

// betaSample draws from Beta(a, a) as X/(X+Y) of two Gamma(a) draws,
// computed from their logarithms so that small shapes do not underflow.
func betaSample(rng *rand.Rand, a float64) float64 {
	logX, logY := logGammaSample(rng, a), logGammaSample(rng, a)
	return 1 / (1 + math.Exp(logY-logX))
}

// logGammaSample returns the logarithm of a draw from Gamma(shape, 1).
// Shapes of 1 and above use Marsaglia and Tsang's method. Smaller shapes
// use Gamma(shape+1) * U^(1/shape), whose logarithm stays finite where the
// product would round to 0.
func logGammaSample(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		u := 1 - rng.Float64() // in (0, 1], so its logarithm is finite
		return logGammaSample(rng, shape+1) + math.Log(u)/shape
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := 1 - rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return math.Log(d * v)
		}
	}
}
