// Package models holds the shipped model sets, embedded in the binary, and
// the manifest types that describe every model file: role, tensor names and
// shapes, input normalisation, the overhead ground resolution and patch size
// an encoder expects, class names and colours, the file's sha256, and how the
// model was trained.
//
// A model set is a folder with a set.json (SetSpec), one model per Role, a
// JSON manifest beside each .onnx file, and a model card. The package reads
// and validates these with the standard library only; it never loads a model
// into a runtime.
package models
