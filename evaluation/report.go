package evaluation

import (
	"bufio"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"strings"

	"github.com/downthere/downthere/models"
	"github.com/downthere/downthere/training"
)

// consistencyTarget is the class consistency the shipped generator should
// reach on held-out patches.
const consistencyTarget = 0.8

// Sheet file names inside the image folder.
const (
	sheetUCMerced = "samples-ucmerced.png"
	sheetOlinda   = "samples-olinda.png"
	sheetNearest  = "nearest-training.png"
)

// paperAccuracy lists the urban/rural accuracies that Deng, Zhu and Newsam
// (SIGSPATIAL 2018) report, keyed by the feature set they sit beside.
//
// NOTE: which of the four figures belongs to which feature set is assumed
// from their rising order (overhead, interpolated, cGAN, combined). It was
// not checked against the paper's own table.
var paperAccuracy = map[string]string{
	featOverhead:      "65 %",
	featInterpolated:  "68 %",
	featDiscriminator: "70 %",
	featCombined:      "73 %",
}

// featureTitles name the feature sets in the tables.
var featureTitles = map[string]string{
	featOverhead:      "overhead only (encoder condition, 100-d)",
	featInterpolated:  "interpolated real ground-photo features",
	featUnconditional: "unconditional-GAN discriminator features",
	featGround:        "cGAN views through the ground classifier (7 class probabilities)",
	featDiscriminator: "cGAN discriminator features",
	featCombined:      "overhead + cGAN discriminator features",
}

// writeReport writes the sheets into imageDir and the Markdown report to
// path, each atomically.
func writeReport(path, imageDir string, r *Results) error {
	if err := writeSheets(imageDir, r); err != nil {
		return err
	}
	var b strings.Builder
	w := &reportWriter{b: &b, r: r, path: path, imageDir: imageDir}
	w.header()
	w.summary()
	w.quality()
	w.landUse()
	w.samples()
	w.limits()
	return writeFileAtomic(path, func(bw *bufio.Writer) error { _, err := bw.WriteString(b.String()); return err })
}

type reportWriter struct {
	b              *strings.Builder
	r              *Results
	path, imageDir string
}

func (w *reportWriter) p(format string, args ...any) { fmt.Fprintf(w.b, format, args...) }

func (w *reportWriter) link(name string) string {
	return relativeLink(w.path, filepath.Join(w.imageDir, name))
}

func (w *reportWriter) header() {
	r := w.r
	w.p("# Results: what the shipped models do, measured\n\n")
	w.p("This page is written by `viewer eval`; do not edit it by hand. Rerun the command below to regenerate it.\n\n")
	if r.Quick {
		w.p("**Quick run:** a few images per class folder and a ground classifier trained for a few steps. It checks that the pipeline runs; its numbers mean nothing.\n\n")
	}
	w.p("- Command: `%s`\n", r.Command)
	w.p("- Date: %s; run time %s\n", r.Date.Format("2006-01-02 15:04 UTC"), r.Elapsed.Round(1e9))
	w.p("- Hardware: %s\n", r.Hardware)
	w.p("- Seeds: %d (every number is the mean ± the sample standard deviation over them)\n", len(r.Quality))
	w.p("- Model set `%s`, version %s, from `%s`:\n\n", r.Set.Name, r.Set.Version, r.Set.Source)
	w.setTable(r.Set)
	if r.OlindaSet.Name != r.Set.Name || r.OlindaSet.Version != r.Set.Version {
		w.p("- Olinda comparison: model set `%s`, version %s, from `%s`:\n\n", r.OlindaSet.Name, r.OlindaSet.Version, r.OlindaSet.Source)
		w.setTable(r.OlindaSet)
	}
	if r.Unconditional != nil {
		w.p("- Unconditional GAN: model set `%s`, version %s, from `%s`:\n\n", r.Unconditional.Name, r.Unconditional.Version, r.Unconditional.Source)
		w.setTable(*r.Unconditional)
	}
	if r.Paper != nil {
		w.p("- Paper-faithful variant: model set `%s`, version %s, from `%s`:\n\n", r.Paper.Name, r.Paper.Version, r.Paper.Source)
		w.setTable(*r.Paper)
	}
}

