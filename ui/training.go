package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

var _ fyne.Widget = (*TrainingTab)(nil)

// TrainingTab lets the user train a model set: data and output folders,
// parameters, Start, Pause and Cancel, a live loss plot, generated samples,
// the time left, and "Use these models" once a run has finished.
type TrainingTab struct {
	widget.BaseWidget

	// ChooseFolder lets the user pick a folder and calls set with it.
	ChooseFolder func(set func(dir string))

	// OnUseModels loads the model set in dir into the viewer.
	OnUseModels func(dir string) error

	// OnError shows an error to the user.
	OnError func(error)

	trainer Trainer
	note    string

	name, dataDir, runDir, exportDir      *widget.Entry
	batch, encEpochs, ganEpochs, lr, maxS *widget.Entry
	seed                                  *widget.Entry
	setting                               *widget.Select

	startBt, pauseBt, cancelBt, useBt *widget.Button
	progress                          *widget.ProgressBar
	status                            *widget.Label
	plot                              *LossPlot
	sample                            *canvas.Image

	running bool
	paused  bool
	phase   string
	cancel  context.CancelFunc
	result  *TrainResult
	content fyne.CanvasObject
}

// NewTrainingTab returns the training tab for trainer; when trainer is nil
// the tab explains why with note.
func NewTrainingTab(trainer Trainer, note string) *TrainingTab {
	t := &TrainingTab{trainer: trainer, note: note}
	t.build()
	t.ExtendBaseWidget(t)
	return t
}

// CreateRenderer is part of fyne.Widget.
func (t *TrainingTab) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(t.content)
}

func (t *TrainingTab) build() {
	if t.trainer == nil {
		msg := "Training is not available"
		if t.note != "" {
			msg += ": " + t.note
		}
		l := widget.NewLabel(msg)
		l.Wrapping = fyne.TextWrapWord
		t.content = container.NewVBox(l)
		return
	}
	d := t.trainer.Defaults()
	t.name = entryWith(d.Name)
	t.dataDir = entryWith(d.DataDir)
	t.runDir = entryWith(d.RunDir)
	t.exportDir = entryWith(d.ExportDir)
	t.batch = entryWith(strconv.Itoa(d.BatchSize))
	t.encEpochs = entryWith(strconv.Itoa(d.EncoderEpochs))
	t.ganEpochs = entryWith(strconv.Itoa(d.GANEpochs))
	t.lr = entryWith(strconv.FormatFloat(d.LearningRate, 'g', -1, 64))
	t.maxS = entryWith(strconv.Itoa(d.MaxSteps))
	t.seed = entryWith(strconv.FormatInt(d.Seed, 10))
	t.setting = widget.NewSelect(t.trainer.Settings(), nil)
	t.setting.SetSelected(d.Setting)

	t.startBt = widget.NewButtonWithIcon("Start", theme.MediaPlayIcon(), t.Start)
	t.startBt.Importance = widget.HighImportance
	t.pauseBt = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), t.TogglePause)
	t.cancelBt = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), t.Cancel)
	t.cancelBt.Importance = widget.DangerImportance
	t.useBt = widget.NewButtonWithIcon("Use these models", theme.ConfirmIcon(), t.useModels)
	t.pauseBt.Disable()
	t.cancelBt.Disable()
	t.useBt.Disable()
	t.progress = widget.NewProgressBar()
	t.status = widget.NewLabel("Not started.")
	t.status.Wrapping = fyne.TextWrapWord
	t.plot = NewLossPlot()
	t.sample = canvas.NewImageFromImage(nil)
	t.sample.FillMode = canvas.ImageFillContain
	t.sample.ScaleMode = canvas.ImageScalePixels
	t.sample.SetMinSize(fyne.NewSize(256, 256))

	form := widget.NewForm(
		widget.NewFormItem("Model set name", t.name),
		widget.NewFormItem("Data setting", t.setting),
		widget.NewFormItem("Data folder", t.folderRow(t.dataDir)),
		widget.NewFormItem("Run folder", t.folderRow(t.runDir)),
		widget.NewFormItem("Export folder", t.folderRow(t.exportDir)),
		widget.NewFormItem("Batch size", t.batch),
		widget.NewFormItem("Encoder epochs", t.encEpochs),
		widget.NewFormItem("GAN epochs", t.ganEpochs),
		widget.NewFormItem("Learning rate", t.lr),
		widget.NewFormItem("Max GAN steps (0: no limit)", t.maxS),
		widget.NewFormItem("Seed", t.seed),
	)
	buttons := container.NewHBox(t.startBt, t.pauseBt, t.cancelBt, t.useBt)
	left := container.NewVBox(form, buttons, t.progress, t.status)
	right := container.NewBorder(
		widget.NewLabelWithStyle("Losses", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil,
		container.NewVSplit(t.plot, container.NewBorder(
			widget.NewLabelWithStyle("Generated samples", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, t.sample)),
	)
	split := container.NewHSplit(container.NewVScroll(left), right)
	split.Offset = 0.4
	t.content = split
}

func entryWith(text string) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(text)
	return e
}

