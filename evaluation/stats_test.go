package evaluation

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/downthere/downthere/training"
)

func TestScoresOfConfusion(t *testing.T) {
	tests := []struct {
		name               string
		conf               [][]int
		acc, balanced      float64
		f1Class0, f1Class1 float64
	}{
		{"perfect", [][]int{{5, 0}, {0, 3}}, 1, 1, 1, 1},
		{"majority only", [][]int{{9, 0}, {1, 0}}, 0.9, 0.5, 2 * 9.0 / 19, 0},
		{"half each", [][]int{{2, 2}, {1, 1}}, 0.5, 0.5, 4.0 / 7, 2.0 / 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scoresOfConfusion(tt.conf)
			t.Logf("confusion %v: %+v", tt.conf, s)
			if !near(s.Accuracy, tt.acc, 1e-12) {
				t.Errorf("accuracy %g, want %g", s.Accuracy, tt.acc)
			}
			if !near(s.BalancedAccuracy, tt.balanced, 1e-12) {
				t.Errorf("balanced accuracy %g, want %g", s.BalancedAccuracy, tt.balanced)
			}
			if !near(s.F1[0], tt.f1Class0, 1e-12) || !near(s.F1[1], tt.f1Class1, 1e-12) {
				t.Errorf("F1 %v, want [%g %g]", s.F1, tt.f1Class0, tt.f1Class1)
			}
		})
	}
}

func TestSpreadOf(t *testing.T) {
	s := spreadOf([]float64{1, 2, 3})
	if s.Mean != 2 || !near(s.Std, 1, 1e-12) || s.N != 3 {
		t.Errorf("spread of 1,2,3 = %+v, want mean 2, sample std 1", s)
	}
	if s := spreadOf(nil); !math.IsNaN(s.Mean) {
		t.Errorf("spread of nothing has mean %g, want NaN", s.Mean)
	}
}

// separableData returns n points in d dimensions whose label is the sign
// of the first coordinate plus noise, with rural (1) the rarer class.
func separableData(n, d int, rng *rand.Rand) ([][]float64, []int) {
	x := make([][]float64, n)
	y := make([]int, n)
	for i := range x {
		x[i] = make([]float64, d)
		for j := range x[i] {
			x[i][j] = rng.NormFloat64()
		}
		if x[i][0]+0.3*rng.NormFloat64() > 0.8 {
			y[i] = 1
		}
	}
	return x, y
}

func TestLogRegLearnsSeparableData(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := separableData(600, 20, rng)
	xt, yt := separableData(400, 20, rng)
	m, err := fitLogReg(x, y, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	s := scoreOf(yt, m.predict(xt), 2)
	t.Logf("held-out scores %+v, weights[0:3] %v", s, m.w[:3])
	if s.BalancedAccuracy < 0.9 {
		t.Errorf("balanced accuracy %g on nearly separable data, want at least 0.9", s.BalancedAccuracy)
	}
	for j := 1; j < len(m.w); j++ {
		if math.Abs(m.w[j]) >= math.Abs(m.w[0]) {
			t.Errorf("weight %d (%g) is not smaller than the informative weight 0 (%g)", j, m.w[j], m.w[0])
		}
	}
}

func TestLogRegGradientAtOptimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := separableData(300, 5, rng)
	m, err := fitLogReg(x, y, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	z := make([][]float64, len(x))
	for i := range x {
		z[i] = m.standardise(x[i])
	}
	counts := [2]float64{}
	for _, l := range y {
		counts[l]++
	}
	sw := make([]float64, len(y))
	for i, l := range y {
		sw[i] = float64(len(y)) / (2 * counts[l])
	}
	grad := make([]float64, len(m.w)+1)
	logLoss(z, y, sw, 0.1, append(append([]float64(nil), m.w...), m.b), grad)
	if g := maxAbs(grad); g > 1e-5 {
		t.Errorf("gradient at the fitted weights has max entry %g, want below 1e-5", g)
	}
}

func TestLogRegRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		x    [][]float64
		y    []int
	}{
		{"no samples", nil, nil},
		{"label count", [][]float64{{1}, {2}}, []int{0}},
		{"label value", [][]float64{{1}, {2}}, []int{0, 2}},
		{"ragged rows", [][]float64{{1, 2}, {2}}, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := fitLogReg(tt.x, tt.y, 0.1); err == nil {
				t.Error("fitLogReg returned no error")
			}
		})
	}
}

func TestJacobiEigen(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	d := 12
	a := newMatrix(d)
	for i := range d {
		for j := i; j < d; j++ {
			a[i][j] = rng.NormFloat64()
			a[j][i] = a[i][j]
		}
	}
	values, vectors := jacobiEigen(a)
	for k := range d {
		for i := range d {
			av := 0.0
			for j := range d {
				av += a[i][j] * vectors[j][k]
			}
			if !near(av, values[k]*vectors[i][k], 1e-9) {
				t.Fatalf("eigenpair %d: (A v)[%d] = %g, lambda v[%d] = %g", k, i, av, i, values[k]*vectors[i][k])
			}
		}
	}
	if tr := trace(a); !near(sum(values), tr, 1e-9) {
		t.Errorf("eigenvalues sum to %g, trace is %g", sum(values), tr)
	}
}

func TestFrechetDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	sample := func(n int, mean, sd float64) [][]float32 {
		out := make([][]float32, n)
		for i := range out {
			out[i] = []float32{float32(mean + sd*rng.NormFloat64()), float32(mean + sd*rng.NormFloat64())}
		}
		return out
	}
	same, err := frechetDistance(sample(4000, 0, 1), sample(4000, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	// Two 2-d Gaussians N(0,I) and N(3*1, 4I): |mu|^2 = 18, and the
	// covariance term is tr(I + 4I - 2*2I) = 2, so the distance is 20.
	apart, err := frechetDistance(sample(4000, 0, 1), sample(4000, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("same distribution %.4f, shifted and scaled %.4f", same, apart)
	if same > 0.05 {
		t.Errorf("distance between samples of one distribution is %g, want near 0", same)
	}
	if !near(apart, 20, 0.8) {
		t.Errorf("distance %g, want about 20", apart)
	}
	if _, err := frechetDistance(sample(1, 0, 1), sample(5, 0, 1)); err == nil {
		t.Error("one sample gave no error")
	}
}

func TestInterpolateIDW(t *testing.T) {
	holders := [][]float64{{0, 0}, {10, 0}}
	values := [][]float32{{0}, {10}}
	tests := []struct {
		name  string
		query []float64
		want  float64
	}{
		{"on a holder", []float64{10, 0}, 10},
		{"midway", []float64{5, 0}, 5},
		{"nearer the first", []float64{2, 0}, (0/4.0 + 10/64.0) / (1/4.0 + 1/64.0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := interpolateIDW([][]float64{tt.query}, holders, values)[0][0]
			if !near(float64(got), tt.want, 1e-5) {
				t.Errorf("value at %v = %g, want %g", tt.query, got, tt.want)
			}
		})
	}
}

func TestSplitIndicesDisjoint(t *testing.T) {
	train, test := training.SplitIndices(100, 0.2, 1, "ucmerced/forest")
	if len(train) != 80 || len(test) != 20 {
		t.Fatalf("split of 100 at 0.2: %d train, %d test", len(train), len(test))
	}
	seen := map[int]bool{}
	for _, i := range append(append([]int(nil), train...), test...) {
		if seen[i] {
			t.Fatalf("index %d in both splits", i)
		}
		seen[i] = true
	}
	again, _ := training.SplitIndices(100, 0.2, 1, "ucmerced/forest")
	other, _ := training.SplitIndices(100, 0.2, 1, "ucmerced/river")
	if !equalInts(train, again) {
		t.Error("the same seed and name gave another split")
	}
	if equalInts(train, other) {
		t.Error("two folder names gave the same split")
	}
}

func TestBalancedSplit(t *testing.T) {
	tests := []struct {
		name   string
		test   []int
		totals [2]int
		want   bool
	}{
		{"fair", []int{0, 0, 0, 1}, [2]int{16, 4}, true},
		{"no rural", []int{0, 0, 0, 0}, [2]int{16, 4}, false},
		{"most rural", []int{0, 0, 0, 1, 1, 1}, [2]int{16, 4}, false},
		{"too few urban", []int{0, 1}, [2]int{16, 4}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := balancedSplit(tt.test, tt.totals); got != tt.want {
				t.Errorf("balancedSplit(%v, %v) = %v, want %v", tt.test, tt.totals, got, tt.want)
			}
		})
	}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCoarseHits(t *testing.T) {
	buildings, street, forest := groundIndex("buildings"), groundIndex("street"), groundIndex("forest")
	truth := []int{buildings, buildings, forest, forest}
	pred := []int{street, forest, forest, buildings}
	got := coarseHits(truth, pred)
	want := []int{buildings, forest, forest, buildings}
	if !equalInts(got, want) {
		t.Errorf("coarseHits(%v, %v) = %v, want %v", truth, pred, got, want)
	}
}

// TestTrainConsistency scores only the training items' views, reading
// each item's rows at item*views.
func TestTrainConsistency(t *testing.T) {
	k := len(training.GroundClasses)
	onehot := func(c int) []float32 {
		p := make([]float32, k)
		p[c] = 1
		return p
	}
	// Items 0 and 1 are training items of ground classes 0 and 2; item 2
	// is held out and its views, all wrong, must not count.
	d := &landUseData{ItemGround: []int{0, 2, 1}, Train: []int{0, 1}, Test: []int{2}}
	probs := [][]float32{
		onehot(0), onehot(0), // item 0: both right
		onehot(2), onehot(3), // item 1: one right
		onehot(0), onehot(0), // item 2: held out
	}
	if got := trainConsistency(d, probs, 2); math.Abs(got-0.75) > 1e-12 {
		t.Errorf("trainConsistency = %v, want 0.75", got)
	}
}