func (w *reportWriter) setTable(s setInfo) {
	w.p("  | model | sha256 |\n  |---|---|\n")
	for _, role := range models.Roles {
		w.p("  | %s | `%s` |\n", role, s.SHA256[role])
	}
	w.p("\n")
}

// qualitySpread collects one number of every seed's quality result.
func (w *reportWriter) qualitySpread(get func(q *qualityResult) float64) spread {
	var v []float64
	for _, q := range w.r.Quality {
		if x := get(q); !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	return spreadOf(v)
}

// variantSpread collects one number of every seed's result for the
// compared generator key.
func (w *reportWriter) variantSpread(key string, get func(v variantResult) float64) spread {
	var v []float64
	for _, r := range w.r.Variants[key] {
		v = append(v, get(r))
	}
	return spreadOf(v)
}

func (w *reportWriter) summary() {
	cons := w.qualitySpread(func(q *qualityResult) float64 { return q.Consistency })
	ctrl := w.qualitySpread(func(q *qualityResult) float64 { return q.Control })
	ceil := w.qualitySpread(func(q *qualityResult) float64 { return q.Ceiling })

	w.p("## Summary\n\n")
	verdict := "does **not** meet"
	if cons.Mean >= consistencyTarget && cons.Mean-ctrl.Mean > 2*(cons.Std+ctrl.Std) {
		verdict = "meets"
	}
	w.p("- Class consistency of generated views of held-out UC Merced patches: **%s**, against %s for the constant-condition control. ", fmtSpread(cons), fmtSpread(ctrl))
	w.p("Real held-out photos reach %s, the classifier's recall on them, a reference rather than a bound. ", fmtSpread(ceil))
	w.p("The generator %s the target of at least %.2f, clearly above the control.\n", verdict, consistencyTarget)
	if math.Abs(cons.Mean-ctrl.Mean) < 0.02 {
		w.p("- The views do not follow the patch: consistency and control agree within 0.02, so the generator makes the same kind of view whatever its condition.\n")
	}

	if g := w.r.Set.GuideWeight(); g > 0 {
		acc := "not recorded"
		if a := w.r.Set.GuideAccuracy(); !math.IsNaN(a) {
			acc = fmt.Sprintf("%.3f", a)
		}
		w.p("- The shipped generator was trained with a frozen ground-scene classifier, the guide (held-out photo accuracy %s), whose cross-entropy on its views entered the generator loss with weight %g. The guide and this evaluation's classifier are separate networks of different design (full-resolution convolutions with average pooling against strided convolutions), trained separately on the same training photos. A generator can still learn traits that both read as a class without looking like one, so read the class consistency together with the Frechet distances and the sample sheets.\n",
			acc, g)
	}

	coarseCons := w.qualitySpread(func(q *qualityResult) float64 { return q.CoarseConsistency })
	coarseCtrl := w.qualitySpread(func(q *qualityResult) float64 { return q.CoarseControl })
	w.p("- Counting only built-up against natural: %s for the views, %s for the control.\n", fmtSpread(coarseCons), fmtSpread(coarseCtrl))

	for _, v := range []struct{ key, title string }{{variantPaper, "the paper-faithful variant"}, {variantUnconditional, "the unconditional GAN"}} {
		if len(w.r.Variants[v.key]) > 0 {
			fine := w.variantSpread(v.key, func(r variantResult) float64 { return r.Consistency })
			w.p("- Class consistency of %s, trained by the same code on the same data: %s.\n", v.title, fmtSpread(fine))
		}
	}
	w.noiseScaleSummary()

	for _, lu := range w.r.LandUse {
		best, bestKey := spread{Mean: -1}, ""
		for _, key := range featureOrder {
			if s, ok := w.landUseSpread(lu, key, true, balanced); ok && s.Mean > best.Mean {
				best, bestKey = s, key
			}
		}
		if bestKey != "" {
			w.p("- %s urban/rural: the best feature set is %s, balanced accuracy %s; the majority class scores %s.\n",
				lu.Name, featureTitles[bestKey], fmtSpread(best), fmtSpread(majoritySpread(lu, balanced)))
		}
	}
	w.p("\n")
}

func (w *reportWriter) quality() {
	r := w.r
	q0 := r.Quality[0]
	k := len(training.GroundClasses)
	w.p("## 1. View quality\n\n")
	w.p("### Ground-scene classifier\n\n")
	w.p("A small convolutional network trained here, per seed, on the %d ground classes of the training code at 64x64 px. ", k)
	w.p("It learns from the real photos' training split: %d photos (Intel scenes `train/` and %.0f %% of each Flickr folder, the split the training code uses). ",
		r.Counts.PhotosTrain, 100*(1-r.TestFraction))
	w.p("Architecture: four blocks, each a space-to-depth(2) and a 3x3 convolution (%d, %d, %d and %d channels) with batch norm and LeakyReLU(0.2). ",
		groundWidths[0], groundWidths[1], groundWidths[2], groundWidths[3])
	w.p("A spatial mean of the last 4x4 positions gives the %d-d feature space used below, and a linear layer the class scores. ", groundFeatureDim)
	w.p("Training: %d epochs of Adam at %g with a cosine decay, batch %d, random horizontal flips and translations of up to %d px. ",
		r.GroundEpochs, groundLR, groundBatch, groundMaxShift)
	w.p("The cross-entropy is weighted by inverse class frequency, because the Flickr-only classes road and field are ten times rarer than the others. ")
	w.p("Held-out: %d photos (Intel scenes `test/` and the rest of each Flickr folder).\n\n", r.Counts.PhotosTest)
	w.p("| | accuracy | balanced accuracy |")
	for _, g := range training.GroundClasses {
		w.p(" recall %s |", g.Name)
	}
	w.p("\n|---|---|---|%s\n", strings.Repeat("---|", k))
	w.p("| held-out real photos | %s | %s |", fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.GroundAccuracy })),
		fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.GroundBalanced })))
	for g := range k {
		w.p(" %s |", fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.GroundRecall[g] })))
	}
	w.p("\n\n")

	w.p("### Class consistency\n\n")
	w.p("The share of generated views that the ground classifier assigns to the ground class of their patch's UC Merced class. ")
	w.p("The views are %d of each of the %d held-out UC Merced patches of the training code's split, with noise seeded by the evaluation seed and the file name. ", viewsPer(q0), r.Counts.PatchesTest)
	w.p("The control feeds the same generator the mean condition of the training patches, with the same noise; it shows what the generator produces when it ignores the patch. ")
	w.p("The real-photo reference is the classifier's recall on real held-out photos, weighted like the held-out patches: a generator whose views were real photos of the right class would score it. Generated views can score above it.\n\n")
	w.p("| ground class | held-out patches | generated views | constant-condition control | real-photo reference |\n|---|---|---|---|---|\n")
	w.p("| all | %d | **%s** | %s | %s |\n", r.Counts.PatchesTest,
		fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.Consistency })),
		fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.Control })),
		fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.Ceiling })))
	for g := range k {
		if q0.ViewCounts[g] == 0 {
			continue
		}
		w.p("| %s | %d | %s | %s | %s |\n", training.GroundClasses[g].Name, q0.ViewCounts[g]/viewsPer(q0),
			fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.ConsistencyByClass[g] })),
			fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.ControlByClass[g] })),
			fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.GroundRecall[g] })))
	}
	w.p("| built-up against natural only | %d | %s | %s | %s |\n\n", r.Counts.PatchesTest,
		fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.CoarseConsistency })),
		fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.CoarseControl })),
		fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.CoarseCeiling })))
	w.p("The last row counts a view as consistent when its predicted class is built-up (buildings, street, road) for a built-up ground class, or natural (field, forest, water, mountain) for a natural one.\n\n")
	w.p("Diagnostic: the views of the %d UC Merced training patches of the urban/rural comparison, whose conditions come from patches the encoder was trained on, reach a class consistency of %s. ",
		q0.TrainPatches, fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.TrainConsistency })))
	w.p("The GAN learned from these very conditions, so the gap between this figure and the held-out one is how much worse the encoder and the generator together do on patches they were not trained on. ")
	w.p("Set against the real-photo reference, this figure shows how the views of conditions the generator was trained on compare with real photos.\n\n")
	w.variants()

	w.p("### Frechet distance in the classifier's feature space\n\n")
	w.p("Per ground class, between Gaussians fitted to the 128-d features of two image sets: the FID formula, with this classifier in place of Inception. ")
	w.p("The generated views of the held-out patches of the class, or the control views of the same patches, are compared with the held-out real photos of the class. ")
	w.p("The reference is a random sample of as many real training photos of the class against the same held-out photos: the distance that real images reach. Distances from fewer than about 128 images are biased upwards; compare within a row.\n\n")
	w.p("| ground class | generated views | held-out photos | generated | constant-condition control | real training photos (reference) |\n|---|---|---|---|---|---|\n")
	for g := range k {
		if q0.ViewCounts[g] == 0 {
			continue
		}
		w.p("| %s | %d | %d | %s | %s | %s |\n", training.GroundClasses[g].Name, q0.ViewCounts[g], q0.PhotoCounts[g],
			fmtSpreadPlain(w.qualitySpread(func(q *qualityResult) float64 { return q.FID[g] })),
			fmtSpreadPlain(w.qualitySpread(func(q *qualityResult) float64 { return q.FIDControl[g] })),
			fmtSpreadPlain(w.qualitySpread(func(q *qualityResult) float64 { return q.FIDReal[g] })))
	}
	w.p("\n")
	w.noiseScales()
	w.copies()
}

