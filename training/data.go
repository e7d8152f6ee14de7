package training

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	_ "image/jpeg" // UC Merced, Intel scenes and Flickr photos are JPEG
	_ "image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/image/draw"
)

// imageSet holds square RGB images as 8-bit CHW planes, with one label and
// one source name per image.
type imageSet struct {
	Size   int
	Pix    []uint8 // Len()*3*Size*Size values
	Labels []int
	Names  []string // source paths relative to the data folder
}

// Len returns the number of images.
func (s *imageSet) Len() int { return len(s.Labels) }

// stride returns the number of values per image.
func (s *imageSet) stride() int { return 3 * s.Size * s.Size }

// subset returns the images at idx, sharing nothing with s.
func (s *imageSet) subset(idx []int) *imageSet {
	out := &imageSet{Size: s.Size, Pix: make([]uint8, 0, len(idx)*s.stride())}
	for _, i := range idx {
		out.Pix = append(out.Pix, s.Pix[i*s.stride():(i+1)*s.stride()]...)
		out.Labels = append(out.Labels, s.Labels[i])
		out.Names = append(out.Names, s.Names[i])
	}
	return out
}

// batch writes the images at idx, normalised to [-1,1] ((v/255-0.5)/0.5),
// into a new [len(idx),3,Size,Size] slice. A true flip[i] mirrors image i
// left to right; rot[i] rotates it by rot[i] quarter turns (overhead
// patches only, since ground photos have an up).
func (s *imageSet) batch(idx []int, flip []bool, rot []int) []float32 {
	n := s.Size
	out := make([]float32, len(idx)*s.stride())
	for b, i := range idx {
		src := s.Pix[i*s.stride() : (i+1)*s.stride()]
		dst := out[b*s.stride() : (b+1)*s.stride()]
		f := flip != nil && flip[b]
		r := 0
		if rot != nil {
			r = rot[b] & 3
		}
		for c := 0; c < 3; c++ {
			for y := 0; y < n; y++ {
				for x := 0; x < n; x++ {
					sx, sy := x, y
					if f {
						sx = n - 1 - sx
					}
					for k := 0; k < r; k++ {
						sx, sy = n-1-sy, sx
					}
					v := src[c*n*n+sy*n+sx]
					dst[c*n*n+y*n+x] = float32(v)/127.5 - 1
				}
			}
		}
	}
	return out
}

// imageFile is one image to load with its label.
type imageFile struct {
	Path  string // relative to the data folder
	Label int
}

// listImages returns the image files directly in dir (relative to
// dataDir), sorted by name, at most max of them when max > 0.
func listImages(dataDir, dir string, label, max int) ([]imageFile, error) {
	entries, err := os.ReadDir(filepath.Join(dataDir, dir))
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var files []imageFile
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".jpg" && ext != ".jpeg" && ext != ".png") {
			continue
		}
		files = append(files, imageFile{Path: filepath.Join(dir, e.Name()), Label: label})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	if max > 0 && len(files) > max {
		files = files[:max]
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("list images: no JPEG or PNG files in %s", filepath.Join(dataDir, dir))
	}
	return files, nil
}

// loadImages decodes files, crops each to its central square and resizes
// it to size x size with a Catmull-Rom filter. Results are cached in
// cacheDir under a key made of the file list and the size.
func loadImages(dataDir, cacheDir string, files []imageFile, size int) (*imageSet, error) {
	key := cacheKey(files, size)
	cachePath := filepath.Join(cacheDir, "images-"+key+".gob")
	if set, err := readImageCache(cachePath); err == nil && set.Len() == len(files) && set.Size == size {
		return set, nil
	}

	set := &imageSet{Size: size, Pix: make([]uint8, len(files)*3*size*size)}
	for _, f := range files {
		set.Labels = append(set.Labels, f.Label)
		set.Names = append(set.Names, f.Path)
	}
	if err := decodeParallel(dataDir, files, set); err != nil {
		return nil, err
	}
	if cacheDir != "" {
		if err := writeImageCache(cachePath, set); err != nil {
			return nil, err
		}
	}
	return set, nil
}

