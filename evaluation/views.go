package evaluation

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/downthere/downthere/inference"
)

// viewSeed returns the noise seed of an item's views under an evaluation
// seed: it depends on the item's name (a file or cell id), not on its
// place in a call, so the same item gets the same views in every table.
func viewSeed(evalSeed int64, purpose, name string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%s", evalSeed, purpose, name)
	return int64(h.Sum64() >> 1)
}

// viewChunk is the number of items whose views are generated and scored
// together; their views are dropped afterwards, so memory stays at about
// viewChunk*views*48 KiB.
const viewChunk = 32

// viewOutputs are the scores of the generated views of a list of items.
type viewOutputs struct {
	GroundFeat, GroundProbs [][]float32         // per view, item-major; nil without a ground classifier
	Disc                    [][]float32         // per item, the mean over its views; nil unless asked for
	Kept                    map[int][][]float32 // the views of the items runViews was asked to keep, by item
}

// runViews generates views views per condition (noise seeds[k] for item k)
// and scores them with the ground classifier (when ground is not nil) and
// the discriminator (when disc is true). The views of the items in keep
// are returned in Kept.
func runViews(ctx context.Context, set *inference.ModelSet, ground groundEmbedder, conds [][]float32, seeds []int64, views int, disc bool, keep map[int]bool) (*viewOutputs, error) {
	return runScaledViews(ctx, set, ground, conds, seeds, views, 1, disc, keep)
}

// runScaledViews is runViews with the noise multiplied by factor (see
// inference.ModelSet.GenerateRange).
func runScaledViews(ctx context.Context, set *inference.ModelSet, ground groundEmbedder, conds [][]float32, seeds []int64, views int, factor float64, disc bool, keep map[int]bool) (*viewOutputs, error) {
	out := &viewOutputs{Kept: map[int][][]float32{}}
	for start := 0; start < len(conds); start += viewChunk {
		end := min(start+viewChunk, len(conds))
		generated, err := generateViews(ctx, set, conds[start:end], seeds[start:end], views, factor)
		if err != nil {
			return nil, err
		}
		if ground != nil {
			f, p, err := ground.embed(ctx, generated)
			if err != nil {
				return nil, err
			}
			out.GroundFeat, out.GroundProbs = append(out.GroundFeat, f...), append(out.GroundProbs, p...)
		}
		if disc {
			d, err := discriminatorFeatures(ctx, set, generated, conds[start:end], views)
			if err != nil {
				return nil, err
			}
			out.Disc = append(out.Disc, meanPerItem(d, views)...)
		}
		for k := start; k < end; k++ {
			if keep[k] {
				out.Kept[k] = generated[(k-start)*views : (k-start+1)*views]
			}
		}
	}
	return out, nil
}

// generateViews returns views views per condition, item k*views+i being
// view i of conditions[k] with the noise of seeds[k] times factor.
func generateViews(ctx context.Context, set *inference.ModelSet, conditions [][]float32, seeds []int64, views int, factor float64) ([][]float32, error) {
	out := make([][]float32, 0, len(conditions)*views)
	for k, c := range conditions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v, err := set.GenerateRange(ctx, c, 0, views, seeds[k], factor)
		if err != nil {
			return nil, fmt.Errorf("model set %s, noise factor %g: %w", set.Name(), factor, err)
		}
		out = append(out, v...)
	}
	return out, nil
}

// discriminatorFeatures returns the discriminator features of each view
// with its item's condition.
func discriminatorFeatures(ctx context.Context, set *inference.ModelSet, views, conditions [][]float32, perItem int) ([][]float32, error) {
	repeated := make([][]float32, len(views))
	for i := range views {
		repeated[i] = conditions[i/perItem]
	}
	f, err := set.Features(ctx, views, repeated)
	if err != nil {
		return nil, fmt.Errorf("model set %s: %w", set.Name(), err)
	}
	return f, nil
}

// meanPerItem averages each run of perItem consecutive vectors.
func meanPerItem(vectors [][]float32, perItem int) [][]float32 {
	out := make([][]float32, len(vectors)/perItem)
	for k := range out {
		mean := make([]float32, len(vectors[k*perItem]))
		for _, v := range vectors[k*perItem : (k+1)*perItem] {
			for j, x := range v {
				mean[j] += x / float32(perItem)
			}
		}
		out[k] = mean
	}
	return out
}

// encoderInputs turns 8-bit CHW patches into the encoder's normalised
// input.
func encoderInputs(set *inference.ModelSet, patches *imageSet) ([][]float32, error) {
	out := make([][]float32, patches.Len())
	for i := range out {
		p, err := set.PatchFromRGB(chwToHWC(patches.rgb(i), patches.Size))
		if err != nil {
			return nil, fmt.Errorf("patch %s: %w", patches.Names[i], err)
		}
		out[i] = p
	}
	return out, nil
}

// chwToHWC interleaves three planes of size x size bytes.
func chwToHWC(chw []uint8, size int) []uint8 {
	plane := size * size
	out := make([]uint8, 3*plane)
	for i := range plane {
		for c := range 3 {
			out[3*i+c] = chw[c*plane+i]
		}
	}
	return out
}

// toFloat64 widens feature vectors for the logistic regression.
func toFloat64(rows [][]float32) [][]float64 {
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = make([]float64, len(r))
		for j, v := range r {
			out[i][j] = float64(v)
		}
	}
	return out
}

// concatRows joins the rows of a and b side by side.
func concatRows(a, b [][]float32) [][]float32 {
	out := make([][]float32, len(a))
	for i := range a {
		out[i] = append(append(make([]float32, 0, len(a[i])+len(b[i])), a[i]...), b[i]...)
	}
	return out
}