// noiseScales writes the noise-scale table: the shipped weights at each
// noise scale, over the seeds.
func (w *reportWriter) noiseScales() {
	r := w.r
	if len(r.NoiseScales) == 0 {
		return
	}
	w.p("### Noise scale\n\n")
	w.p("The shipped generator multiplies its standard-normal noise by %g before its first layer (the truncation trick). ", r.Set.NoiseScale())
	w.p("Each row feeds the same weights the same noise of the same held-out patches at another scale, so only the scale differs between rows. ")
	w.p("A smaller scale keeps the noise nearer the centre of its distribution: the views of one patch vary less and look more typical of what the generator learned for the condition. ")
	w.p("The mean Frechet distance averages the per-class distances of the table above over the ground classes that have one; it also grows when the views of a class vary less than its real photos. ")
	w.p("The spread within a patch compares two mean distances between classifier features: between two views of one patch, and between two held-out real photos of its ground class (up to %d photos per class). ", spreadPhotos)
	w.p("It is the first divided by the second, so 0 means that every view of a patch is the same.\n\n")
	w.p("| noise scale | class consistency | built-up against natural only | mean Frechet distance | spread within a patch |\n|---|---|---|---|---|\n")
	for i, row := range r.NoiseScales[0] {
		get := func(f func(s scaleResult) float64) spread { return w.scaleSpread(i, f) }
		title := fmt.Sprintf("%g", row.Scale)
		if row.Scale == r.Set.NoiseScale() {
			title += " (shipped)"
		}
		w.p("| %s | %s | %s | %s | %s |\n", title,
			fmtSpread(get(func(s scaleResult) float64 { return s.Consistency })),
			fmtSpread(get(func(s scaleResult) float64 { return s.CoarseConsistency })),
			fmtSpreadPlain(get(func(s scaleResult) float64 { return s.MeanFID })),
			fmtSpread(get(func(s scaleResult) float64 { return s.Spread })))
	}
	w.p("\n")
}

