package evaluation

// The ground classifier's shape and training settings, shared by the onnx
// build, which trains it, and the report, which describes it. Trained
// classifiers are cached under a key that names this version ("ground v2"
// in eval.go): change the key with any of these values.

// groundFeatureDim is the width of the classifier's feature layer, and
// groundWidths are the channels of its four blocks, each of which halves
// H and W (64 px -> 4x4 positions).
const groundFeatureDim = 128

var groundWidths = [4]int{24, 48, 96, groundFeatureDim}

// groundMaxShift is the largest random translation, in pixels along each
// axis, applied to a training photo.
const groundMaxShift = 4

// groundBatch is the fixed batch of the compiled graphs; the last batch of
// a call is padded by repetition, so each graph compiles once.
const groundBatch = 64
