package evaluation

import (
	"math"
	"sort"
)

// idwNeighbours is the number of nearest holders each interpolated value
// is taken from, and idwPower the exponent of the inverse distance.
const (
	idwNeighbours = 8
	idwPower      = 2
)

// interpolateIDW returns a value vector for every query point: the
// inverse-distance-weighted mean (weights 1/distance^idwPower) of the
// values of its idwNeighbours nearest holders, or the holder's own value
// when the point coincides with a holder. Points and holders are
// coordinates in any Euclidean space (map metres, or a feature space).
func interpolateIDW(queries, holders [][]float64, values [][]float32) [][]float32 {
	out := make([][]float32, len(queries))
	type near struct {
		i int
		d float64
	}
	for qi, q := range queries {
		nears := make([]near, len(holders))
		for hi, h := range holders {
			nears[hi] = near{hi, euclidean(q, h)}
		}
		sort.Slice(nears, func(a, b int) bool { return nears[a].d < nears[b].d })
		nears = nears[:min(idwNeighbours, len(nears))]

		v := make([]float32, len(values[0]))
		if nears[0].d == 0 {
			copy(v, values[nears[0].i])
			out[qi] = v
			continue
		}
		var wsum float64
		acc := make([]float64, len(v))
		for _, n := range nears {
			w := 1 / math.Pow(n.d, idwPower)
			wsum += w
			for j, x := range values[n.i] {
				acc[j] += w * float64(x)
			}
		}
		for j := range v {
			v[j] = float32(acc[j] / wsum)
		}
		out[qi] = v
	}
	return out
}

func euclidean(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(s)
}
