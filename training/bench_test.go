//go:build onnx

package training

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGANStep times one full cGAN training step (a discriminator
// update, then a generator update against the updated discriminator, both
// with Adam) of the default architecture on random data, which costs the
// same as real images. The guide cases add the frozen guide's loss
// (Arch.GuideWeight) to the generator step. Compare with
// scripts/bench-train-torch.py.
func BenchmarkGANStep(b *testing.B) {
	cases := []struct {
		batch int
		guide bool
	}{{16, false}, {64, false}, {32, false}, {32, true}}
	for _, c := range cases {
		batch := c.batch
		name := fmt.Sprintf("batch%d", batch)
		if c.guide {
			name += "-guide"
		}
		b.Run(name, func(b *testing.B) {
			a := DefaultConfig().Arch
			a.AuxClasses = len(GroundClasses)
			if c.guide {
				a.GuideWeight = 1
			}
			e, err := newEngine(a, 1, len(UCMercedClasses))
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			real := make([]float32, batch*3*ImageSize*ImageSize)
			for i := range real {
				real[i] = float32(rng.Float64()*2 - 1)
			}
			cond := make([]float32, batch*CondDim)
			for i := range cond {
				cond[i] = float32(rng.Float64()*2 - 1)
			}
			noise := normalNoise(rng, batch)
			aux := make([]float32, batch*a.AuxClasses)
			for i := 0; i < batch; i++ {
				aux[i*a.AuxClasses+i%a.AuxClasses] = 1
			}
			step := func() {
				if _, err := e.ganStep(real, cond, noise, aux, batch, 2e-4, 0.5, 0.999); err != nil {
					b.Fatal(err)
				}
			}
			step() // compiles the graph
			step()
			b.ResetTimer()
			for b.Loop() {
				step()
			}
		})
	}
}
