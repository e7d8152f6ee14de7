package evaluation

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // UC Merced, Intel scenes and Flickr photos are JPEG
	_ "image/png"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/image/draw"
)

// imageSet holds square RGB images as 8-bit CHW planes, one label and one
// source path (relative to the data folder) per image.
type imageSet struct {
	Size   int
	Pix    []uint8 // Len()*3*Size*Size values
	Labels []int
	Names  []string
}

// Len returns the number of images.
func (s *imageSet) Len() int { return len(s.Labels) }

func (s *imageSet) stride() int { return 3 * s.Size * s.Size }

// rgb returns the CHW bytes of image i.
func (s *imageSet) rgb(i int) []uint8 { return s.Pix[i*s.stride() : (i+1)*s.stride()] }

// subset returns the images at idx as a new set.
func (s *imageSet) subset(idx []int) *imageSet {
	out := &imageSet{Size: s.Size, Pix: make([]uint8, 0, len(idx)*s.stride())}
	for _, i := range idx {
		out.Pix = append(out.Pix, s.rgb(i)...)
		out.Labels = append(out.Labels, s.Labels[i])
		out.Names = append(out.Names, s.Names[i])
	}
	return out
}

// normalized returns image i as float32 CHW values (v/255-0.5)/0.5 in
// [-1, 1], the range of the generator's output; flip mirrors it left to
// right.
func (s *imageSet) normalized(i int, flip bool) []float32 {
	return s.shifted(i, flip, 0, 0)
}

// shifted is normalized with the image, mirrored first when flip is set,
// moved by dx, dy pixels (positive: the content moves left and up). The
// border pixels are repeated into the uncovered edge.
func (s *imageSet) shifted(i int, flip bool, dx, dy int) []float32 {
	n := s.Size
	src := s.rgb(i)
	out := make([]float32, len(src))
	for c := 0; c < 3; c++ {
		for y := 0; y < n; y++ {
			sy := min(max(y+dy, 0), n-1)
			for x := 0; x < n; x++ {
				sx := min(max(x+dx, 0), n-1)
				if flip {
					sx = n - 1 - sx
				}
				out[c*n*n+y*n+x] = float32(src[c*n*n+sy*n+sx])/127.5 - 1
			}
		}
	}
	return out
}

// imageFile is one image file to load, with its label.
type imageFile struct {
	Path  string // relative to the data folder
	Label int
}

// listImages returns the JPEG and PNG files directly in dir (relative to
// dataDir), sorted by name, the first max of them when max > 0.
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
// it to size x size with a Catmull-Rom filter, as the training code does.
// Decoded sets are cached in cacheDir (no cache when it is empty) under a
// key made of the file list and the size.
func loadImages(dataDir, cacheDir string, files []imageFile, size int) (*imageSet, error) {
	cachePath := ""
	if cacheDir != "" {
		cachePath = filepath.Join(cacheDir, "eval-images-"+cacheKey(files, size)+".gob")
		if set, err := readImageCache(cachePath); err == nil && set.Len() == len(files) && set.Size == size {
			return set, nil
		}
	}

	set := &imageSet{Size: size, Pix: make([]uint8, len(files)*3*size*size)}
	for _, f := range files {
		set.Labels = append(set.Labels, f.Label)
		set.Names = append(set.Names, f.Path)
	}
	if err := decodeAll(dataDir, files, set); err != nil {
		return nil, err
	}
	if cachePath != "" {
		if err := writeFileAtomic(cachePath, func(w *bufio.Writer) error { return gob.NewEncoder(w).Encode(set) }); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// decodeAll decodes the files into set on up to four goroutines.
func decodeAll(dataDir string, files []imageFile, set *imageSet) error {
	workers := min(runtime.GOMAXPROCS(0), 4)
	jobs := make(chan int)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if errs[w] == nil {
					errs[w] = decodeSquare(filepath.Join(dataDir, files[i].Path), set.Size, set.rgb(i))
				}
			}
		}()
	}
	for i := range files {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}

// decodeSquare decodes the image at path, crops its central square,
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
	for y := range size {
		for x := range size {
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
	fmt.Fprintf(h, "eval v1 size=%d\n", size)
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
	if len(set.Pix) != set.Len()*set.stride() || len(set.Names) != set.Len() {
		return nil, fmt.Errorf("image cache %s is truncated", path)
	}
	return &set, nil
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
	return nil
}
