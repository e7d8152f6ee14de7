package ui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

var _ fyne.Widget = (*JobBar)(nil)

// progressInterval limits how often a running job repaints its progress.
const progressInterval = 100 * time.Millisecond

// JobBar shows the one long job that runs at a time (land-use overlay,
// export, opening a file): its name, done/total, an estimate of the time
// left, and a Cancel button that stays on screen while the job runs.
type JobBar struct {
	widget.BaseWidget

	label    *widget.Label
	bar      *widget.ProgressBar
	cancelBt *widget.Button

	mu      sync.Mutex
	current *Job
}

// NewJobBar returns an idle job bar.
func NewJobBar() *JobBar {
	b := &JobBar{
		label: widget.NewLabel("No job running"),
		bar:   widget.NewProgressBar(),
	}
	b.cancelBt = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), b.Cancel)
	b.cancelBt.Importance = widget.DangerImportance
	b.cancelBt.Disable()
	b.ExtendBaseWidget(b)
	return b
}

// CreateRenderer is part of fyne.Widget.
func (b *JobBar) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, b.label, b.cancelBt, b.bar))
}

// Job is a running job shown in a JobBar. Its methods may be called from
// any goroutine.
type Job struct {
	bar    *JobBar
	name   string
	total  int
	start  time.Time
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	done     int
	lastDraw time.Time
	finished bool
}

// ErrJobRunning is returned by Start while another job runs.
var ErrJobRunning = errors.New("another job is running; cancel it or wait for it to finish")

// Start shows a new job of total steps (0 when unknown) and returns it
// with a context that Cancel ends. It runs on the UI goroutine.
func (b *JobBar) Start(parent context.Context, name string, total int) (*Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.current != nil {
		return nil, fmt.Errorf("start %s: %w (%s)", name, ErrJobRunning, b.current.name)
	}
	ctx, cancel := context.WithCancel(parent)
	j := &Job{bar: b, name: name, total: total, start: time.Now(), ctx: ctx, cancel: cancel}
	b.current = j
	b.label.SetText(j.text(0))
	b.bar.SetValue(0)
	b.cancelBt.Enable()
	return j, nil
}

// Running reports whether a job runs.
func (b *JobBar) Running() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.current != nil
}

// Cancel cancels the running job, if any.
func (b *JobBar) Cancel() {
	b.mu.Lock()
	j := b.current
	b.mu.Unlock()
	if j != nil {
		j.cancel()
		b.label.SetText(j.name + ": cancelling…")
	}
}

// Text returns the job bar's label text, for tests.
func (b *JobBar) Text() string { return b.label.Text }

// Context returns the job's context, cancelled by the Cancel button.
func (j *Job) Context() context.Context { return j.ctx }

// Progress records that done of total steps are finished and repaints the
// bar at most every 100 ms.
func (j *Job) Progress(done int) {
	j.mu.Lock()
	j.done = done
	if j.finished || time.Since(j.lastDraw) < progressInterval {
		j.mu.Unlock()
		return
	}
	j.lastDraw = time.Now()
	j.mu.Unlock()
	doOnUI(func() { j.draw(done) })
}

// SetTotal sets the number of steps once the job has counted them.
func (j *Job) SetTotal(total int) {
	j.mu.Lock()
	j.total = total
	j.mu.Unlock()
}

func (j *Job) draw(done int) {
	j.mu.Lock()
	finished, total := j.finished, j.total
	j.mu.Unlock()
	if finished {
		return
	}
	j.bar.label.SetText(j.text(done))
	if total > 0 {
		j.bar.bar.SetValue(float64(done) / float64(total))
	}
}

// text describes the job's progress, with an estimate of the time left
// from the average time per step so far.
func (j *Job) text(done int) string {
	j.mu.Lock()
	total := j.total
	j.mu.Unlock()
	if total <= 0 {
		return j.name + "…"
	}
	s := fmt.Sprintf("%s: %d/%d", j.name, done, total)
	if eta, ok := estimateRemaining(time.Since(j.start), done, total); ok {
		s += ", about " + formatDuration(eta) + " left"
	}
	return s
}

// estimateRemaining extrapolates the time left from the elapsed time per
// finished step; ok is false before the first step finishes.
func estimateRemaining(elapsed time.Duration, done, total int) (time.Duration, bool) {
	if done <= 0 || total <= 0 || done > total {
		return 0, false
	}
	per := elapsed / time.Duration(done)
	return per * time.Duration(total-done), true
}

// formatDuration prints d as m:ss or h:mm:ss.
func formatDuration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Finish ends the job and shows how it ended: done, cancelled or failed.
// It may be called from any goroutine, once.
func (j *Job) Finish(err error) {
	j.mu.Lock()
	if j.finished {
		j.mu.Unlock()
		return
	}
	j.finished = true
	done, total := j.done, j.total
	j.mu.Unlock()
	j.cancel()

	doOnUI(func() {
		b := j.bar
		b.mu.Lock()
		if b.current == j {
			b.current = nil
		}
		b.mu.Unlock()
		b.cancelBt.Disable()
		b.label.SetText(j.result(done, total, err))
		if err == nil {
			b.bar.SetValue(1)
		}
	})
}

func (j *Job) result(done, total int, err error) string {
	took := formatDuration(time.Since(j.start))
	switch {
	case err == nil && total > 0:
		return fmt.Sprintf("%s: done, %d/%d in %s", j.name, done, total, took)
	case err == nil:
		return fmt.Sprintf("%s: done in %s", j.name, took)
	case errors.Is(err, context.Canceled) && total > 0:
		return fmt.Sprintf("%s: cancelled after %d/%d", j.name, done, total)
	case errors.Is(err, context.Canceled):
		return j.name + ": cancelled"
	default:
		return fmt.Sprintf("%s failed: %v", j.name, err)
	}
}
