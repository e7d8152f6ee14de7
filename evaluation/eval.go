package evaluation

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/downthere/downthere/inference"
	"github.com/downthere/downthere/models"
	"github.com/downthere/downthere/training"
)

// Options configure an evaluation run. Paths are used as given (relative
// ones against the working directory).
type Options struct {
	// Registry loads the model sets; its provider options apply.
	Registry *inference.Registry
	// ModelsDir is the UC Merced model set to evaluate (the folder with
	// set.json).
	ModelsDir string
	// OlindaModelsDir is the model set used on the Olinda cells; empty, or
	// a folder without set.json, means ModelsDir.
	OlindaModelsDir string
	// UnconditionalDir is an unconditional GAN set, the baseline of Deng,
	// Zhu and Newsam. Its row is reported missing when the folder is empty
	// or has no set.json.
	UnconditionalDir string
	// PaperDir is the paper-faithful variant of the shipped generator
	// (raw condition, no auxiliary head), compared by class consistency;
	// it is left out when the folder has no set.json.
	PaperDir string
	// DataDir holds ucmerced/, intel_scenes/ and flickr_landscapes/.
	DataDir string
	// OlindaDir holds L7_ETMs.tif and olinda1.shp.
	OlindaDir string
	// CacheDir receives decoded images and trained ground classifiers;
	// WorkDir the untrained twins of the model sets.
	CacheDir, WorkDir string
	// OutPath is the Markdown report; ImageDir receives its PNG sheets.
	OutPath, ImageDir string
	// Seeds is the number of evaluation seeds (1, 2, ...); at least 1.
	Seeds int
	// Quick caps the data at a few images per class folder and trains the
	// ground classifier for a few steps: a smoke test whose numbers mean
	// nothing.
	Quick bool
	// Command is the command line recorded in the report.
	Command string
	// Progress receives one line per step; nil discards them.
	Progress func(msg string)
}

// budget sizes a run.
type budget struct {
	maxPerClass  int // images per class folder, 0 for all
	groundEpochs int
	// views is the number of generated views per patch or cell. It is 8,
	// the batch of the shipped generator, because the engine generates one
	// condition per call and pads smaller counts to the batch.
	views int
	// landUsePerClass caps the UC Merced training patches per class in the
	// urban/rural comparison (0 for all), which costs views per patch
	// generations and scores in each of the two pipelines.
	landUsePerClass int
	copyQueries     int // generated views (and real photos) matched against the training photos
}

var fullBudget = budget{groundEpochs: 30, views: 8, landUsePerClass: 30, copyQueries: 48}

var quickBudget = budget{maxPerClass: 6, groundEpochs: 3, views: 8, copyQueries: 6}

// sampleClasses are the UC Merced classes shown in the sample sheet, one
// or two per ground class.
var sampleClasses = []string{"agricultural", "forest", "river", "chaparral", "denseresidential", "freeway", "sparseresidential", "harbor"}

// groundLR is the ground classifier's initial Adam learning rate.
const groundLR = 2e-3

// groundTrainConfig sets how the ground classifier is trained.
type groundTrainConfig struct {
	Epochs int
	LR     float64
}

// Run evaluates the model sets and writes the report and its images.
func Run(ctx context.Context, opts Options) (*Results, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	start := time.Now()
	b := fullBudget
	if opts.Quick {
		b = quickBudget
	}
	e := &evaluator{opts: opts, budget: b, res: &Results{Date: start.UTC(), Command: opts.Command, Quick: opts.Quick}}
	defer e.close()

	if err := e.loadSets(ctx); err != nil {
		return nil, err
	}
	if err := e.loadData(ctx); err != nil {
		return nil, err
	}
	for seed := int64(1); seed <= int64(opts.Seeds); seed++ {
		if err := e.runSeed(ctx, seed); err != nil {
			return nil, err
		}
	}
	e.res.Elapsed = time.Since(start)
	e.res.Hardware = hardware(e.set)
	if err := writeReport(opts.OutPath, opts.ImageDir, e.res); err != nil {
		return nil, err
	}
	return e.res, nil
}

func (o Options) check() error {
	var errs []error
	if o.Registry == nil {
		errs = append(errs, errors.New("no model registry"))
	}
	if o.ModelsDir == "" || o.DataDir == "" || o.OutPath == "" || o.ImageDir == "" || o.WorkDir == "" {
		errs = append(errs, errors.New("models folder, data folder, work folder, report path and image folder are all required"))
	}
	if o.Seeds < 1 {
		errs = append(errs, fmt.Errorf("seed count %d: want at least 1", o.Seeds))
	}
	if _, err := os.Stat(filepath.Join(o.DataDir, "intel_scenes")); err != nil {
		errs = append(errs, fmt.Errorf("data folder %s has no intel_scenes/: pass --data with the folder holding ucmerced/, intel_scenes/ and flickr_landscapes/", o.DataDir))
	}
	if len(errs) > 0 {
		return fmt.Errorf("evaluation: %w", errors.Join(errs...))
	}
	return nil
}

// evaluator holds one run's model sets, data and results.
type evaluator struct {
	opts   Options
	budget budget
	res    *Results

	set, olindaSet, unconditional, paper *inference.ModelSet
	olindaSameSet                        bool

	split                   splitSpec
	photosTrain, photosTest *imageSet
	ucmerced                *landUseData
	patchesTest             *imageSet
	trainInputs             [][]float32 // encoder inputs of every UC Merced training patch
	olinda                  *olindaCells
	closers                 []func()
}

func (e *evaluator) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

