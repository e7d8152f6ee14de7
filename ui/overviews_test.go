package ui

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// overviewSource reports NeedsOverviews until built is set.
type overviewSource struct {
	*pngSource
	built *atomic.Bool
}

func (s overviewSource) Info() SourceInfo {
	info := s.pngSource.Info()
	info.NeedsOverviews = !s.built.Load()
	return info
}

// tapButton taps the button labelled text in the top overlay (a dialog).
func tapButton(t *testing.T, c fyne.Canvas, text string) {
	t.Helper()
	top := c.Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog is open to tap %q in", text)
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("the dialog has no %q button", text)
}

func TestViewerOffersOverviews(t *testing.T) {
	test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(1200, 800))
	src := loadOlinda(t)
	built := &atomic.Bool{}
	var calls atomic.Int32
	svc := Services{
		OpenScene: func(ctx context.Context, path string, opt OpenOptions) (*Scene, error) {
			s := overviewSource{pngSource: src, built: built}
			return &Scene{Source: s, Grid: newSquareGrid(s.Info().Extent, 570)}, nil
		},
		BuildOverviews: func(ctx context.Context, path string, progress func(float64)) error {
			calls.Add(1)
			for i := 1; i <= 4; i++ {
				progress(float64(i) / 4)
			}
			built.Store(true)
			return nil
		},
	}

	v := newViewer(t, win, svc)
	opened := make(chan error, 2)
	v.OnSceneOpened = func(err error) { opened <- err }
	onUI(func() { v.Open("testdata/olinda-321.png") })
	select {
	case <-opened:
	case <-time.After(5 * time.Second):
		t.Fatal("scene did not open")
	}

	onUI(func() { tapButton(t, win.Canvas(), "Yes") })
	select {
	case err := <-opened:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("scene was not reopened after building overviews")
	}
	if calls.Load() != 1 {
		t.Errorf("BuildOverviews called %d times, want 1", calls.Load())
	}
	if v.Map.Scene().Source.Info().NeedsOverviews {
		t.Error("reopened scene still needs overviews")
	}
}