func decodeParallel(dataDir string, files []imageFile, set *imageSet) error {
	workers := min(runtime.GOMAXPROCS(0), 4)
	jobs := make(chan int)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range jobs {
				if errs[w] != nil {
					continue
				}
				dst := set.Pix[i*set.stride() : (i+1)*set.stride()]
				errs[w] = decodeSquare(filepath.Join(dataDir, files[i].Path), set.Size, dst)
			}
		}(w)
	}
	for i := range files {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}

// decodeSquare decodes the image at path, crops the central square,
// resizes it to size and writes CHW bytes to dst.
func decodeSquare(path string, size int, dst []uint8) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open image: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("decode image %s: %w", path, err)
	}
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	if side < 8 {
		return fmt.Errorf("image %s is %dx%d px; need at least 8x8", path, b.Dx(), b.Dy())
	}
	x0 := b.Min.X + (b.Dx()-side)/2
	y0 := b.Min.Y + (b.Dy()-side)/2
	out := image.NewRGBA(image.Rect(0, 0, size, size))
	draw.CatmullRom.Scale(out, out.Bounds(), img, image.Rect(x0, y0, x0+side, y0+side), draw.Src, nil)
	plane := size * size
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			o := out.PixOffset(x, y)
			dst[y*size+x] = out.Pix[o]
			dst[plane+y*size+x] = out.Pix[o+1]
			dst[2*plane+y*size+x] = out.Pix[o+2]
		}
	}
	return nil
}

func cacheKey(files []imageFile, size int) string {
	h := sha256.New()
	fmt.Fprintf(h, "v1 size=%d\n", size)
	for _, f := range files {
		fmt.Fprintf(h, "%s\t%d\n", f.Path, f.Label)
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}

func readImageCache(path string) (*imageSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var set imageSet
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&set); err != nil {
		return nil, err
	}
	if len(set.Pix) != set.Len()*set.stride() {
		return nil, fmt.Errorf("image cache %s is truncated", path)
	}
	return &set, nil
}

func writeImageCache(path string, set *imageSet) error {
	return writeFileAtomic(path, func(w *bufio.Writer) error {
		return gob.NewEncoder(w).Encode(set)
	})
}

// writeFileAtomic writes a file beside path, syncs it and renames it over
// path, so that readers see the old or the new content, never a part.
func writeFileAtomic(path string, write func(w *bufio.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.partial")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	err = tmp.Chmod(0o644) // CreateTemp makes files private
	if err == nil {
		err = write(w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// SplitIndices shuffles 0..n-1 with a generator seeded by seed and name and
// returns the first round(n*testFraction) (at least 1 when n > 1) as test
// and the rest as train, each sorted. Package evaluation calls it to find
// the patches and photos that training held out.
func SplitIndices(n int, testFraction float64, seed int64, name string) (train, test []int) {
	h := fnv.New64a()
	h.Write([]byte(name))
	rng := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	perm := rng.Perm(n)
	nTest := int(math.Round(float64(n) * testFraction))
	if nTest == 0 && n > 1 {
		nTest = 1
	}
	test = append(test, perm[:nTest]...)
	train = append(train, perm[nTest:]...)
	sort.Ints(train)
	sort.Ints(test)
	return train, test
}

// shift translates each of the n images of a [n,3,size,size] batch, in
// place, by a random offset of up to maxShift pixels along each axis.
// Rows and columns moved in from outside the image mirror the image's
// edge, so no padding colour enters the batch. maxShift must be below size.
func shift(rng *rand.Rand, batch []float32, n, size, maxShift int) {
	if maxShift <= 0 {
		return
	}
	plane := size * size
	src := make([]float32, 3*plane)
	for b := 0; b < n; b++ {
		img := batch[b*3*plane : (b+1)*3*plane]
		copy(src, img)
		dx, dy := rng.IntN(2*maxShift+1)-maxShift, rng.IntN(2*maxShift+1)-maxShift
		for c := 0; c < 3; c++ {
			for y := 0; y < size; y++ {
				sy := mirror(y+dy, size)
				for x := 0; x < size; x++ {
					img[c*plane+y*size+x] = src[c*plane+sy*size+mirror(x+dx, size)]
				}
			}
		}
	}
}

// mirror folds i into [0,n) by reflecting at the edges without repeating
// the edge pixel (-1 becomes 1, n becomes n-2). |i| must stay below 2n-1.
func mirror(i, n int) int {
	if i < 0 {
		i = -i
	}
	if i >= n {
		i = 2*(n-1) - i
	}
	return i
}