// scaleSpread collects one number of row i of every seed's noise-scale
// table.
func (w *reportWriter) scaleSpread(i int, get func(s scaleResult) float64) spread {
	var v []float64
	for _, seed := range w.r.NoiseScales {
		if i < len(seed) && !math.IsNaN(get(seed[i])) {
			v = append(v, get(seed[i]))
		}
	}
	return spreadOf(v)
}

// noiseScaleSummary writes the summary line of the noise-scale table:
// the lowest and highest scale against the shipped one.
func (w *reportWriter) noiseScaleSummary() {
	if len(w.r.NoiseScales) == 0 || len(w.r.NoiseScales[0]) < 2 {
		return
	}
	rows := w.r.NoiseScales[0]
	cons := func(s scaleResult) float64 { return s.Consistency }
	fid := func(s scaleResult) float64 { return s.MeanFID }
	last := len(rows) - 1
	w.p("- The same weights reach a class consistency of %s (mean Frechet distance %s) at noise scale %g and %s (%s) at noise scale %g. ",
		fmtSpread(w.scaleSpread(0, cons)), fmtSpreadPlain(w.scaleSpread(0, fid)), rows[0].Scale,
		fmtSpread(w.scaleSpread(last, cons)), fmtSpreadPlain(w.scaleSpread(last, fid)), rows[last].Scale)
	w.p("The shipped scale is %g (see Noise scale).\n", w.r.Set.NoiseScale())
}

