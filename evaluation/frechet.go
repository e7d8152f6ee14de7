package evaluation

import (
	"fmt"
	"math"
)

// frechetDistance returns the Frechet distance between Gaussians fitted to
// two sets of feature vectors (rows):
//
//	|mu_a - mu_b|^2 + tr(C_a) + tr(C_b) - 2 tr((C_a^1/2 C_b C_a^1/2)^1/2)
//
// the formula of the Frechet Inception Distance, in whatever feature space
// the rows come from. Covariances are the unbiased sample covariances. With
// fewer samples than dimensions they are singular and the distance is
// biased upwards, so compare distances between sets of similar sizes only.
func frechetDistance(a, b [][]float32) (float64, error) {
	if len(a) < 2 || len(b) < 2 {
		return 0, fmt.Errorf("frechet distance: need at least 2 samples per set, have %d and %d", len(a), len(b))
	}
	if len(a[0]) != len(b[0]) {
		return 0, fmt.Errorf("frechet distance: feature lengths %d and %d differ", len(a[0]), len(b[0]))
	}
	muA, covA := meanCov(a)
	muB, covB := meanCov(b)

	d := 0.0
	for i := range muA {
		d += (muA[i] - muB[i]) * (muA[i] - muB[i])
	}
	sqrtA := symmetricSqrt(covA)
	inner := mul(mul(sqrtA, covB), sqrtA)
	symmetrise(inner)
	values, _ := jacobiEigen(inner)
	crossTrace := 0.0
	for _, v := range values {
		crossTrace += math.Sqrt(math.Max(v, 0))
	}
	return d + trace(covA) + trace(covB) - 2*crossTrace, nil
}

// meanCov returns the mean and the unbiased covariance of the rows.
func meanCov(rows [][]float32) ([]float64, [][]float64) {
	n, d := len(rows), len(rows[0])
	mu := make([]float64, d)
	for _, r := range rows {
		for j, v := range r {
			mu[j] += float64(v)
		}
	}
	for j := range mu {
		mu[j] /= float64(n)
	}
	cov := newMatrix(d)
	centred := make([]float64, d)
	for _, r := range rows {
		for j, v := range r {
			centred[j] = float64(v) - mu[j]
		}
		for i := range d {
			ci := centred[i]
			row := cov[i]
			for j := i; j < d; j++ {
				row[j] += ci * centred[j]
			}
		}
	}
	for i := range d {
		for j := i; j < d; j++ {
			cov[i][j] /= float64(n - 1)
			cov[j][i] = cov[i][j]
		}
	}
	return mu, cov
}

// symmetricSqrt returns the square root of a symmetric positive
// semi-definite matrix, with negative eigenvalues (rounding) taken as 0.
func symmetricSqrt(m [][]float64) [][]float64 {
	values, vectors := jacobiEigen(m)
	d := len(m)
	out := newMatrix(d)
	for k, v := range values {
		s := math.Sqrt(math.Max(v, 0))
		for i := range d {
			vik := vectors[i][k] * s
			for j := range d {
				out[i][j] += vik * vectors[j][k]
			}
		}
	}
	return out
}

// jacobiEigen returns the eigenvalues of a symmetric matrix and its
// eigenvectors as the columns of a matrix, by cyclic Jacobi rotations
// until the off-diagonal mass falls below 1e-22 of the total (at most 100
// sweeps). m is not changed.
func jacobiEigen(m [][]float64) ([]float64, [][]float64) {
	d := len(m)
	a := newMatrix(d)
	v := newMatrix(d)
	total := 0.0
	for i := range d {
		copy(a[i], m[i])
		v[i][i] = 1
		for j := range d {
			total += m[i][j] * m[i][j]
		}
	}
	for sweep := 0; sweep < 100; sweep++ {
		off := 0.0
		for i := range d {
			for j := i + 1; j < d; j++ {
				off += 2 * a[i][j] * a[i][j]
			}
		}
		if off <= 1e-22*total || off == 0 {
			break
		}
		for p := range d {
			for q := p + 1; q < d; q++ {
				if a[p][q] != 0 {
					rotate(a, v, p, q)
				}
			}
		}
	}
	values := make([]float64, d)
	for i := range d {
		values[i] = a[i][i]
	}
	return values, v
}

// rotate applies the Jacobi rotation that zeroes a[p][q] to a (on both
// sides) and accumulates it into v.
func rotate(a, v [][]float64, p, q int) {
	theta := (a[q][q] - a[p][p]) / (2 * a[p][q])
	t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
	if theta < 0 {
		t = -t
	}
	c := 1 / math.Sqrt(t*t+1)
	s := t * c
	for k := range a {
		akp, akq := a[k][p], a[k][q]
		a[k][p] = c*akp - s*akq
		a[k][q] = s*akp + c*akq
	}
	for k := range a {
		apk, aqk := a[p][k], a[q][k]
		a[p][k] = c*apk - s*aqk
		a[q][k] = s*apk + c*aqk
	}
	for k := range v {
		vkp, vkq := v[k][p], v[k][q]
		v[k][p] = c*vkp - s*vkq
		v[k][q] = s*vkp + c*vkq
	}
}

func newMatrix(d int) [][]float64 {
	m := make([][]float64, d)
	backing := make([]float64, d*d)
	for i := range m {
		m[i] = backing[i*d : (i+1)*d]
	}
	return m
}

func mul(a, b [][]float64) [][]float64 {
	d := len(a)
	out := newMatrix(d)
	for i := range d {
		for k := range d {
			aik := a[i][k]
			if aik == 0 {
				continue
			}
			for j := range d {
				out[i][j] += aik * b[k][j]
			}
		}
	}
	return out
}

func symmetrise(m [][]float64) {
	for i := range m {
		for j := i + 1; j < len(m); j++ {
			avg := (m[i][j] + m[j][i]) / 2
			m[i][j], m[j][i] = avg, avg
		}
	}
}

func trace(m [][]float64) float64 {
	t := 0.0
	for i := range m {
		t += m[i][i]
	}
	return t
}
