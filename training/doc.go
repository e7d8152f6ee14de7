// Package training trains Down There's models in Go and exports them as a
// model set for package inference: an overhead encoder, a conditional GAN
// (generator and discriminator) after Deng, Zhu and Newsam, "What Is It
// Like Down There? Generating Dense Ground-Level Views and Image Features
// From Overhead Imagery Using Conditional Generative Adversarial Networks"
// (SIGSPATIAL 2018, arXiv:1806.05129), and an urban/rural classifier on the
// discriminator's features.
//
// The networks are GoMLX v0.28.2 graphs run by GoMLX's ONNX Runtime
// backend (github.com/gomlx/compute-onnx), so training and inference use
// the same runtime. That backend needs the onnx build tag, cgo and the
// ONNX Runtime library named by ONNXRUNTIME_SHARED_LIBRARY_PATH; without
// the tag, Run and Export return ErrNoBackend. No GoMLX type appears in
// this package's API: callers see Config, Options, Event, Pauser and
// Result only.
//
// A run has four phases, five with a guide. The encoder, a small CNN,
// learns to classify the overhead patches (21 UC Merced classes, or
// urban/rural Landsat cells). Its 100-d tanh penultimate layer is the
// condition. With Arch.GuideWeight set, a ground-scene classifier (the
// guide) then learns the ground classes of the training photos and is
// frozen. Its loss on generated views joins the generator's. The GAN learns
// 64x64 ground views from ground photos paired with patches of the mapped
// class (see UCMercedClasses: pairing by class, not by place). The
// classifier finally learns urban/rural from the discriminator features of
// generated views of the training patches. Export writes ONNX files at a
// fixed batch size, checks each in onnxruntime_go against GoMLX (max
// absolute difference at most MaxExportDifference), stores the large
// weights as float16 and checks again (MaxFloat16Difference), and writes
// manifests, set.json and CARD.md.
//
// Model code uses only what the onnx backend of v0.28.2 can differentiate
// correctly. Strided and transposed convolutions are avoided (their
// gradients need input dilation, which ONNX Conv rejects), and so are even
// kernel sizes, whose input gradient GoMLX shifts by a pixel. The GAN
// downsamples with space-to-depth and a 3x3 convolution and upsamples with
// a 3x3 convolution and depth-to-space. The encoder keeps the earlier
// zero pad, space-to-depth and 2x2 convolution. Batch norm is written
// here, with running statistics for inference. The discriminator's
// variables enter the generator step through StopGradient.
//
// Runs are deterministic for a seed: every random choice (batch order,
// pairing, augmentation, noise) comes from a generator seeded by the seed,
// its purpose and the step, so a run resumed from a checkpoint continues
// exactly. Checkpoints (all variables, optimiser state included, and the
// run state) are written atomically every few steps; killing a run loses
// at most those steps.
//
// Images are RGB, CHW, normalised as (v/255-0.5)/0.5. Ground resolutions
// are in metres per pixel. The Landsat setting reads the Olinda scene
// through package geodata and grids it in the scene's projected CRS.
package training
