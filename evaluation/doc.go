// Package evaluation measures a trained model set on the real data and
// writes the project's results page (viewer eval). The page answers two
// questions. Do generated views show the kind of place their overhead
// patch shows? Do the cGAN's features help the urban/rural classification of Deng, Zhu
// and Newsam, "What Is It Like Down There?" (SIGSPATIAL 2018,
// arXiv:1806.05129)?
//
// View quality. A ground-scene classifier (a small patch-convolution
// network in GoMLX on its ONNX Runtime backend) is trained per seed on the
// training split of the real ground photos, with the ground classes and
// split of package training. It scores the generated views of the
// held-out UC Merced patches. Class consistency is the share of views
// assigned to the ground class that the patch's class maps to. It is
// reported next to a control generator fed the mean condition and next to
// the classifier's own recall on real photos. Frechet distances in the classifier's
// 128-d feature space compare views and real photos per class, and a
// nearest-neighbour search against the training photos checks for copies.
//
// Urban/rural comparison. For UC Merced patches and for the 500 m cells
// of the Olinda Landsat scene (labels from the IBGE census tracts, held
// out in spatial blocks), feature sets from the encoder, interpolated real
// photo features, an unconditional GAN, the ground classifier on generated
// views, the discriminator, and encoder plus discriminator each feed a
// logistic regression (package code, L-BFGS, L2 by cross-validation),
// scored by balanced accuracy and per-class F1. Every feature set runs
// again on untrained networks of the same architecture (made by package
// training with no training steps), next to the majority class.
//
// Every number is computed for several evaluation seeds and reported as
// mean and sample standard deviation. The seeds vary the ground
// classifier, the generator noise, the untrained networks, the
// interpolation photos, the folds and the Olinda split; the trained model
// set is the same in every seed.
//
// Images are 64x64 RGB, CHW, scaled to [-1, 1] as (v/255-0.5)/0.5, the
// generator's output range. Olinda coordinates are metres in the grid's
// CRS (EPSG:31985 for the shipped scene). Without the onnx build tag the
// ground classifier and the untrained twins are unavailable and Run
// returns training.ErrNoBackend.
package evaluation

import "github.com/downthere/downthere/training"

// imageSize is the edge of a generated view and of a ground photo as the
// models see it, in pixels.
const imageSize = training.ImageSize
