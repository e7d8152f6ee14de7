package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// badInput is one run of the viewer on a broken input.
type badInput struct {
	name    string
	command string   // the subcommand: info, export, train, runtime or eval
	input   string   // what is broken, for docs/failure-behaviour.md
	args    []string // arguments after the subcommand; see expand for the {placeholders}
	// prepare, when set, makes the broken input in the case's own folder
	// {dir} or changes how the binary runs; it may skip the case.
	prepare func(t *testing.T, c *caseRun)
	// needsRuntime marks cases that only reach their broken input when
	// ONNX Runtime starts with the valid test model set.
	needsRuntime bool

	status int      // expected exit status
	stderr []string // substrings stderr must contain; "a|b" accepts either
	stdout []string // substrings stdout must contain
	absent []string // paths that must not exist after the run
	// maxStderr, when > 0, is the largest acceptable stderr in bytes.
	maxStderr int
	quiet     bool // stderr must be empty
	// knownBug describes how the product fails this case today. See the
	// package documentation for how such a case is reported.
	knownBug string
}

// caseRun is the state of one case while it runs.
type caseRun struct {
	dir  string // {dir}: a fresh folder for this case
	opts runOptions
}

// expand replaces the placeholders in s: {bad} is testdata/bad, {scene}
// its valid scene, {testset} the valid test model set and {dir} the
// case's own folder.
func (c *caseRun) expand(s string) string {
	return strings.NewReplacer(
		"{bad}", suite.bad,
		"{scene}", filepath.Join(suite.bad, "raster", "scene.tif"),
		"{testset}", suite.testset,
		"{dir}", c.dir,
	).Replace(s)
}

func TestBadInput(t *testing.T) {
	for _, bc := range badInputs {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			runBadInput(t, bc)
		})
	}
}

func runBadInput(t *testing.T, bc badInput) {
	if !suite.subcommands[bc.command] {
		t.Skipf("viewer %s is not in this build (viewer help does not list it); this case runs once the subcommand exists", bc.command)
	}
	if bc.needsRuntime && suite.ortErr != "" {
		t.Skipf("ONNX Runtime does not start with the test model set, so this case cannot reach its input (run `make deps`): %s", suite.ortErr)
	}
	c := &caseRun{dir: t.TempDir()}
	if bc.prepare != nil {
		bc.prepare(t, c)
	}
	args := []string{bc.command}
	for _, a := range bc.args {
		args = append(args, c.expand(a))
	}
	r := run(c.opts, args...)
	logResult(t, args, r)

	failures := crashProblems(r)
	failures = append(failures, bc.check(c, r)...)
	report(t, bc.knownBug, failures)
}

// check compares a run with the case's expectations.
func (bc badInput) check(c *caseRun, r result) []string {
	var failures []string
	if r.status != bc.status {
		failures = append(failures, fmt.Sprintf("exit status %d, want %d", r.status, bc.status))
	}
	for _, want := range bc.stderr {
		if !containsAny(r.stderr, c.expand(want)) {
			failures = append(failures, fmt.Sprintf("stderr does not contain %q", c.expand(want)))
		}
	}
	for _, want := range bc.stdout {
		if !containsAny(r.stdout, c.expand(want)) {
			failures = append(failures, fmt.Sprintf("stdout does not contain %q", c.expand(want)))
		}
	}
	if bc.quiet && r.stderr != "" {
		failures = append(failures, fmt.Sprintf("stderr is not empty: %q", trim(r.stderr, 300)))
	}
	if bc.maxStderr > 0 && len(r.stderr) > bc.maxStderr {
		failures = append(failures, fmt.Sprintf("stderr is %d bytes, more than %d: the cause is buried", len(r.stderr), bc.maxStderr))
	}
	for _, p := range bc.absent {
		path := c.expand(p)
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			failures = append(failures, fmt.Sprintf("%s exists after the failed run (stat: %v)", path, err))
		}
	}
	return failures
}

// containsAny reports whether s contains one of the "|"-separated
// alternatives of want.
func containsAny(s, want string) bool {
	for _, alt := range strings.Split(want, "|") {
		if strings.Contains(s, alt) {
			return true
		}
	}
	return false
}

// report fails the test with failures, or skips it when the case is a
// known failure (unless -strict). A known failure that passes fails, so
// that its note is removed.
func report(t *testing.T, knownBug string, failures []string) {
	t.Helper()
	switch {
	case len(failures) == 0 && knownBug != "":
		t.Errorf("this case passes now: remove its knownBug note (%q) and run `go test ./e2e/ -run TestCaseTableInDocs -update-doc`", knownBug)
	case len(failures) == 0:
	case knownBug != "" && !*strictFlag:
		t.Skipf("known failure: %s\n  %s", knownBug, strings.Join(failures, "\n  "))
	default:
		t.Errorf("%s", strings.Join(failures, "\n"))
	}
}
