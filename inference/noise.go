package inference

import (
	"math"
	"math/rand/v2"
)

// FillNoise fills dst with the generator noise of view number view for
// seed: independent standard normal values, the same on every run.
//
// The generator is PCG-DXSM (math/rand/v2.PCG, whose output for a given
// seed the Go project keeps fixed) seeded with (uint64(seed), uint64(view)).
// Each pair of 64-bit outputs a, b becomes two uniform values
// u1 = 1 - (a>>11)/2^53 in (0, 1] and u2 = (b>>11)/2^53 in [0, 1), and the
// Box-Muller transform turns them into r*cos(2*pi*u2) and r*sin(2*pi*u2)
// with r = sqrt(-2*ln(u1)), computed in float64 and rounded to float32.
// Because view i's noise depends only on (seed, i), the first k views of a
// call for n > k views equal those of a call for k views.
//
// NOTE: the values are checked to repeat on linux/amd64 only. On other
// architectures Go may fuse multiply-adds inside math.Log and math.Sincos,
// which can change the last bit of a few values.
func FillNoise(dst []float32, seed int64, view int) {
	src := rand.NewPCG(uint64(seed), uint64(view))
	for i := 0; i < len(dst); i += 2 {
		u1 := 1 - float64(src.Uint64()>>11)*0x1p-53
		u2 := float64(src.Uint64()>>11) * 0x1p-53
		r := math.Sqrt(-2 * math.Log(u1))
		sin, cos := math.Sincos(2 * math.Pi * u2)
		dst[i] = float32(r * cos)
		if i+1 < len(dst) {
			dst[i+1] = float32(r * sin)
		}
	}
}
