package evaluation

import (
	"fmt"
	"math"
)

// logReg is a binary logistic regression on standardised features:
// P(class 1 | x) = sigmoid(w . (x-mean)/std + b).
type logReg struct {
	mean, std []float64
	w         []float64
	b         float64
}

// fitLogReg fits a logistic regression to x (one row per sample) and
// labels y in {0, 1}, minimising the class-weighted mean log loss plus
// lambda/2 |w|^2 (the bias is not penalised) with L-BFGS. The class
// weights are inversely proportional to the class counts, so that the
// rare class counts as much as the common one.
func fitLogReg(x [][]float64, y []int, lambda float64) (*logReg, error) {
	if len(x) == 0 || len(x) != len(y) {
		return nil, fmt.Errorf("logistic regression: %d samples and %d labels", len(x), len(y))
	}
	d := len(x[0])
	m := &logReg{}
	m.mean, m.std = standardisation(x)
	z := make([][]float64, len(x))
	for i, row := range x {
		if len(row) != d {
			return nil, fmt.Errorf("logistic regression: sample %d has %d features, want %d", i, len(row), d)
		}
		z[i] = m.standardise(row)
	}

	counts := [2]float64{}
	for _, l := range y {
		if l != 0 && l != 1 {
			return nil, fmt.Errorf("logistic regression: label %d is not 0 or 1", l)
		}
		counts[l]++
	}
	sw := make([]float64, len(y))
	for i, l := range y {
		sw[i] = float64(len(y)) / (2 * math.Max(counts[l], 1))
	}

	obj := func(theta, grad []float64) float64 {
		return logLoss(z, y, sw, lambda, theta, grad)
	}
	theta := minimizeLBFGS(obj, make([]float64, d+1), 300)
	m.w, m.b = theta[:d], theta[d]
	return m, nil
}

// prob returns P(class 1 | x).
func (m *logReg) prob(x []float64) float64 {
	s := m.b
	for j, v := range m.standardise(x) {
		s += m.w[j] * v
	}
	return sigmoid(s)
}

// predict returns the class (0 or 1) of each row of x.
func (m *logReg) predict(x [][]float64) []int {
	out := make([]int, len(x))
	for i, row := range x {
		if m.prob(row) >= 0.5 {
			out[i] = 1
		}
	}
	return out
}

func (m *logReg) standardise(x []float64) []float64 {
	out := make([]float64, len(x))
	for j, v := range x {
		out[j] = (v - m.mean[j]) / m.std[j]
	}
	return out
}

// standardisation returns each column's mean and standard deviation (1
// for a constant column).
func standardisation(x [][]float64) (mean, std []float64) {
	d := len(x[0])
	mean, std = make([]float64, d), make([]float64, d)
	for _, row := range x {
		for j, v := range row {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(len(x))
	}
	for _, row := range x {
		for j, v := range row {
			std[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / float64(len(x)))
		if std[j] < 1e-12 {
			std[j] = 1
		}
	}
	return mean, std
}

// logLoss returns the weighted mean log loss plus the L2 penalty at theta
// (weights then bias) and writes its gradient to grad.
func logLoss(z [][]float64, y []int, sw []float64, lambda float64, theta, grad []float64) float64 {
	d := len(theta) - 1
	clear(grad)
	var loss, total float64
	for i, row := range z {
		s := theta[d]
		for j, v := range row {
			s += theta[j] * v
		}
		// log(1+exp(s)) - y*s, computed without overflow.
		l := math.Max(s, 0) + math.Log1p(math.Exp(-math.Abs(s)))
		if y[i] == 1 {
			l -= s
		}
		loss += sw[i] * l
		total += sw[i]
		r := sw[i] * (sigmoid(s) - float64(y[i]))
		for j, v := range row {
			grad[j] += r * v
		}
		grad[d] += r
	}
	for j := range grad {
		grad[j] /= total
	}
	loss /= total
	for j := 0; j < d; j++ {
		loss += lambda / 2 * theta[j] * theta[j]
		grad[j] += lambda * theta[j]
	}
	return loss
}

func sigmoid(s float64) float64 {
	if s >= 0 {
		return 1 / (1 + math.Exp(-s))
	}
	e := math.Exp(s)
	return e / (1 + e)
}

// minimizeLBFGS minimises a smooth convex function from x0 with limited-
// memory BFGS (10 correction pairs) and a backtracking Armijo line search.
// It stops after maxIter iterations or when the gradient's largest entry
// falls below 1e-6.
func minimizeLBFGS(f func(x, grad []float64) float64, x0 []float64, maxIter int) []float64 {
	const memory = 10
	n := len(x0)
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	fx := f(x, g)
	var sHist, yHist [][]float64
	var rhoHist []float64
	dir := make([]float64, n)
	xNew, gNew := make([]float64, n), make([]float64, n)
	alpha := make([]float64, memory)

	for iter := 0; iter < maxIter && maxAbs(g) > 1e-6; iter++ {
		// Two-loop recursion: dir = -H g.
		copy(dir, g)
		for k := len(sHist) - 1; k >= 0; k-- {
			alpha[k] = rhoHist[k] * dot(sHist[k], dir)
			axpy(-alpha[k], yHist[k], dir)
		}
		if k := len(sHist) - 1; k >= 0 {
			scale(dot(sHist[k], yHist[k])/dot(yHist[k], yHist[k]), dir)
		}
		for k := range sHist {
			beta := rhoHist[k] * dot(yHist[k], dir)
			axpy(alpha[k]-beta, sHist[k], dir)
		}
		scale(-1, dir)
		slope := dot(g, dir)
		if slope >= 0 { // not a descent direction: restart from the gradient
			copy(dir, g)
			scale(-1, dir)
			slope = dot(g, dir)
			sHist, yHist, rhoHist = nil, nil, nil
		}

		step := 1.0
		if len(sHist) == 0 {
			step = 1 / math.Max(1, math.Sqrt(dot(g, g)))
		}
		var fNew float64
		for tries := 0; ; tries++ {
			for j := range x {
				xNew[j] = x[j] + step*dir[j]
			}
			fNew = f(xNew, gNew)
			if fNew <= fx+1e-4*step*slope || tries == 30 {
				break
			}
			step /= 2
		}
		if fNew > fx { // no progress possible at this precision
			break
		}

		s, yv := make([]float64, n), make([]float64, n)
		for j := range s {
			s[j], yv[j] = xNew[j]-x[j], gNew[j]-g[j]
		}
		if sy := dot(s, yv); sy > 1e-12 {
			sHist, yHist, rhoHist = append(sHist, s), append(yHist, yv), append(rhoHist, 1/sy)
			if len(sHist) > memory {
				sHist, yHist, rhoHist = sHist[1:], yHist[1:], rhoHist[1:]
			}
		}
		copy(x, xNew)
		copy(g, gNew)
		fx = fNew
	}
	return x
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}

func scale(a float64, x []float64) {
	for i := range x {
		x[i] *= a
	}
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}
