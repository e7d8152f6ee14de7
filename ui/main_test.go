package ui

import (
	"os"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
)

// uiLock replaces Fyne's UI goroutine in tests. Fyne's headless driver
// runs fyne.Do callbacks at once on the calling goroutine, so every
// callback holds this lock, and so does every test step that touches
// widgets while work runs in the background.
var uiLock sync.Mutex

func TestMain(m *testing.M) {
	doOnUI = func(f func()) {
		uiLock.Lock()
		defer uiLock.Unlock()
		f()
	}
	os.Exit(m.Run())
}

// onUI runs f as if on the UI goroutine.
func onUI(f func()) {
	uiLock.Lock()
	defer uiLock.Unlock()
	f()
}

// newViewer builds a viewer under uiLock and closes it with closeViewer
// when the test ends.
func newViewer(t *testing.T, win fyne.Window, svc Services) *Viewer {
	var v *Viewer
	onUI(func() { v = NewViewer(win, svc) })
	t.Cleanup(func() { closeViewer(v) })
	return v
}

// closeViewer closes v without deadlocking on uiLock: the panel's goroutines
// and the render worker hand results over through doOnUI, so they finish outside it.
func closeViewer(v *Viewer) {
	onUI(v.Cells.Clear)
	v.Cells.WaitBackground()
	v.Map.Close()
	onUI(v.Close)
}