// variants compares the shipped generator with the paper-faithful
// variant and the unconditional GAN on the same held-out patches.
func (w *reportWriter) variants() {
	r := w.r
	w.p("### Generator variants\n\n")
	w.p("The same measurement for other generators, trained by the same code on the same data, with the shipped encoder unless the row says otherwise. ")
	w.p("The paper-faithful variant joins the raw 100-d condition to the noise and tiles it into the discriminator, with no auxiliary ground-class head, no diversity term and no label smoothing. ")
	w.p("The unconditional GAN takes noise only. All rows draw views of the same held-out patches with the same noise, scored by the same classifiers.")
	for _, info := range []*setInfo{r.Paper, r.Unconditional} {
		if info != nil && info.Training.Steps < r.Set.Training.Steps {
			w.p(" A variant trained for fewer GAN steps than the shipped set (see the column) is at a disadvantage.")
			break
		}
	}
	w.p("\n\n")
	w.p("| generator | GAN steps | class consistency | built-up against natural only |\n|---|---|---|---|\n")
	w.p("| shipped (`%s`, noise scale %g) | %d | %s | %s |\n", r.Set.Name, r.Set.NoiseScale(), r.Set.Training.Steps,
		fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.Consistency })),
		fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.CoarseConsistency })))
	type variantRow struct {
		key, title string
		info       *setInfo
	}
	rows := []variantRow{{variantPaper, "paper-faithful", r.Paper}, {variantUnconditional, "unconditional", r.Unconditional}}
	for _, row := range rows {
		if row.info == nil {
			w.p("| %s | | missing | |\n", row.title)
			continue
		}
		fine := w.variantSpread(row.key, func(v variantResult) float64 { return v.Consistency })
		coarse := w.variantSpread(row.key, func(v variantResult) float64 { return v.CoarseConsistency })
		note := ""
		if row.info.SHA256[models.RoleEncoder] != r.Set.SHA256[models.RoleEncoder] {
			note = ", its own encoder"
		}
		w.p("| %s (`%s`%s) | %d | %s | %s |\n", row.title, row.info.Name, note, row.info.Training.Steps, fmtSpread(fine), fmtSpread(coarse))
	}
	w.p("| constant-condition control of the shipped generator | | %s | %s |\n\n",
		fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.Control })),
		fmtSpread(w.qualitySpread(func(q *qualityResult) float64 { return q.CoarseControl })))
	if r.Paper == nil || r.Unconditional == nil {
		w.p("A missing row had no model set: the training code's `ucmerced-1.2m-paper` and `ucmerced-1.2m-unconditional` configs export them to `runs/sets/`; pass them with `--paper` and `--unconditional`.\n\n")
	}
}

func (w *reportWriter) copies() {
	c := w.r.Copy
	if c == nil {
		return
	}
	w.p("### Nearest training photos (copying check, seed 1)\n\n")
	w.p("The queries are %d generated views (view 0 of held-out patches spread over the split) and %d held-out real photos. ", len(c.Views), len(c.Real))
	w.p("For each, the table gives the nearest of the %d training photos in pixels (RMS difference of values in [-1, 1]) and in the classifier's feature space (Euclidean). ", w.r.Counts.PhotosTrain)
	w.p("A generator that copied training photos would sit much nearer to them than unseen real photos do, and its views would look like their nearest photos on the sheet. ")
	w.p("Pixel distances favour smooth images, which sit near the flattest training photos without copying them; the held-out photos after a 4x4 block average show how near mere smoothness gets.\n\n")
	w.p("| queries | median pixel RMS to the nearest training photo | median feature distance to the nearest training photo |\n|---|---|---|\n")
	w.p("| generated views | %.3f | %.3f |\n| held-out real photos | %.3f | %.3f |\n| held-out real photos, 4x4 block average | %.3f | |\n\n",
		c.ViewPixelMedian, c.ViewFeatureMedian, c.RealPixelMedian, c.RealFeatureMedian, c.BlurredPixelMedian)
	w.p("![Generated views and their nearest training photos](%s)\n\n", w.link(sheetNearest))
	w.p("Each row: a generated view, its nearest training photo in pixels, its nearest training photo in features.\n\n")
}

