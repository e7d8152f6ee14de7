package training

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lossLog appends rows to a CSV file of loss values. Reopening it after a
// resume drops rows whose step is beyond the checkpoint's, so a curve has
// no duplicated steps.
type lossLog struct {
	f *os.File
	w *bufio.Writer
}

// openLossLog opens path for appending with the given header, keeping only
// rows whose first field (the step) is at most keepSteps.
func openLossLog(path string, header []string, keepSteps int) (*lossLog, error) {
	var kept []string
	if data, err := os.ReadFile(path); err == nil {
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		for i, line := range lines {
			if i == 0 {
				continue
			}
			step, err := strconv.Atoi(strings.SplitN(line, ",", 2)[0])
			if err == nil && step <= keepSteps {
				kept = append(kept, line)
			}
		}
	}
	content := strings.Join(header, ",") + "\n"
	for _, line := range kept {
		content += line + "\n"
	}
	if err := writeFileAtomic(path, func(w *bufio.Writer) error {
		_, err := w.WriteString(content)
		return err
	}); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open loss log: %w", err)
	}
	return &lossLog{f: f, w: bufio.NewWriter(f)}, nil
}

// add writes one row and flushes it.
func (l *lossLog) add(values ...float64) error {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = strconv.FormatFloat(v, 'g', 6, 64)
	}
	if _, err := l.w.WriteString(strings.Join(parts, ",") + "\n"); err != nil {
		return err
	}
	return l.w.Flush()
}

// Close closes the file; it is safe to call twice.
func (l *lossLog) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.w.Flush()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// chwToRGBA converts a normalised [3,n,n] image in [-1,1] to RGBA.
func chwToRGBA(data []float32, n int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	plane := n * n
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			o := img.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				v := (data[c*plane+y*n+x] + 1) * 127.5
				img.Pix[o+c] = uint8(min(max(v+0.5, 0), 255))
			}
			img.Pix[o+3] = 255
		}
	}
	return img
}

// writeGrid writes rows of equally sized [3,n,n] images as one PNG with
// 2 px gaps.
func writeGrid(path string, rows [][][]float32, n int) error {
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	const gap = 2
	grid := image.NewRGBA(image.Rect(0, 0, cols*(n+gap)+gap, len(rows)*(n+gap)+gap))
	for i := range grid.Pix {
		grid.Pix[i] = 255
	}
	for r, row := range rows {
		for c, data := range row {
			tile := chwToRGBA(data, n)
			for y := 0; y < n; y++ {
				for x := 0; x < n; x++ {
					grid.Set(gap+c*(n+gap)+x, gap+r*(n+gap)+y, tile.At(x, y).(color.RGBA))
				}
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(path, func(w *bufio.Writer) error { return png.Encode(w, grid) })
}