func (t *TrainingTab) folderRow(e *widget.Entry) fyne.CanvasObject {
	browse := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() {
		if t.ChooseFolder != nil {
			t.ChooseFolder(func(dir string) { e.SetText(dir) })
		}
	})
	return container.NewBorder(nil, nil, nil, browse, e)
}

// Config reads the parameters from the form.
func (t *TrainingTab) Config() (TrainConfig, error) {
	if t.trainer == nil {
		return TrainConfig{}, errors.New("training is not available")
	}
	var problems []string
	atoi := func(field string, e *widget.Entry, min int) int {
		v, err := strconv.Atoi(strings.TrimSpace(e.Text))
		if err != nil || v < min {
			problems = append(problems, fmt.Sprintf("%s must be a whole number of at least %d, got %q", field, min, e.Text))
		}
		return v
	}

	cfg := TrainConfig{
		Name:          strings.TrimSpace(t.name.Text),
		Setting:       t.setting.Selected,
		DataDir:       strings.TrimSpace(t.dataDir.Text),
		RunDir:        strings.TrimSpace(t.runDir.Text),
		ExportDir:     strings.TrimSpace(t.exportDir.Text),
		BatchSize:     atoi("Batch size", t.batch, 1),
		EncoderEpochs: atoi("Encoder epochs", t.encEpochs, 0),
		GANEpochs:     atoi("GAN epochs", t.ganEpochs, 1),
		MaxSteps:      atoi("Max GAN steps", t.maxS, 0),
	}

	lr, err := strconv.ParseFloat(strings.TrimSpace(t.lr.Text), 64)
	if err != nil || !(lr > 0) || lr > 1 {
		problems = append(problems, fmt.Sprintf("Learning rate must be a number in (0, 1], got %q", t.lr.Text))
	}
	cfg.LearningRate = lr
	seed, err := strconv.ParseInt(strings.TrimSpace(t.seed.Text), 10, 64)
	if err != nil {
		problems = append(problems, fmt.Sprintf("Seed must be a whole number, got %q", t.seed.Text))
	}
	cfg.Seed = seed

	for field, v := range map[string]string{"Model set name": cfg.Name, "Data folder": cfg.DataDir, "Run folder": cfg.RunDir, "Export folder": cfg.ExportDir} {
		if v == "" {
			problems = append(problems, field+" is empty")
		}
	}
	if cfg.Setting == "" {
		problems = append(problems, "choose a data setting")
	}
	if len(problems) > 0 {
		return cfg, errors.New("invalid training parameters: " + strings.Join(problems, "; "))
	}
	return cfg, nil
}

// Running reports whether a run is in progress.
func (t *TrainingTab) Running() bool { return t.running }

// Status returns the status line, for tests.
func (t *TrainingTab) Status() string {
	if t.status == nil {
		return ""
	}
	return t.status.Text
}