// scoreKind picks one number from scores.
type scoreKind func(s scores) float64

func balanced(s scores) float64 { return s.BalancedAccuracy }
func f1Urban(s scores) float64  { return s.F1[0] }
func f1Rural(s scores) float64  { return s.F1[1] }

// landUseSpread returns the spread of one score of a feature set over the
// seeds, and false when the feature set is missing.
func (w *reportWriter) landUseSpread(lu *landUseResult, key string, trained bool, kind scoreKind) (spread, bool) {
	var v []float64
	for _, s := range lu.Seeds {
		m := s.Untrained
		if trained {
			m = s.Trained
		}
		sc, ok := m[key]
		if !ok {
			return spread{}, false
		}
		v = append(v, kind(sc.scores))
	}
	return spreadOf(v), true
}

func majoritySpread(lu *landUseResult, kind scoreKind) spread {
	var v []float64
	for _, s := range lu.Seeds {
		v = append(v, kind(s.Majority))
	}
	return spreadOf(v)
}

func (w *reportWriter) landUse() {
	w.p("## 2. Urban/rural: the paper's comparison\n\n")
	w.p("Each feature set feeds a logistic regression written here (L2 penalty chosen from %v by 3-fold cross-validation on the training items, class weights inversely proportional to the class counts, L-BFGS). ", lambdas)
	w.p("Every row runs twice: with the trained networks, and with the same pipeline on untrained networks. ")
	w.p("The untrained twin has the architecture of the shipped set (of the unconditional GAN in its row), initialised at random by the training code with the evaluation seed, and a ground classifier before training. ")
	w.p("A feature set only shows what training added when it beats its untrained twin. Views: %d per item, averaged.\n\n", viewsPer(w.r.Quality[0]))
	w.p("The interpolation baseline: a random %.0f %% of the training items each hold the ground classifier's features of one random real training photo of their item's ground class. ", 100*holderFraction)
	w.p("Every item takes the inverse-distance-weighted mean (power %d) of its %d nearest holders. ", idwPower, idwNeighbours)
	w.p("On Olinda, distances are between cell centres on the map. UC Merced patches have no position, so there the distances are between encoder conditions: the stand-in interpolates over overhead similarity instead of space.\n\n")
	w.p("The paper's figures (Deng, Zhu and Newsam, SIGSPATIAL 2018) are accuracies for land-cover classes over a 71 km x 71 km square around London. ")
	w.p("Its ground photos come from Geograph, taken at those places, and its truth is the UK Land Cover Map. ")
	w.p("Here the photos come from other places than the overhead images, paired by class only. ")
	w.p("UC Merced patches are US orthophotos at about 1.2 m, and Olinda is a 30 m Landsat scene with IBGE census tracts as truth. ")
	w.p("We report balanced accuracy, because most cells are urban and plain accuracy rewards the majority class.\n\n")
	if w.r.Unconditional == nil {
		w.p("The unconditional GAN's row is missing: no unconditional model set was found (the training code's `ucmerced-1.2m-unconditional` config exports one to `runs/sets/`; pass it with `--unconditional`).\n\n")
	}
	for _, lu := range w.r.LandUse {
		w.landUseTable(lu)
	}
}

