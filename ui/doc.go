// Package ui holds the Fyne widgets and windows of the Down There viewer.
// They are the map, the layers panel and legend, the status bar, the cell
// panel with generated ground-level views, the land-use overlay job, the
// export dialog, the project file and the training tab.
//
// The package never imports fyne.io/fyne/v2/app or any package that needs
// cgo, so its tests run with Fyne's headless driver and CGO_ENABLED=0. What
// it needs from GDAL, ONNX Runtime and GoMLX it reaches through the small
// interfaces in sources.go ([MapSource], [Grid], [ViewGenerator],
// [Classifier], [Exporter], [Trainer] and the layer interfaces); the
// command in cmd/viewer implements them on top of packages geodata,
// inference and training.
//
// # Coordinates
//
//   - Map coordinates ([MapPoint], [MapRect]) are x,y in the scene's CRS and
//     units, x east and y north. Views are always north-up.
//   - Device pixels are the pixels of the rendered frame: (0,0) is the
//     top-left corner of the widget, y grows downwards. A [View] is sized in
//     device pixels, so a frame is rendered at the canvas scale and stays
//     sharp on HiDPI screens.
//   - Fyne positions (logical pixels) are device pixels divided by the
//     canvas scale.
//
// # Threads
//
// Rendering, model calls, exports and training run on goroutines. Each
// hands its finished result to Fyne with fyne.Do: the map hands over one
// frame per fyne.Do call, and the draw path only lays out images that are
// already in memory. Nothing in this package logs; the map reports frame
// timings through [Map.SetFrameObserver] and every failure is returned or
// shown to the user.
package ui
