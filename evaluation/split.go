package evaluation

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/downthere/downthere/models"
	"github.com/downthere/downthere/training"
)

// splitSpec is the data split of the training code: the seed and held-out
// share recorded in the model set's manifests, and the image cap per class
// folder (0 for all images).
type splitSpec struct {
	Seed         int64
	TestFraction float64
	MaxPerClass  int
	PatchSize    int
}

// splitSpecOf reads the split from the training configuration that the
// encoder's manifest records.
func splitSpecOf(m *models.Manifest) (splitSpec, error) {
	cfg := m.Training.Config
	number := func(key string) (float64, error) {
		v, ok := cfg[key].(float64)
		if !ok {
			return 0, fmt.Errorf("encoder manifest %s records no training config field %q; re-export the model set with viewer train --export-only", m.Name, key)
		}
		return v, nil
	}
	var s splitSpec
	seed, err := number("seed")
	if err != nil {
		return s, err
	}
	if s.TestFraction, err = number("test_fraction"); err != nil {
		return s, err
	}
	maxPer, _ := cfg["max_per_class"].(float64) // absent means all images
	s.Seed, s.MaxPerClass, s.PatchSize = int64(seed), int(maxPer), m.PatchSize
	if s.TestFraction <= 0 || s.TestFraction >= 1 || s.PatchSize <= 0 {
		return s, fmt.Errorf("encoder manifest %s: test_fraction %g or patch_size %d is invalid", m.Name, s.TestFraction, s.PatchSize)
	}
	return s, nil
}

// splitFiles collects files into one list and records which positions
// belong to the training and the test split.
type splitFiles struct {
	files       []imageFile
	train, test []int
}

func (s *splitFiles) add(fs []imageFile, train, test []int) {
	for _, j := range train {
		s.train = append(s.train, len(s.files)+j)
	}
	for _, j := range test {
		s.test = append(s.test, len(s.files)+j)
	}
	s.files = append(s.files, fs...)
}

// load decodes the files at size and returns the two splits.
func (s *splitFiles) load(dataDir, cacheDir string, size int) (train, test *imageSet, err error) {
	all, err := loadImages(dataDir, cacheDir, s.files, size)
	if err != nil {
		return nil, nil, err
	}
	sort.Ints(s.train)
	sort.Ints(s.test)
	return all.subset(s.train), all.subset(s.test), nil
}

// loadPhotos reads the ground photos of training.GroundClasses at 64x64
// with the training code's split: the Intel scenes keep their own
// train/test folders, each Flickr folder is split by the seed. Labels
// index training.GroundClasses.
func loadPhotos(dataDir, cacheDir string, s splitSpec) (train, test *imageSet, err error) {
	var sf splitFiles
	for k, gc := range training.GroundClasses {
		for _, name := range gc.Intel {
			for _, part := range []string{"train", "test"} {
				fs, err := listImages(dataDir, filepath.Join("intel_scenes", part, name), k, s.MaxPerClass)
				if err != nil {
					return nil, nil, err
				}
				if part == "train" {
					sf.add(fs, allIndices(len(fs)), nil)
				} else {
					sf.add(fs, nil, allIndices(len(fs)))
				}
			}
		}
		for _, name := range gc.Flickr {
			fs, err := listImages(dataDir, filepath.Join("flickr_landscapes", name), k, s.MaxPerClass)
			if err != nil {
				return nil, nil, err
			}
			tr, te := training.SplitIndices(len(fs), s.TestFraction, s.Seed, "flickr_landscapes/"+name)
			sf.add(fs, tr, te)
		}
	}
	return sf.load(dataDir, cacheDir, imageSize)
}

// loadUCMerced reads the UC Merced patches at the encoder's patch size
// with the training code's per-class split. Labels index
// training.UCMercedClasses.
func loadUCMerced(dataDir, cacheDir string, s splitSpec) (train, test *imageSet, err error) {
	if _, err := os.Stat(filepath.Join(dataDir, "ucmerced")); err != nil {
		return nil, nil, fmt.Errorf("UC Merced data: %w; pass --data with the folder holding ucmerced/, intel_scenes/ and flickr_landscapes/", err)
	}
	var sf splitFiles
	for i, c := range training.UCMercedClasses {
		fs, err := listImages(dataDir, filepath.Join("ucmerced", c.Name), i, s.MaxPerClass)
		if err != nil {
			return nil, nil, err
		}
		tr, te := training.SplitIndices(len(fs), s.TestFraction, s.Seed, "ucmerced/"+c.Name)
		sf.add(fs, tr, te)
	}
	return sf.load(dataDir, cacheDir, s.PatchSize)
}

func allIndices(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// groundOfOverhead returns the index in training.GroundClasses of each UC
// Merced class's ground class, and whether the class is urban.
func groundOfOverhead() (ground []int, urban []bool, err error) {
	for _, c := range training.UCMercedClasses {
		g := groundIndex(c.Ground)
		if g < 0 {
			return nil, nil, fmt.Errorf("UC Merced class %s maps to unknown ground class %q", c.Name, c.Ground)
		}
		ground = append(ground, g)
		urban = append(urban, c.Urban)
	}
	return ground, urban, nil
}

// groundIndex returns the index of the named ground class, or -1.
func groundIndex(name string) int {
	for i, g := range training.GroundClasses {
		if g.Name == name {
			return i
		}
	}
	return -1
}
