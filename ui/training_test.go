package ui

import (
	"context"
	"image"
	"image/color"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// stepTrainer emits one event per step with falling losses, writes a sample
// grid at step 3, and honours SetPaused between steps.
type stepTrainer struct {
	steps      int
	samplePath string

	mu      sync.Mutex
	paused  bool
	resumed chan struct{}
	done    int
}

func (s *stepTrainer) Defaults() TrainConfig {
	return TrainConfig{Name: "test-set", Setting: "landsat", DataDir: "data", RunDir: "runs/x", ExportDir: "out/x",
		BatchSize: 4, EncoderEpochs: 1, GANEpochs: 2, LearningRate: 2e-4, Seed: 1}
}

func (s *stepTrainer) Settings() []string { return []string{"landsat", "ucmerced"} }

func (s *stepTrainer) SetPaused(p bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p && !s.paused {
		s.resumed = make(chan struct{})
	}
	if !p && s.paused {
		close(s.resumed)
	}
	s.paused = p
}

func (s *stepTrainer) wait(ctx context.Context) error {
	s.mu.Lock()
	paused, ch := s.paused, s.resumed
	s.mu.Unlock()
	if paused {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	return ctx.Err()
}

func (s *stepTrainer) Train(ctx context.Context, cfg TrainConfig, emit func(TrainEvent)) (TrainResult, error) {
	for step := 1; step <= s.steps; step++ {
		if err := s.wait(ctx); err != nil {
			return TrainResult{}, err
		}
		time.Sleep(2 * time.Millisecond)
		ev := TrainEvent{Phase: "gan", Step: step, Steps: s.steps, Elapsed: time.Duration(step) * time.Second,
			ETA: time.Duration(s.steps-step) * time.Second, Losses: map[string]float64{"d": 1 / float64(step), "g": 2 / float64(step)}}
		if step == 3 && s.samplePath != "" {
			ev.SampleGridPath = s.samplePath
		}
		emit(ev)
		s.mu.Lock()
		s.done = step
		s.mu.Unlock()
	}
	return TrainResult{ModelSetDir: cfg.ExportDir, Name: cfg.Name}, nil
}

func (s *stepTrainer) stepsDone() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

func newTrainingTab(t *testing.T, tr Trainer) *TrainingTab {
	t.Helper()
	test.NewTempApp(t)
	tab := NewTrainingTab(tr, "")
	w := test.NewTempWindow(t, tab)
	w.Resize(fyne.NewSize(1000, 700))
	return tab
}

func TestTrainingTabRunsAndPlots(t *testing.T) {
	sample := filepath.Join(t.TempDir(), "samples.png")
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.White)
	if err := writePNG(sample, img); err != nil {
		t.Fatal(err)
	}
	tr := &stepTrainer{steps: 10, samplePath: sample}
	tab := newTrainingTab(t, tr)
	var used string
	tab.OnUseModels = func(dir string) error { used = dir; return nil }

	onUI(func() { test.Tap(tab.startBt) })
	waitFor(t, "training end", func() bool { return !tab.Running() })
	if got := tab.plot.Len("d"); got != 10 {
		t.Errorf("plot has %d points of loss d, want 10", got)
	}
	if tab.sample.Image == nil {
		t.Error("sample grid not shown")
	}
	if !strings.Contains(tab.Status(), "Finished") {
		t.Errorf("status %q after the run", tab.Status())
	}
	if tab.useBt.Disabled() {
		t.Fatal("Use these models is disabled after a finished run")
	}
	onUI(func() { test.Tap(tab.useBt) })
	if used != "out/x" {
		t.Errorf("OnUseModels got %q, want out/x", used)
	}
}

func TestTrainingTabPauseAndCancel(t *testing.T) {
	tr := &stepTrainer{steps: 100000}
	tab := newTrainingTab(t, tr)
	onUI(func() { test.Tap(tab.startBt) })
	waitFor(t, "first steps", func() bool { return tr.stepsDone() > 2 })
	onUI(func() { test.Tap(tab.pauseBt) })
	time.Sleep(20 * time.Millisecond)
	pausedAt := tr.stepsDone()
	time.Sleep(30 * time.Millisecond)
	if got := tr.stepsDone(); got > pausedAt+1 {
		t.Errorf("training advanced from %d to %d steps while paused", pausedAt, got)
	}
	if tab.pauseBt.Text != "Resume" {
		t.Errorf("pause button says %q while paused", tab.pauseBt.Text)
	}
	onUI(func() { test.Tap(tab.cancelBt) })
	waitFor(t, "cancelled run", func() bool { return !tab.Running() })
	if !strings.Contains(tab.Status(), "Cancelled") {
		t.Errorf("status %q after Cancel", tab.Status())
	}
	if !tab.useBt.Disabled() {
		t.Error("Use these models is enabled after a cancelled run")
	}
}

func TestTrainingTabRejectsBadParameters(t *testing.T) {
	tab := newTrainingTab(t, &stepTrainer{steps: 1})
	tab.batch.SetText("zero")
	tab.lr.SetText("-1")
	onUI(func() { test.Tap(tab.startBt) })
	if tab.Running() {
		t.Fatal("training started with invalid parameters")
	}
	for _, want := range []string{"Batch size must be a whole number", "Learning rate must be a number"} {
		if !strings.Contains(tab.Status(), want) {
			t.Errorf("status %q lacks %q", tab.Status(), want)
		}
	}
}

func TestTrainingTabWithoutTrainer(t *testing.T) {
	test.NewTempApp(t)
	tab := NewTrainingTab(nil, "this build has no training support")
	texts := strings.Join(textsOf(tab.content), " ")
	if !strings.Contains(texts, "this build has no training support") {
		t.Errorf("tab says %q, want the reason", texts)
	}
}

func TestBucketPoints(t *testing.T) {
	pts := make([]plotPoint, 1000)
	for i := range pts {
		pts[i] = plotPoint{Step: i + 1, Value: float64(i % 2)}
	}
	got := bucketPoints(pts, 200)
	if len(got) != 200 {
		t.Fatalf("%d points, want 200", len(got))
	}
	if got[199].Step != 1000 || got[0].Value != 0.4 && got[0].Value != 0.6 {
		t.Errorf("last step %d, first value %v", got[199].Step, got[0].Value)
	}
}