func (w *reportWriter) landUseTable(lu *landUseResult) {
	w.p("### %s\n\n", lu.Name)
	if lu.Name == "Olinda" {
		w.p("Landsat 7 ETM+ bands 3, 2, 1 with the map's 2-98 %% stretch, cut into %d m cells of the project grid. ", olindaCellSizeM)
		w.p("A cell is labelled with the majority class of the IBGE tracts when they cover at least half of it, and is used when its patch lies wholly inside the scene. ")
		w.p("The split holds out whole blocks of %dx%d cells, about %.0f %% of the cells. ", olindaBlockCells, olindaBlockCells, 100*olindaTestFraction)
		w.p("The blocks are shuffled per seed until the held-out blocks contain %.0f %% to 50 %% of each class's cells, and the folds of the cross-validation are blocks too. Model set: `%s`", 100*olindaMinClassShare, w.r.OlindaSet.Name)
		if w.r.OlindaSet.Name == w.r.Set.Name {
			w.p(", the UC Merced set, because no Olinda set was found: its encoder sees 500 m cells at 7.8 m per pixel instead of the 1.2 m it was trained on")
		}
		w.p(". Interpolation photos: buildings for urban cells, forest for rural ones.\n\n")
	} else {
		w.p("The held-out UC Merced patches of the training code's split and ")
		if w.r.LandUsePerClass > 0 {
			w.p("the first %d training patches of each class in file order, of %d training patches", w.r.LandUsePerClass, w.r.Counts.PatchesTrain)
		} else {
			w.p("all %d training patches", w.r.Counts.PatchesTrain)
		}
		w.p(", urban or rural by the class mapping of the model card. ")
		if w.r.LandUsePerClass > 0 {
			w.p("The cap on training patches bounds the generation time.")
		}
		w.p("\n\n")
	}
	w.p("| split | urban | rural |\n|---|---|---|\n")
	for i, c := range lu.Splits {
		w.p("| seed %d training | %d | %d |\n| seed %d held-out | %d | %d |\n", i+1, c.TrainUrban, c.TrainRural, i+1, c.TestUrban, c.TestRural)
	}
	w.p("\n| features | balanced accuracy | F1 urban | F1 rural | untrained: balanced accuracy | untrained: F1 urban | untrained: F1 rural | paper (accuracy) |\n|---|---|---|---|---|---|---|---|\n")
	for _, key := range featureOrder {
		t, ok := w.landUseSpread(lu, key, true, balanced)
		if !ok {
			w.p("| %s | missing | | | | | | %s |\n", featureTitles[key], paperAccuracy[key])
			continue
		}
		tu, _ := w.landUseSpread(lu, key, true, f1Urban)
		tr, _ := w.landUseSpread(lu, key, true, f1Rural)
		w.p("| %s | %s | %s | %s |", featureTitles[key], fmtSpread(t), fmtSpread(tu), fmtSpread(tr))
		if u, ok := w.landUseSpread(lu, key, false, balanced); ok {
			uu, _ := w.landUseSpread(lu, key, false, f1Urban)
			ur, _ := w.landUseSpread(lu, key, false, f1Rural)
			w.p(" %s | %s | %s |", fmtSpread(u), fmtSpread(uu), fmtSpread(ur))
		} else {
			w.p(" missing | | |")
		}
		w.p(" %s |\n", paperAccuracy[key])
	}
	w.p("| majority class of the training split | %s | %s | %s | | | | |\n\n", fmtSpread(majoritySpread(lu, balanced)), fmtSpread(majoritySpread(lu, f1Urban)), fmtSpread(majoritySpread(lu, f1Rural)))
}

func (w *reportWriter) samples() {
	w.p("## 3. Sample sheets (seed 1)\n\n")
	if len(w.r.Samples) > 0 {
		w.p("UC Merced: per row, the first held-out patch of a class (label: UC Merced class and its ground class), then %d generated views.\n\n", len(w.r.Samples[0].Views))
		w.p("![UC Merced held-out patches and generated views](%s)\n\n", w.link(sheetUCMerced))
	}
	if len(w.r.OlindaSamples) > 0 {
		w.p("Olinda: urban and rural cells (labelled by the tracts), each patch as the map shows it, then its generated views.\n\n")
		w.p("![Olinda cells and generated views](%s)\n\n", w.link(sheetOlinda))
	}
}

