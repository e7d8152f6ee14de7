package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	viewerFlag = flag.String("viewer", "", "viewer binary to test; default $DOWNTHERE_VIEWER, else ./cmd/viewer built into a temporary folder")
	strictFlag = flag.Bool("strict", os.Getenv("DOWNTHERE_E2E_STRICT") == "1", "fail cases marked as known failures instead of skipping them")
	updateDoc  = flag.Bool("update-doc", false, "rewrite the case table of docs/failure-behaviour.md from the case list")
)

// suite is what every test shares: the paths and what the binary under
// test offers.
var suite struct {
	root    string // repository root
	viewer  string // absolute path of the viewer binary
	bad     string // testdata/bad
	testset string // inference/testdata/testset: a valid, small model set

	subcommands map[string]bool // from "viewer help"
	ortErr      string          // why ONNX Runtime did not start, "" when it did
}

func TestMain(m *testing.M) {
	flag.Parse()
	cleanup, err := setUp()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// setUp finds or builds the viewer binary and lists its subcommands. It
// returns a function that removes what it built.
func setUp() (func(), error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	suite.root = root
	suite.bad = filepath.Join(root, "testdata", "bad")
	suite.testset = filepath.Join(root, "inference", "testdata", "testset")

	cleanup := func() {}
	viewer := *viewerFlag
	if viewer == "" {
		viewer = os.Getenv("DOWNTHERE_VIEWER")
	}
	if viewer == "" {
		dir, err := os.MkdirTemp("", "downthere-e2e-")
		if err != nil {
			return nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		viewer = filepath.Join(dir, "viewer")
		if err := buildViewer(root, viewer); err != nil {
			cleanup()
			return nil, err
		}
	}
	if suite.viewer, err = filepath.Abs(viewer); err != nil {
		cleanup()
		return nil, err
	}
	if err := probeViewer(); err != nil {
		cleanup()
		return nil, err
	}
	return cleanup, nil
}

func buildViewer(root, out string) error {
	cmd := exec.Command("go", "build", "-tags=onnx", "-o", out, "./cmd/viewer")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build the viewer (go build -tags=onnx ./cmd/viewer in %s): %w", root, err)
	}
	return nil
}

// helpLine matches a subcommand line of "viewer help": two spaces, the
// name, its summary.
var helpLine = regexp.MustCompile(`^  ([a-z][a-z0-9-]*)\s+\S`)

// probeViewer lists the subcommands of the binary and checks whether ONNX
// Runtime starts with the valid test model set.
func probeViewer() error {
	r := run(runOptions{}, "help")
	if r.status != 0 {
		return fmt.Errorf("%s help exited with %d: %s", suite.viewer, r.status, r.stderr)
	}
	suite.subcommands = map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		if m := helpLine.FindStringSubmatch(sc.Text()); m != nil {
			suite.subcommands[m[1]] = true
		}
	}
	r = run(runOptions{}, "runtime", "--provider", "cpu", "--models", suite.testset)
	if r.status != 0 {
		suite.ortErr = strings.TrimSpace(r.stderr)
	}
	return nil
}

// runOptions change how run starts the binary.
type runOptions struct {
	dir     string        // working folder, by default the repository root
	env     []string      // extra NAME=VALUE entries, replacing inherited ones
	unset   []string      // inherited variables to drop
	viewer  string        // binary to run instead of suite.viewer
	stdout  string        // file to send stdout to (such as /dev/full)
	timeout time.Duration // default caseTimeout
	// sampleMemory polls the child's VmHWM (peak resident memory) from
	// /proc/PID/status every 10 ms into result.peakRSSKB.
	sampleMemory bool
	// interruptAfter, when > 0, sends SIGINT (Ctrl-C) after this time.
	interruptAfter time.Duration
}

// caseTimeout is how long one run may take before it counts as hung.
const caseTimeout = 90 * time.Second

// result is what one run of the binary produced.
type result struct {
	status  int // exit status, or -1 when killed for the timeout
	stdout  string
	stderr  string
	hung    bool
	elapsed time.Duration
	// peakRSSKB is the last VmHWM read while the child ran, in KiB, when
	// runOptions.sampleMemory is set. getrusage's ru_maxrss is not used:
	// Go starts children with vfork, and Linux then counts the parent's
	// peak in the child's ru_maxrss.
	peakRSSKB int64
}

