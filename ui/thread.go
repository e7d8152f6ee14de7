package ui

import "fyne.io/fyne/v2"

// doOnUI hands f to the UI goroutine. It is fyne.Do, which the tests
// replace: Fyne's headless driver runs fyne.Do callbacks at once on the
// calling goroutine, so callbacks from two goroutines could overlap.
var doOnUI = fyne.Do
