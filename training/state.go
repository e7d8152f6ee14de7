package training

// runState is the progress of a run: its phase, step counts, wall time
// and metrics. Every checkpoint contains it.
type runState struct {
	ConfigHash  string
	EncoderHash string // Config.EncoderHash of the run that trained the encoder
	Phase       string // the phase in progress (PhaseEncoder .. PhaseDone)
	Epoch       int    // epoch in progress within the phase
	Step        int    // steps done within the phase

	EncoderSteps int
	GANSteps     int
	// GuideSteps is the number of training steps of the stored guide
	// (Arch.GuideWeight); 0 when there is none.
	GuideSteps int
	// ClassifierAtGANStep is the GAN step the stored classifier was
	// trained after; -1 when there is none.
	ClassifierAtGANStep int
	// ClassifierNoiseScale is the Config.NoiseScale of the views the
	// stored classifier was trained on. Checkpoints written before the
	// setting existed have 0, which counts as 1.
	ClassifierNoiseScale float64

	ElapsedSeconds float64
	Metrics        map[string]float64
}

// classifierCurrent reports whether the stored land-use classifier was
// trained after the current GAN step on views at noiseScale.
func (st runState) classifierCurrent(noiseScale float64) bool {
	trained := st.ClassifierNoiseScale
	if trained == 0 {
		trained = 1
	}
	return st.ClassifierAtGANStep == st.GANSteps && trained == noiseScale
}
