package training

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// pairedData is a training set for the conditional GAN: overhead patches
// with their classes, ground photos with their ground classes, and the map
// between the two.
type pairedData struct {
	OverheadTrain, OverheadTest *imageSet // labels index OverheadClasses
	PhotosTrain, PhotosTest     *imageSet // labels index GroundClasses

	OverheadClasses []string
	GroundOfClass   []int  // ground class of each overhead class
	UrbanOfClass    []bool // urban (true) or rural of each overhead class

	// ResolutionM is the ground sample distance of the patches as fed to
	// the encoder, in metres per pixel.
	ResolutionM float64
	Sources     []string // data folders read, relative to the data folder
}

// ucMercedSourceSize is the edge of a UC Merced image in pixels and
// ucMercedResolutionM its ground sample distance.
const (
	ucMercedSourceSize  = 256
	ucMercedResolutionM = 0.3
)

// loadUCMerced reads the UC Merced patches and the ground photos of their
// mapped classes from cfg.DataDir.
func loadUCMerced(cfg Config) (*pairedData, error) {
	dataDir := cfg.Resolve(cfg.DataDir)
	if _, err := os.Stat(filepath.Join(dataDir, "ucmerced")); err != nil {
		return nil, fmt.Errorf("UC Merced data: %w; set data_dir to the folder holding ucmerced/, intel_scenes/ and flickr_landscapes/", err)
	}
	d := &pairedData{
		ResolutionM: ucMercedResolutionM * ucMercedSourceSize / float64(cfg.PatchSize),
		Sources:     []string{"ucmerced", "intel_scenes", "flickr_landscapes"},
	}
	var err error
	if d.OverheadTrain, d.OverheadTest, err = loadOverhead(cfg, d); err != nil {
		return nil, err
	}
	if d.PhotosTrain, d.PhotosTest, err = loadPhotos(cfg); err != nil {
		return nil, err
	}
	return d, nil
}

func loadOverhead(cfg Config, d *pairedData) (train, test *imageSet, err error) {
	dataDir := cfg.Resolve(cfg.DataDir)
	var files []imageFile
	var trainIdx, testIdx []int
	for i, c := range UCMercedClasses {
		g, err := groundIndex(c.Ground)
		if err != nil {
			return nil, nil, err
		}
		d.OverheadClasses = append(d.OverheadClasses, c.Name)
		d.GroundOfClass = append(d.GroundOfClass, g)
		d.UrbanOfClass = append(d.UrbanOfClass, c.Urban)
		fs, err := listImages(dataDir, filepath.Join("ucmerced", c.Name), i, cfg.MaxPerClass)
		if err != nil {
			return nil, nil, err
		}
		tr, te := SplitIndices(len(fs), cfg.TestFraction, cfg.Seed, "ucmerced/"+c.Name)
		for _, j := range tr {
			trainIdx = append(trainIdx, len(files)+j)
		}
		for _, j := range te {
			testIdx = append(testIdx, len(files)+j)
		}
		files = append(files, fs...)
	}
	all, err := loadImages(dataDir, cfg.Resolve(cfg.CacheDir), files, cfg.PatchSize)
	if err != nil {
		return nil, nil, err
	}
	return all.subset(trainIdx), all.subset(testIdx), nil
}

// loadPhotos reads the ground photos at ImageSize: the Intel scenes keep
// their own train/test split, the Flickr photos are split by the seed.
func loadPhotos(cfg Config) (train, test *imageSet, err error) {
	dataDir := cfg.Resolve(cfg.DataDir)
	var files []imageFile
	var trainIdx, testIdx []int
	add := func(fs []imageFile, tr, te []int) {
		for _, j := range tr {
			trainIdx = append(trainIdx, len(files)+j)
		}
		for _, j := range te {
			testIdx = append(testIdx, len(files)+j)
		}
		files = append(files, fs...)
	}
	for k, gc := range GroundClasses {
		for _, name := range gc.Intel {
			for _, split := range []string{"train", "test"} {
				fs, err := listImages(dataDir, filepath.Join("intel_scenes", split, name), k, cfg.MaxPerClass)
				if err != nil {
					return nil, nil, err
				}
				all := iota(len(fs))
				if split == "train" {
					add(fs, all, nil)
				} else {
					add(fs, nil, all)
				}
			}
		}
		for _, name := range gc.Flickr {
			fs, err := listImages(dataDir, filepath.Join("flickr_landscapes", name), k, cfg.MaxPerClass)
			if err != nil {
				return nil, nil, err
			}
			tr, te := SplitIndices(len(fs), cfg.TestFraction, cfg.Seed, "flickr_landscapes/"+name)
			add(fs, tr, te)
		}
	}
	all, err := loadImages(dataDir, cfg.Resolve(cfg.CacheDir), files, ImageSize)
	if err != nil {
		return nil, nil, err
	}
	sort.Ints(trainIdx)
	sort.Ints(testIdx)
	return all.subset(trainIdx), all.subset(testIdx), nil
}

func iota(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