func (e *evaluator) progress(format string, args ...any) {
	if e.opts.Progress != nil {
		e.opts.Progress(fmt.Sprintf(format, args...))
	}
}

// loadSet loads the model set in dir and closes it with the evaluator.
func (e *evaluator) loadSet(ctx context.Context, dir string) (*inference.ModelSet, error) {
	info, err := inference.FolderSet(dir)
	if err != nil {
		return nil, err
	}
	s, err := e.opts.Registry.Load(ctx, info)
	if err != nil {
		return nil, err
	}
	e.closers = append(e.closers, func() { s.Close() })
	return s, nil
}

func (e *evaluator) loadSets(ctx context.Context) error {
	var err error
	if e.set, err = e.loadSet(ctx, e.opts.ModelsDir); err != nil {
		return err
	}
	e.res.Set = describeSet(e.set)
	e.olindaSet, e.olindaSameSet = e.set, true
	if dir := e.opts.OlindaModelsDir; dir != "" && dir != e.opts.ModelsDir {
		if _, statErr := os.Stat(filepath.Join(dir, models.SetFileName)); statErr == nil {
			if e.olindaSet, err = e.loadSet(ctx, dir); err != nil {
				return err
			}
			e.olindaSameSet = false
		}
	}
	e.res.OlindaSet = describeSet(e.olindaSet)
	if e.unconditional, e.res.Unconditional, err = e.loadOptionalSet(ctx, e.opts.UnconditionalDir); err != nil {
		return err
	}
	if e.paper, e.res.Paper, err = e.loadOptionalSet(ctx, e.opts.PaperDir); err != nil {
		return err
	}
	e.progress("model sets: %s (%s), Olinda: %s", e.set.Name(), e.set.Provider(), e.olindaSet.Name())
	return nil
}

// loadOptionalSet loads the set in dir, or returns nil when dir is empty
// or holds no set.json.
func (e *evaluator) loadOptionalSet(ctx context.Context, dir string) (*inference.ModelSet, *setInfo, error) {
	if dir == "" {
		return nil, nil, nil
	}
	if _, err := os.Stat(filepath.Join(dir, models.SetFileName)); err != nil {
		return nil, nil, nil
	}
	s, err := e.loadSet(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	info := describeSet(s)
	return s, &info, nil
}

func (e *evaluator) loadData(ctx context.Context) error {
	var err error
	if e.split, err = splitSpecOf(e.set.Manifest(models.RoleEncoder)); err != nil {
		return err
	}
	if e.budget.maxPerClass > 0 {
		e.split.MaxPerClass = e.budget.maxPerClass
	}
	e.progress("decoding photos and patches (cached in %s)", e.opts.CacheDir)
	if e.photosTrain, e.photosTest, err = loadPhotos(e.opts.DataDir, e.opts.CacheDir, e.split); err != nil {
		return err
	}
	patchesTrain, patchesTest, err := loadUCMerced(e.opts.DataDir, e.opts.CacheDir, e.split)
	if err != nil {
		return err
	}
	e.patchesTest = patchesTest
	if e.ucmerced, err = newUCMercedData(e.set, patchesTrain, patchesTest, e.budget.landUsePerClass); err != nil {
		return err
	}
	if e.trainInputs, err = encoderInputs(e.set, patchesTrain); err != nil {
		return err
	}
	e.res.TestFraction, e.res.LandUsePerClass = e.split.TestFraction, e.budget.landUsePerClass
	e.res.GroundEpochs = e.budget.groundEpochs
	e.res.Counts = dataCounts{PhotosTrain: e.photosTrain.Len(), PhotosTest: e.photosTest.Len(), PatchesTrain: patchesTrain.Len(), PatchesTest: patchesTest.Len()}

	if e.opts.OlindaDir != "" {
		if e.olinda, err = loadOlinda(ctx, e.opts.OlindaDir, e.olindaSet.PatchSize()); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// rng returns a generator for one purpose under one seed.
func rng(seed int64, purpose string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// groundClassifier returns the ground classifier of seed, trained on the
// training photos or read from the cache.
func (e *evaluator) groundClassifier(ctx context.Context, seed int64) (*groundNet, error) {
	key := cacheKey(append(filesOf(e.photosTrain), imageFile{Path: fmt.Sprintf("ground v2 epochs=%d lr=%g seed=%d", e.budget.groundEpochs, groundLR, seed)}), imageSize)
	path := filepath.Join(e.opts.CacheDir, "eval-ground-"+key+".gob")
	net, err := newGroundNet(seed, len(training.GroundClasses))
	if err != nil {
		return nil, err
	}
	if err := net.load(path); err == nil {
		e.progress("seed %d: ground classifier read from %s", seed, path)
		return net, nil
	}
	net.Close()
	if net, err = newGroundNet(seed, len(training.GroundClasses)); err != nil {
		return nil, err
	}

	started, last := time.Now(), time.Now()
	err = net.train(ctx, e.photosTrain, groundTrainConfig{Epochs: e.budget.groundEpochs, LR: groundLR}, func(done, total int) {
		if time.Since(last) > 20*time.Second || done == total {
			last = time.Now()
			e.progress("seed %d: ground classifier step %d/%d (%s)", seed, done, total, time.Since(started).Round(time.Second))
		}
	})
	if err != nil {
		net.Close()
		return nil, err
	}

	if err := net.save(path); err != nil {
		net.Close()
		return nil, err
	}
	return net, nil
}

func filesOf(set *imageSet) []imageFile {
	out := make([]imageFile, set.Len())
	for i := range out {
		out[i] = imageFile{Path: set.Names[i], Label: set.Labels[i]}
	}
	return out
}