// run starts the viewer with args and waits for it, killing its process
// group after the timeout.
func run(opts runOptions, args ...string) result {
	cmd, stdout, stderr, err := command(opts, args...)
	if err != nil {
		return result{status: -1, stderr: err.Error()}
	}
	start := time.Now()
	err = cmd.Start()
	if f, ok := cmd.Stdout.(*os.File); ok {
		f.Close() // the child has its own descriptor
	}
	if err != nil {
		return result{status: -1, stderr: err.Error()}
	}
	timeout := opts.timeout
	if timeout == 0 {
		timeout = caseTimeout
	}
	timer := time.AfterFunc(timeout, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	if opts.interruptAfter > 0 {
		interrupt := time.AfterFunc(opts.interruptAfter, func() { _ = cmd.Process.Signal(syscall.SIGINT) })
		defer interrupt.Stop()
	}
	var peak *memorySampler
	if opts.sampleMemory {
		peak = sampleVmHWM(cmd.Process.Pid)
	}
	err = cmd.Wait()
	hung := !timer.Stop()

	r := result{stdout: stdout.String(), stderr: stderr.String(), hung: hung, elapsed: time.Since(start)}
	if peak != nil {
		r.peakRSSKB = peak.stop()
	}
	if cmd.ProcessState != nil {
		r.status = cmd.ProcessState.ExitCode()
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		r.stderr += "\n(e2e: " + err.Error() + ")"
	}
	return r
}

// command prepares the viewer process: its own process group, the
// environment and output buffers.
func command(opts runOptions, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer, error) {
	bin := opts.viewer
	if bin == "" {
		bin = suite.viewer
	}
	cmd := exec.CommandContext(context.Background(), bin, args...)
	cmd.Dir = opts.dir
	if cmd.Dir == "" {
		cmd.Dir = suite.root
	}
	cmd.Env = environment(opts.env, opts.unset)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	var stdout, stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stdout
	if opts.stdout != "" {
		f, err := os.OpenFile(opts.stdout, os.O_WRONLY, 0)
		if err != nil {
			return nil, nil, nil, err
		}
		cmd.Stdout = f
	}
	return cmd, &stdout, &stderr, nil
}

// environment returns the test process's environment with the locale set
// to en_US.UTF-8, then extra applied and unset removed. The C and POSIX
// locales have cases of their own (info-c-locale, info-posix-locale).
func environment(extra, unset []string) []string {
	vars := map[string]string{}
	var order []string
	set := func(kv string) {
		name, value, _ := strings.Cut(kv, "=")
		if _, ok := vars[name]; !ok {
			order = append(order, name)
		}
		vars[name] = value
	}
	for _, kv := range os.Environ() {
		set(kv)
	}
	set("LANG=en_US.UTF-8")
	set("LC_ALL=en_US.UTF-8")
	for _, kv := range extra {
		set(kv)
	}
	for _, name := range unset {
		delete(vars, name)
	}
	var env []string
	for _, name := range order {
		if value, ok := vars[name]; ok {
			env = append(env, name+"="+value)
		}
	}
	return env
}

// crashMarkers are output fragments that only a crash prints: a Go panic
// or fatal error with its goroutine dump, or a signal from C code.
var crashMarkers = []string{"panic:", "goroutine ", "fatal error:", "SIGSEGV", "SIGABRT", "core dumped"}

// rawGDALLine matches a message that GDAL printed to stderr itself instead
// of returning it to the program, which then cannot name the file.
var rawGDALLine = regexp.MustCompile(`(?m)^(ERROR \d+|Warning \d+): `)

// crashProblems lists what in r shows a crash, a hang or output that
// bypassed the program's own error messages.
func crashProblems(r result) []string {
	var problems []string
	if r.hung {
		problems = append(problems, fmt.Sprintf("hung: still running after %v, killed", r.elapsed.Round(time.Second)))
	}
	out := r.stdout + r.stderr
	for _, m := range crashMarkers {
		if strings.Contains(out, m) {
			problems = append(problems, fmt.Sprintf("output contains %q (a crash)", m))
		}
	}
	if m := rawGDALLine.FindString(r.stderr); m != "" {
		problems = append(problems, fmt.Sprintf("stderr has a raw GDAL line starting %q, printed by GDAL itself instead of in the program's message", m))
	}
	return problems
}

// logResult writes the run's output to the test log, trimmed.
func logResult(t *testing.T, args []string, r result) {
	t.Helper()
	t.Logf("viewer %s\nexit %d after %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "),
		r.status, r.elapsed.Round(time.Millisecond), trim(r.stdout, 1500), trim(r.stderr, 3000))
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("\n... (%d more bytes)", len(s)-n)
}

// copyFile copies src to dst with mode perm.
func copyFile(dst, src string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// memorySampler polls a process's VmHWM until stopped.
type memorySampler struct {
	done chan struct{}
	peak chan int64
}

// sampleVmHWM starts polling /proc/pid/status every 10 ms. VmHWM only
// grows, so the last value read before the process exits is its peak,
// short of whatever it allocates in its last 10 ms.
func sampleVmHWM(pid int) *memorySampler {
	s := &memorySampler{done: make(chan struct{}), peak: make(chan int64, 1)}
	path := fmt.Sprintf("/proc/%d/status", pid)
	go func() {
		var peak int64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb, ok := readVmHWM(path); ok && kb > peak {
				peak = kb
			}
			select {
			case <-s.done:
				s.peak <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends the polling and returns the largest VmHWM seen, in KiB.
func (s *memorySampler) stop() int64 {
	close(s.done)
	return <-s.peak
}

// readVmHWM returns the VmHWM line of a /proc/PID/status file in KiB.
func readVmHWM(path string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb, err == nil
		}
	}
	return 0, false
}
