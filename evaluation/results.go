package evaluation

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/downthere/downthere/inference"
	"github.com/downthere/downthere/models"
)

// Results are everything a run measured, as the report shows it.
type Results struct {
	Date     time.Time
	Command  string
	Hardware string
	Elapsed  time.Duration
	Quick    bool

	Set, OlindaSet setInfo
	Unconditional  *setInfo // nil when no unconditional set was found
	Paper          *setInfo // nil when no paper-faithful set was found
	Counts         dataCounts
	// TestFraction is the share of each Flickr folder and UC Merced class
	// held out by the training code's split.
	TestFraction float64
	// LandUsePerClass caps the UC Merced training patches per class in the
	// urban/rural comparison; 0 means all.
	LandUsePerClass int
	// GroundEpochs is the number of passes over the training photos that
	// trained the ground classifier.
	GroundEpochs int

	Quality       []*qualityResult // one per seed
	Copy          *copyCheck       // seed 1
	Samples       []sampleRow      // seed 1, UC Merced
	OlindaSamples []sampleRow      // seed 1
	CopySamples   []copySample     // seed 1
	// Variants holds, per compared generator (variantPaper,
	// variantUnconditional), one class-consistency result per seed.
	Variants map[string][]variantResult
	// NoiseScales holds, per seed, the shipped weights' view quality at
	// each noise scale of the noise-scale table, by rising scale.
	NoiseScales [][]scaleResult

	// LandUse holds the urban/rural comparison per setting ("UC Merced",
	// "Olinda"), in the order the settings ran.
	LandUse []*landUseResult
}

// setInfo identifies a model set.
type setInfo struct {
	Name, Version, Source, Provider string
	SHA256                          map[models.Role]string
	Training                        models.Training // the generator's
}

// NoiseScale returns the factor the set's generator applies to its noise
// (the training config's noise_scale), 1 when the manifest has none.
func (s setInfo) NoiseScale() float64 { return s.Training.NoiseScale() }

// GuideWeight returns the weight of the frozen ground-scene classifier in
// the generator's loss (the training config's arch.guide_weight), 0 when
// the generator was trained without it.
func (s setInfo) GuideWeight() float64 {
	arch, _ := s.Training.Config["arch"].(map[string]any)
	if v, ok := arch["guide_weight"].(float64); ok && v > 0 {
		return v
	}
	return 0
}

// GuideAccuracy returns the guide's accuracy on the held-out photos as the
// training recorded it, or NaN without one.
func (s setInfo) GuideAccuracy() float64 {
	if v, ok := s.Training.Metrics["guide_test_accuracy"]; ok {
		return v
	}
	return math.NaN()
}

func describeSet(s *inference.ModelSet) setInfo {
	info := setInfo{Name: s.Name(), Version: s.Spec().Version, Source: s.Source(), Provider: s.Provider().String(), SHA256: map[models.Role]string{}}
	for _, r := range models.Roles {
		info.SHA256[r] = s.Manifest(r).SHA256
	}
	info.Training = s.Manifest(models.RoleGenerator).Training
	return info
}

// dataCounts are the sizes of the UC Merced splits.
type dataCounts struct {
	PhotosTrain, PhotosTest, PatchesTrain, PatchesTest int
}

// seedLandUse is the urban/rural comparison of one setting under one
// seed.
type seedLandUse struct {
	Trained, Untrained map[string]landUseScores
	Majority           scores
}

// splitCounts are the urban and rural items of each split.
type splitCounts struct {
	TrainUrban, TrainRural, TestUrban, TestRural int
}

// landUseResult is the urban/rural comparison of one setting over seeds.
type landUseResult struct {
	Name   string
	Seeds  []*seedLandUse
	Splits []splitCounts
}

// addLandUse records one seed's comparison for setting d.
func (r *Results) addLandUse(s *seedLandUse, d *landUseData, seed int64) {
	var lu *landUseResult
	for _, l := range r.LandUse {
		if l.Name == d.Name {
			lu = l
		}
	}
	if lu == nil {
		lu = &landUseResult{Name: d.Name}
		r.LandUse = append(r.LandUse, lu)
	}
	lu.Seeds = append(lu.Seeds, s)
	var c splitCounts
	for _, i := range d.Train {
		if d.Labels[i] == 0 {
			c.TrainUrban++
		} else {
			c.TrainRural++
		}
	}
	for _, i := range d.Test {
		if d.Labels[i] == 0 {
			c.TestUrban++
		} else {
			c.TestRural++
		}
	}
	lu.Splits = append(lu.Splits, c)
}

// sampleRow is one row of a sample sheet: an overhead patch and its views.
type sampleRow struct {
	Label    string
	Overhead []uint8 // interleaved RGB, Size x Size
	Size     int
	Views    [][]float32
}

// copySample is one generated view with its nearest training photos.
type copySample struct {
	View         []float32
	Match        nearestMatch
	PixelPhoto   []uint8 // CHW of the nearest photo in pixels
	FeaturePhoto []uint8 // CHW of the nearest photo in features
}

// hardware describes the machine and the execution provider.
func hardware(s *inference.ModelSet) string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	st := s.Provider()
	provider := string(st.Active)
	if st.FellBack() {
		provider += fmt.Sprintf(" (%s was requested and could not start)", st.Requested)
	}
	return fmt.Sprintf("%s, %d logical CPUs visible to Go (GOMAXPROCS %d), %s/%s; models run by ONNX Runtime on %s", cpu, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, provider)
}

// olindaSampleCells returns up to three urban and three rural held-out
// cells, or training cells when the test split has too few.
func olindaSampleCells(d *landUseData) map[int]bool {
	out := map[int]bool{}
	for _, label := range []int{0, 1} {
		n := 0
		for _, part := range [][]int{d.Test, d.Train} {
			for _, i := range part {
				if d.Labels[i] == label && n < 3 {
					out[i] = true
					n++
				}
			}
		}
	}
	return out
}

// olindaSamples builds the sheet rows of the kept Olinda cells.
func olindaSamples(d *landUseData, o *olindaCells, vo *viewOutputs) []sampleRow {
	var items []int
	for i := range vo.Kept {
		items = append(items, i)
	}
	sort.Slice(items, func(a, b int) bool {
		if d.Labels[items[a]] != d.Labels[items[b]] {
			return d.Labels[items[a]] < d.Labels[items[b]]
		}
		return items[a] < items[b]
	})
	var rows []sampleRow
	for _, i := range items {
		class := "urban"
		if d.Labels[i] == 1 {
			class = "rural"
		}
		rows = append(rows, sampleRow{Label: class + " " + o.IDs[i], Overhead: o.RGB[i], Size: o.Size, Views: vo.Kept[i]})
	}
	return rows
}

// relativeLink returns target relative to the folder of from, with
// forward slashes, for a Markdown link.
func relativeLink(from, target string) string {
	rel, err := filepath.Rel(filepath.Dir(from), target)
	if err != nil {
		return filepath.ToSlash(target)
	}
	return filepath.ToSlash(rel)
}
