package evaluation

import (
	"context"
	"math"
	"sort"
)

// nearestMatch is the training photo nearest to one query image, in pixels
// and in the ground classifier's feature space.
type nearestMatch struct {
	Pixel, Feature        int     // indices into the training photos
	PixelRMS, FeatureDist float64 // RMS pixel difference (values in [-1, 1]) and Euclidean feature distance
}

// copyCheck compares how close generated views and held-out real photos
// come to the training photos. Views copied from the training photos would
// sit much nearer to them than unseen real photos do. Smooth images sit
// near the flattest training photos in pixels without copying any, so the
// real photos are also matched after a 4x4 block average (Blurred).
type copyCheck struct {
	Views, Real, Blurred                                 []nearestMatch
	ViewPixelMedian, RealPixelMedian, BlurredPixelMedian float64
	ViewFeatureMedian, RealFeatureMedian                 float64
}

// nearestTraining finds the nearest training photo of each query image.
func nearestTraining(ctx context.Context, queries, queryFeat [][]float32, train *imageSet, trainFeat [][]float32) ([]nearestMatch, error) {
	var byteValue [256]float32
	for v := range byteValue {
		byteValue[v] = float32(v)/127.5 - 1
	}
	out := make([]nearestMatch, len(queries))
	for qi, q := range queries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		best := nearestMatch{PixelRMS: math.Inf(1), FeatureDist: math.Inf(1)}
		for ti := range train.Len() {
			var sum float32
			for j, p := range train.rgb(ti) {
				d := q[j] - byteValue[p]
				sum += d * d
			}
			if rms := math.Sqrt(float64(sum) / float64(len(q))); rms < best.PixelRMS {
				best.Pixel, best.PixelRMS = ti, rms
			}
			if d := euclidean32(queryFeat[qi], trainFeat[ti]); d < best.FeatureDist {
				best.Feature, best.FeatureDist = ti, d
			}
		}
		out[qi] = best
	}
	return out, nil
}

// newCopyCheck matches the views, the real held-out photos and their
// blurred copies against the training photos.
func newCopyCheck(ctx context.Context, views, viewFeat, real, realFeat [][]float32, train *imageSet, trainFeat [][]float32) (*copyCheck, error) {
	c := &copyCheck{}
	var err error
	if c.Views, err = nearestTraining(ctx, views, viewFeat, train, trainFeat); err != nil {
		return nil, err
	}
	if c.Real, err = nearestTraining(ctx, real, realFeat, train, trainFeat); err != nil {
		return nil, err
	}
	blurred := make([][]float32, len(real))
	for i, r := range real {
		blurred[i] = blockAverage(r, imageSize, 4)
	}
	if c.Blurred, err = nearestTraining(ctx, blurred, realFeat, train, trainFeat); err != nil {
		return nil, err
	}
	c.ViewPixelMedian, c.ViewFeatureMedian = medians(c.Views)
	c.RealPixelMedian, c.RealFeatureMedian = medians(c.Real)
	c.BlurredPixelMedian, _ = medians(c.Blurred)
	return c, nil
}

// blockAverage replaces each block x block square of a CHW image of edge
// size by its mean.
func blockAverage(chw []float32, size, block int) []float32 {
	out := make([]float32, len(chw))
	plane := size * size
	for c := range 3 {
		for by := 0; by < size; by += block {
			for bx := 0; bx < size; bx += block {
				var sum float32
				for y := by; y < by+block; y++ {
					for x := bx; x < bx+block; x++ {
						sum += chw[c*plane+y*size+x]
					}
				}
				mean := sum / float32(block*block)
				for y := by; y < by+block; y++ {
					for x := bx; x < bx+block; x++ {
						out[c*plane+y*size+x] = mean
					}
				}
			}
		}
	}
	return out
}

func medians(ms []nearestMatch) (pixel, feature float64) {
	p, f := make([]float64, len(ms)), make([]float64, len(ms))
	for i, m := range ms {
		p[i], f[i] = m.PixelRMS, m.FeatureDist
	}
	return median(p), median(f)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func euclidean32(a, b []float32) float64 {
	var s float32
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return math.Sqrt(float64(s))
}
