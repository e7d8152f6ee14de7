package evaluation

import (
	"math"
	"math/rand/v2"
)

// scores are the held-out scores of one classifier on K classes.
type scores struct {
	Accuracy         float64
	BalancedAccuracy float64   // mean recall over the classes present in the truth
	F1               []float64 // per class; 0 when the class is never predicted nor true
}

// scoreOf compares predictions with the truth over k classes.
func scoreOf(truth, pred []int, k int) scores {
	conf := make([][]int, k)
	for i := range conf {
		conf[i] = make([]int, k)
	}
	for i := range truth {
		conf[truth[i]][pred[i]]++
	}
	return scoresOfConfusion(conf)
}

// scoresOfConfusion scores a confusion matrix (rows: truth, columns:
// prediction).
func scoresOfConfusion(conf [][]int) scores {
	k := len(conf)
	s := scores{F1: make([]float64, k)}
	var correct, total, recallSum float64
	present := 0
	for c := range k {
		var rowSum, colSum float64
		for j := range k {
			rowSum += float64(conf[c][j])
			colSum += float64(conf[j][c])
		}
		tp := float64(conf[c][c])
		correct += tp
		total += rowSum
		if rowSum > 0 {
			recallSum += tp / rowSum
			present++
		}
		if rowSum+colSum > 0 {
			s.F1[c] = 2 * tp / (rowSum + colSum)
		}
	}
	if total > 0 {
		s.Accuracy = correct / total
	}
	if present > 0 {
		s.BalancedAccuracy = recallSum / float64(present)
	}
	return s
}

// majorityClass returns the most frequent label (the lowest on ties).
func majorityClass(labels []int, k int) int {
	counts := make([]int, k)
	for _, l := range labels {
		counts[l]++
	}
	best := 0
	for c := range counts {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// lambdas are the L2 strengths tried by cross-validation.
var lambdas = []float64{1e-3, 1e-2, 1e-1, 1}

// fitLogRegCV picks the L2 strength with the best mean balanced accuracy
// over folds (fold[i] is sample i's fold, 0..folds-1; a fold missing a
// class is skipped) and refits on all samples.
func fitLogRegCV(x [][]float64, y []int, fold []int, folds int) (*logReg, float64, error) {
	best, bestScore := lambdas[len(lambdas)/2], -1.0
	for _, lambda := range lambdas {
		var sum float64
		used := 0
		for f := range folds {
			var xt, xv [][]float64
			var yt, yv []int
			for i := range x {
				if fold[i] == f {
					xv, yv = append(xv, x[i]), append(yv, y[i])
				} else {
					xt, yt = append(xt, x[i]), append(yt, y[i])
				}
			}
			if !hasBothClasses(yt) || len(yv) == 0 {
				continue
			}
			m, err := fitLogReg(xt, yt, lambda)
			if err != nil {
				return nil, 0, err
			}
			sum += scoreOf(yv, m.predict(xv), 2).BalancedAccuracy
			used++
		}
		if used > 0 && sum/float64(used) > bestScore {
			best, bestScore = lambda, sum/float64(used)
		}
	}
	m, err := fitLogReg(x, y, best)
	return m, best, err
}

func hasBothClasses(y []int) bool {
	var seen [2]bool
	for _, l := range y {
		seen[l] = true
	}
	return seen[0] && seen[1]
}

// randomFolds assigns n samples to folds at random, in equal shares.
func randomFolds(n, folds int, rng *rand.Rand) []int {
	out := make([]int, n)
	for i, p := range rng.Perm(n) {
		out[p] = i % folds
	}
	return out
}

// spread is the mean and sample standard deviation of values over seeds.
type spread struct {
	Mean, Std float64
	N         int
}

func spreadOf(values []float64) spread {
	s := spread{N: len(values)}
	if len(values) == 0 {
		return spread{Mean: math.NaN(), Std: math.NaN()}
	}
	for _, v := range values {
		s.Mean += v
	}
	s.Mean /= float64(len(values))
	if len(values) > 1 {
		for _, v := range values {
			s.Std += (v - s.Mean) * (v - s.Mean)
		}
		s.Std = math.Sqrt(s.Std / float64(len(values)-1))
	}
	return s
}
