package training

import (
	"math/rand/v2"
	"testing"
)

func TestMirror(t *testing.T) {
	tests := []struct{ i, n, want int }{
		{0, 5, 0},
		{4, 5, 4},
		{-1, 5, 1},
		{-3, 5, 3},
		{5, 5, 3},
		{7, 5, 1},
	}
	for _, tt := range tests {
		if got := mirror(tt.i, tt.n); got != tt.want {
			t.Errorf("mirror(%d, %d) = %d, want %d", tt.i, tt.n, got, tt.want)
		}
	}
}

// TestShiftTranslates checks that each shifted image is its original moved
// by one offset within the limit, with mirrored edges: every output pixel
// of every channel is the input pixel at the mirrored, offset position.
// Over 200 images both offsets reach both limits, and dx and dy differ
// for at least one image.
func TestShiftTranslates(t *testing.T) {
	const n, size, maxShift = 200, 8, 2
	batch := make([]float32, n*3*size*size)
	for i := range batch {
		batch[i] = float32(i) // every pixel distinct
	}
	orig := append([]float32(nil), batch...)
	shift(rand.New(rand.NewPCG(3, 4)), batch, n, size, maxShift)

	plane := size * size
	seenX, seenY := map[int]bool{}, map[int]bool{}
	differ := false
	for b := 0; b < n; b++ {
		img, src := batch[b*3*plane:(b+1)*3*plane], orig[b*3*plane:(b+1)*3*plane]
		dx, dy, ok := findOffset(img, src, size, maxShift)
		if !ok {
			t.Fatalf("image %d is not a mirrored translation of its original by at most %d pixels", b, maxShift)
		}
		seenX[dx], seenY[dy] = true, true
		differ = differ || dx != dy
	}
	for _, d := range []int{-maxShift, maxShift} {
		if !seenX[d] {
			t.Errorf("no image moved by %d pixels along x", d)
		}
		if !seenY[d] {
			t.Errorf("no image moved by %d pixels along y", d)
		}
	}
	if !differ {
		t.Error("every image moved by the same offset along x and y")
	}
}

// findOffset returns the offset (dx, dy) in [-limit,limit] under which
// img is src translated with mirrored edges, in all three channels.
func findOffset(img, src []float32, size, limit int) (dx, dy int, ok bool) {
	plane := size * size
	for dy := -limit; dy <= limit; dy++ {
		for dx := -limit; dx <= limit; dx++ {
			match := true
			for c := 0; c < 3 && match; c++ {
				for y := 0; y < size && match; y++ {
					for x := 0; x < size && match; x++ {
						match = img[c*plane+y*size+x] == src[c*plane+mirror(y+dy, size)*size+mirror(x+dx, size)]
					}
				}
			}
			if match {
				return dx, dy, true
			}
		}
	}
	return 0, 0, false
}

func TestShiftZeroLeavesBatch(t *testing.T) {
	batch := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	want := append([]float32(nil), batch...)
	shift(rand.New(rand.NewPCG(1, 1)), batch, 1, 2, 0)
	for i := range batch {
		if batch[i] != want[i] {
			t.Fatalf("shift with limit 0 changed pixel %d from %g to %g", i, want[i], batch[i])
		}
	}
}
