package training

import (
	"context"
	"sync"
	"time"
)

// Phases of a training run, in order.
const (
	PhaseData       = "data"
	PhaseEncoder    = "encoder"
	PhaseConditions = "conditions"
	PhaseGuide      = "guide"
	PhaseGAN        = "gan"
	PhaseClassifier = "classifier"
	PhaseExport     = "export"
	PhaseDone       = "done"
)

// Event reports training progress. A run sends one per step and one at
// each phase change. The callback runs on the training goroutine, so it
// must return quickly: hand the event to the UI and return.
type Event struct {
	Phase  string
	Epoch  int // 0-based epoch within the phase
	Epochs int // epochs in the phase
	Step   int // steps done in the phase, over all epochs
	Steps  int // steps in the phase, over all epochs

	// Losses holds the latest losses by name ("loss" for the encoder and
	// classifier; "d", "g", "d_real", "d_fake", "aux_real" for the GAN).
	Losses map[string]float64

	Elapsed time.Duration // wall time of the whole run, resumed runs included
	ETA     time.Duration // estimated time left in the phase; 0 when unknown

	// SampleGrid is the path of the sample grid PNG written at the end of
	// a GAN epoch, empty otherwise.
	SampleGrid string
	Message    string
}

// Options are the controls of a run besides its Config.
type Options struct {
	// Progress receives events; nil discards them.
	Progress func(Event)
	// Pause, when not nil, holds the run between steps while paused.
	Pause *Pauser
	// GANTimeLimit, when positive, ends the GAN phase of this invocation
	// after the first step past that much wall time. The run then trains
	// the classifier and exports, and a later invocation resumes the GAN.
	GANTimeLimit time.Duration
}

func (o Options) emit(ev Event) {
	if o.Progress != nil {
		o.Progress(ev)
	}
}

// Pauser pauses and resumes a run between steps. The zero value is a
// running (not paused) Pauser; it is safe for concurrent use.
type Pauser struct {
	mu      sync.Mutex
	paused  bool
	resumed chan struct{}
}

// Pause holds the run at its next step boundary.
func (p *Pauser) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.paused {
		p.paused = true
		p.resumed = make(chan struct{})
	}
}

// Resume lets a paused run continue.
func (p *Pauser) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused {
		p.paused = false
		close(p.resumed)
	}
}

// Paused reports whether the run is held.
func (p *Pauser) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

// wait blocks while paused; it returns ctx.Err() if ctx ends first.
func (p *Pauser) wait(ctx context.Context) error {
	if p == nil {
		return ctx.Err()
	}
	p.mu.Lock()
	ch := p.resumed
	paused := p.paused
	p.mu.Unlock()
	if paused {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	return ctx.Err()
}
