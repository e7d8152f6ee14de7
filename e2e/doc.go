// Package e2e contains the end-to-end reliability tests of Down There. They
// run the real viewer binary headless (viewer info, export, train, runtime
// and eval) on purpose-made broken inputs. They kill it with SIGKILL in the
// middle of an export, an overview build and a training checkpoint. They
// bound its resident memory on a raster far larger than memory.
//
// The package has no code of its own; everything is in its _test.go files.
// The binary under test is the one named by the -viewer flag or
// $DOWNTHERE_VIEWER; without either, TestMain builds ./cmd/viewer (tag
// onnx) into a temporary folder. scripts/e2e-bad-input runs the suite on
// bin/viewer.
//
// Every case of the bad-input table is listed, with its input, expected
// exit status and message, in docs/failure-behaviour.md; TestCaseTableInDocs
// fails when the two differ, and -update-doc rewrites the document's table.
//
// Cases that the product fails today carry a knownBug note. Such a case
// still runs: when it fails it is skipped with the note and the failures,
// and when it passes it fails, so that the note is removed. The -strict
// flag (or DOWNTHERE_E2E_STRICT=1) makes known failures fail.
package e2e