func (w *reportWriter) limits() {
	w.p("## Reading these numbers\n\n")
	w.p("- The spread covers the evaluation's randomness (ground classifier initialisation and batch order, generator noise, untrained networks, interpolation photos, cross-validation folds, Olinda block splits), not the GAN's own training: one trained set is evaluated.\n")
	w.p("- Class consistency depends on the ground classifier. The real-photo reference is its recall on real held-out photos. Views can score above it in a class, probably because a generator trained against a classifier can exaggerate the traits that classifiers read as that class. The generated views are also blurry 64x64 images unlike any training photo, so the classifier sees them out of distribution.\n")
	w.ucMercedEase()
	w.p("- Olinda has few labelled cells and few rural ones; a handful of cells moves the balanced accuracy by several points.\n")
}

// ucMercedEase states how far the trained UC Merced features beat their
// untrained twins, from the measured balanced accuracies.
func (w *reportWriter) ucMercedEase() {
	for _, lu := range w.r.LandUse {
		if lu.Name != "UC Merced" {
			continue
		}
		trained, ok1 := w.landUseSpread(lu, featOverhead, true, balanced)
		untrained, ok2 := w.landUseSpread(lu, featOverhead, false, balanced)
		if !ok1 || !ok2 {
			return
		}
		gap := trained.Mean - untrained.Mean
		w.p("- UC Merced urban/rural is easy from overhead imagery alone: the trained encoder's condition scores %.3f and an untrained encoder's %.3f (a gap of %.3f). ", trained.Mean, untrained.Mean, gap)
		if gap < 0.05 {
			w.p("With so small a gap, the table says little about the generator there.\n")
		} else {
			w.p("A feature set shows what training added only where it beats its own untrained twin by more than the spread.\n")
		}
	}
}

// writeSheets draws the sample and copy-check sheets.
func writeSheets(dir string, r *Results) error {
	if len(r.Samples) > 0 {
		if err := writeSheet(filepath.Join(dir, sheetUCMerced), "UC Merced held-out patch, then generated views ("+r.Set.Name+")", sampleSheetRows(r.Samples)); err != nil {
			return err
		}
	}
	if len(r.OlindaSamples) > 0 {
		if err := writeSheet(filepath.Join(dir, sheetOlinda), "Olinda 500 m cell, then generated views ("+r.OlindaSet.Name+")", sampleSheetRows(r.OlindaSamples)); err != nil {
			return err
		}
	}
	if len(r.CopySamples) > 0 {
		var rows []sheetRow
		for i, c := range r.CopySamples {
			rows = append(rows, sheetRow{
				Label: fmt.Sprintf("view %d: %.2f / %.1f", i+1, c.Match.PixelRMS, c.Match.FeatureDist),
				Tiles: []image.Image{viewImage(c.View, imageSize), rgbImage(c.PixelPhoto, imageSize), rgbImage(c.FeaturePhoto, imageSize)},
			})
		}
		if err := writeSheet(filepath.Join(dir, sheetNearest), "generated view | nearest training photo in pixels | in features", rows); err != nil {
			return err
		}
	}
	return nil
}

func sampleSheetRows(samples []sampleRow) []sheetRow {
	var rows []sheetRow
	for _, s := range samples {
		tiles := []image.Image{hwcImage(s.Overhead, s.Size)}
		for _, v := range s.Views {
			tiles = append(tiles, viewImage(v, imageSize))
		}
		rows = append(rows, sheetRow{Label: s.Label, Tiles: tiles})
	}
	return rows
}

// fmtSpread formats a share as "0.812 ± 0.013".
func fmtSpread(s spread) string {
	if s.N == 0 || math.IsNaN(s.Mean) {
		return "n/a"
	}
	if s.N == 1 {
		return fmt.Sprintf("%.3f", s.Mean)
	}
	return fmt.Sprintf("%.3f ± %.3f", s.Mean, s.Std)
}

// fmtSpreadPlain formats a distance with one decimal.
func fmtSpreadPlain(s spread) string {
	if s.N == 0 || math.IsNaN(s.Mean) {
		return "n/a"
	}
	if s.N == 1 {
		return fmt.Sprintf("%.1f", s.Mean)
	}
	return fmt.Sprintf("%.1f ± %.1f", s.Mean, s.Std)
}

func viewsPer(q *qualityResult) int { return q.ViewsPerPatch }