// Start starts a run with the form's parameters.
func (t *TrainingTab) Start() {
	if t.trainer == nil || t.running {
		return
	}
	cfg, err := t.Config()
	if err != nil {
		t.status.SetText(err.Error())
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	t.running, t.paused, t.result, t.phase = true, false, nil, ""
	t.trainer.SetPaused(false)
	t.plot.Reset()
	t.progress.SetValue(0)
	t.status.SetText("Starting…")
	t.startBt.Disable()
	t.pauseBt.Enable()
	t.pauseBt.SetText("Pause")
	t.cancelBt.Enable()
	t.useBt.Disable()
	trainer := t.trainer
	go func() {
		res, err := trainer.Train(ctx, cfg, t.onEvent)
		doOnUI(func() { t.finished(res, err) })
	}()
}

// onEvent runs on the training goroutine: it reads any sample grid there,
// then hands the event to the UI.
func (t *TrainingTab) onEvent(ev TrainEvent) {
	var sample image.Image
	if ev.SampleGridPath != "" {
		sample, _ = loadPNG(ev.SampleGridPath)
	}
	doOnUI(func() { t.show(ev, sample) })
}

func loadPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}

func (t *TrainingTab) show(ev TrainEvent, sample image.Image) {
	if !t.running {
		return
	}
	if ev.Phase != t.phase {
		t.phase = ev.Phase
		t.plot.Reset()
	}
	if len(ev.Losses) > 0 {
		t.plot.Add(ev.Step, ev.Losses)
	}
	if ev.Steps > 0 {
		t.progress.SetValue(float64(ev.Step) / float64(ev.Steps))
	}
	if sample != nil {
		t.sample.Image = sample
		t.sample.Refresh()
	}
	t.status.SetText(describeTrainEvent(ev, t.paused))
}

func describeTrainEvent(ev TrainEvent, paused bool) string {
	s := "Phase " + ev.Phase
	if ev.Epochs > 0 {
		s += fmt.Sprintf(", epoch %d/%d", ev.Epoch+1, ev.Epochs)
	}
	if ev.Steps > 0 {
		s += fmt.Sprintf(", step %d/%d", ev.Step, ev.Steps)
	}
	s += ", elapsed " + formatDuration(ev.Elapsed)
	if ev.ETA > 0 {
		s += ", about " + formatDuration(ev.ETA) + " left in this phase"
	}
	if ev.Message != "" {
		s += ". " + ev.Message
	}
	if paused {
		s += " (paused)"
	}
	return s
}

// TogglePause pauses or resumes the run between steps.
func (t *TrainingTab) TogglePause() {
	if !t.running {
		return
	}
	t.paused = !t.paused
	t.trainer.SetPaused(t.paused)
	if t.paused {
		t.pauseBt.SetText("Resume")
		t.pauseBt.SetIcon(theme.MediaPlayIcon())
		t.status.SetText(t.status.Text + " (pausing after this step)")
	} else {
		t.pauseBt.SetText("Pause")
		t.pauseBt.SetIcon(theme.MediaPauseIcon())
	}
}

// Cancel stops the run; the trainer saves a checkpoint first.
func (t *TrainingTab) Cancel() {
	if !t.running || t.cancel == nil {
		return
	}
	t.status.SetText("Cancelling after the current step…")
	t.cancel()
	if t.paused {
		t.trainer.SetPaused(false)
	}
}

func (t *TrainingTab) finished(res TrainResult, err error) {
	defer func() { t.running, t.paused = false, false }()
	t.startBt.Enable()
	t.pauseBt.Disable()
	t.pauseBt.SetText("Pause")
	t.cancelBt.Disable()
	switch {
	case err == nil:
		t.result = &res
		t.progress.SetValue(1)
		t.status.SetText(fmt.Sprintf("Finished: model set %s written to %s.", res.Name, res.ModelSetDir))
		t.useBt.Enable()
	case errors.Is(err, context.Canceled):
		t.status.SetText("Cancelled; the last checkpoint is kept, so Start resumes from it.")
	default:
		t.status.SetText("Training failed: " + err.Error())
	}
}

func (t *TrainingTab) useModels() {
	if t.result == nil || t.OnUseModels == nil {
		return
	}
	if err := t.OnUseModels(t.result.ModelSetDir); err != nil {
		if t.OnError != nil {
			t.OnError(err)
		}
		t.status.SetText("Could not load the new models: " + err.Error())
		return
	}
	t.status.SetText(fmt.Sprintf("The viewer now uses model set %s.", t.result.Name))
}
