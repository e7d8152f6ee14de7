package evaluation

import "testing"

// TestImageSetShifted checks the augmentation's translation, edge repeat
// and mirror on a 3x3 image whose pixel at row y, column x is 10*y + x in
// every channel.
func TestImageSetShifted(t *testing.T) {
	set := &imageSet{Size: 3, Pix: make([]uint8, 27), Labels: []int{0}, Names: []string{"grid"}}
	for c := range 3 {
		for y := range 3 {
			for x := range 3 {
				set.Pix[c*9+y*3+x] = uint8(10*y + x)
			}
		}
	}
	value := func(v int) float32 { return float32(v)/127.5 - 1 }

	tests := []struct {
		name   string
		flip   bool
		dx, dy int
		want   [9]int // channel 0, row by row, before scaling to [-1, 1]
	}{
		{"identity", false, 0, 0, [9]int{0, 1, 2, 10, 11, 12, 20, 21, 22}},
		{"left by one", false, 1, 0, [9]int{1, 2, 2, 11, 12, 12, 21, 22, 22}},
		{"down by one", false, 0, -1, [9]int{0, 1, 2, 0, 1, 2, 10, 11, 12}},
		{"beyond the edge", false, 5, 5, [9]int{22, 22, 22, 22, 22, 22, 22, 22, 22}},
		{"mirrored", true, 0, 0, [9]int{2, 1, 0, 12, 11, 10, 22, 21, 20}},
		{"shifted after the mirror", true, 1, 0, [9]int{1, 0, 0, 11, 10, 10, 21, 20, 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := set.shifted(0, tt.flip, tt.dx, tt.dy)
			if len(got) != 27 {
				t.Fatalf("got %d values, want 27", len(got))
			}
			for i, w := range tt.want {
				if got[i] != value(w) || got[18+i] != value(w) {
					t.Errorf("pixel %d: got %g (channel 2: %g), want %g", i, got[i], got[18+i], value(w))
				}
			}
		})
	}
}
