// Package inference runs the Down There models (overhead encoder,
// ground-level view generator, discriminator features and land-use
// classifier) through ONNX Runtime, using github.com/yalue/onnxruntime_go.
//
// The pieces, in the order a program uses them:
//
//   - Init finds the ONNX Runtime core library (FindLibrary lists the places
//     searched) and creates the one environment of the process; Shutdown
//     ends it.
//   - A Registry loads model sets: the shipped sets embedded by package
//     models, or a folder on disk. It checks each manifest against the
//     inputs and outputs ONNX Runtime reports for its model and creates one
//     session per model on the requested execution provider. It swaps the
//     active set while calls are running.
//   - An Engine (or a ModelSet directly) runs the typed calls: Encode,
//     Generate, Features, Classify and ClassifyPatches. Callers pass any
//     number of items; the engine runs them in batches of the model's size,
//     padding the last batch of a model exported with a fixed batch.
//
// Execution providers: auto (CUDA, then CPU), cuda, tensorrt and cpu. A
// provider that cannot start falls back to CPU unless fallback is disabled,
// and ModelSet.Provider reports which provider runs and why.
//
// Tensors are float32 in row-major order with the batch first; images and
// patches are channel, row, column (3 x H x W). The package does not log
// and does not depend on a GUI, GDAL or GoMLX. Only Linux is supported: the
// library search uses the ELF file names libonnxruntime.so.1 and
// libonnxruntime.so and dlopen.
package inference
