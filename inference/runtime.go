package inference

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// RequiredVersion is the ONNX Runtime release that the Go binding
// (onnxruntime_go v1.36.0) is built for. Newer releases also work, because
// ONNX Runtime keeps older C API versions; older ones lack the C API version
// the binding requests.
const RequiredVersion = "1.29.0"

// requiredAPIVersion is ORT_API_VERSION in the binding's onnxruntime_c_api.h.
const requiredAPIVersion = 29

// Environment variables read or set by this package.
const (
	// EnvLibrary names the ONNX Runtime core library to load when no
	// explicit path is given.
	EnvLibrary = "DOWNTHERE_ORT_LIB"

	// EnvGoMLXLibrary is read by GoMLX's onnx backend (used for training)
	// to find the same library. Init sets it when it is empty so that both
	// bindings share one loaded library.
	EnvGoMLXLibrary = "ONNXRUNTIME_SHARED_LIBRARY_PATH"
)

// libraryDir is the project folder, relative to the repository root, where
// scripts/install-deps puts the library.
var libraryDir = filepath.Join(".deps", "onnxruntime-"+RequiredVersion)

// libraryFileNames are the names the core library is looked for under, in
// order: the versioned soname first, then the development symlink.
var libraryFileNames = []string{"libonnxruntime.so.1", "libonnxruntime.so"}

// Place names one of the places where the library is looked for.
type Place string

// The places, in search order.
const (
	PlaceFlag       Place = "--ort-lib flag"
	PlaceEnv        Place = "$" + EnvLibrary
	PlaceExecutable Place = "next to the executable"
	PlaceProject    Place = "project folder " + ".deps/onnxruntime-" + RequiredVersion
	PlaceSystem     Place = "system library path"
)

// Library is an ONNX Runtime core library that was found and checked.
type Library struct {
	Path    string // file the dynamic loader opened, absolute where it reports one
	Version string // version string reported by the library, e.g. "1.29.0"
	Place   Place  // place in the search order that gave it
}

// Attempt records one place that was searched and why it did not give a
// usable library.
type Attempt struct {
	Place  Place
	Path   string // file or bare library name tried; empty when nothing was tried
	Reason string
}

// LibraryNotFoundError lists every place that was searched for the ONNX
// Runtime library.
type LibraryNotFoundError struct {
	Attempts []Attempt
}

func (e *LibraryNotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ONNX Runtime %s core library not found; looked in:", RequiredVersion)
	for _, a := range e.Attempts {
		b.WriteString("\n  - ")
		b.WriteString(string(a.Place))
		if a.Path != "" {
			b.WriteString(": ")
			b.WriteString(a.Path)
		}
		b.WriteString(": ")
		b.WriteString(a.Reason)
	}
	fmt.Fprintf(&b, "\nrun `make deps` (or scripts/install-deps) in the Down There source folder to install it into %s, "+
		"or pass its path with --ort-lib or $%s", libraryDir, EnvLibrary)
	return b.String()
}

// LibraryVersionError reports a library older than RequiredVersion.
type LibraryVersionError struct {
	Library Library
}

func (e *LibraryVersionError) Error() string {
	version := e.Library.Version
	if version == "" {
		version = "unknown"
	}
	return fmt.Sprintf("ONNX Runtime library %s (found %s) is version %s, but Down There needs %s or newer "+
		"(C API version %d); run `make deps` (or scripts/install-deps) to install %s into %s, "+
		"or pass the path of a newer library with --ort-lib",
		e.Library.Path, e.Library.Place, version, RequiredVersion, requiredAPIVersion, RequiredVersion, libraryDir)
}

// LibraryOptions selects where to look for the ONNX Runtime core library. The
// zero value searches the default places for this process.
type LibraryOptions struct {
	// Path is an explicit library file (the --ort-lib flag). When set, no
	// other place is searched.
	Path string

	// The fields below replace the process's own environment, executable
	// and working folder; tests set them. Nil or empty means the real ones.
	Getenv      func(string) string
	Executable  string
	WorkDir     string
	SystemNames []string // bare names for the loader's own search
}

func (o LibraryOptions) withDefaults() LibraryOptions {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Executable == "" {
		if exe, err := os.Executable(); err == nil {
			if real, err := filepath.EvalSymlinks(exe); err == nil {
				exe = real
			}
			o.Executable = exe
		}
	}
	if o.WorkDir == "" {
		if wd, err := os.Getwd(); err == nil {
			o.WorkDir = wd
		}
	}
	if o.SystemNames == nil {
		o.SystemNames = libraryFileNames
	}
	return o
}

// FindLibrary searches for the ONNX Runtime core library in this order and
// returns the first one that loads:
//
//  1. opts.Path (the --ort-lib flag);
//  2. $DOWNTHERE_ORT_LIB;
//  3. libonnxruntime.so.1 or libonnxruntime.so next to the executable;
//  4. .deps/onnxruntime-1.29.0/ in the project folder, found by walking up
//     from the executable's folder and then from the working folder to the
//     first folder that holds go.mod or .deps;
//  5. the dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache, /lib,
//     /usr/lib) for the same two names.
//
// An explicit path (1 or 2) that cannot be loaded is an error: the search
// does not go on past it. A library older than RequiredVersion returns a
// *LibraryVersionError; when nothing is found the error is a
// *LibraryNotFoundError listing every place searched. FindLibrary loads each
// candidate to read its version and unloads it again.
func FindLibrary(opts LibraryOptions) (Library, error) {
	opts = opts.withDefaults()
	var attempts []Attempt

	explicit := []struct {
		place Place
		path  string
	}{{PlaceFlag, opts.Path}, {PlaceEnv, opts.Getenv(EnvLibrary)}}
	for _, e := range explicit {
		if e.path == "" {
			attempts = append(attempts, Attempt{Place: e.place, Reason: "not set"})
			continue
		}
		lib, attempt, ok := tryFile(e.place, e.path)
		if ok {
			return checkVersion(lib)
		}
		attempt.Reason += "; fix the path or leave it unset to search the other places"
		return Library{}, &LibraryNotFoundError{Attempts: append(attempts, attempt)}
	}

	for _, c := range fileCandidates(opts) {
		if c.path == "" {
			attempts = append(attempts, Attempt{Place: c.place, Reason: c.reason})
			continue
		}
		lib, attempt, ok := tryFile(c.place, c.path)
		if ok {
			return checkVersion(lib)
		}
		attempts = append(attempts, attempt)
	}

	for _, name := range opts.SystemNames {
		resolved, version, err := probeLibrary(name)
		if err == nil {
			return checkVersion(Library{Path: resolved, Version: version, Place: PlaceSystem})
		}
		attempts = append(attempts, Attempt{Place: PlaceSystem, Path: name, Reason: err.Error()})
	}
	return Library{}, &LibraryNotFoundError{Attempts: attempts}
}

// candidate is a file to try, or (with an empty path) a place that gave no
// file and why.
type candidate struct {
	place  Place
	path   string
	reason string
}

// fileCandidates lists the files to try next to the executable and in the
// project folder, without duplicates.
func fileCandidates(opts LibraryOptions) []candidate {
	var out []candidate
	seen := map[string]bool{}
	add := func(place Place, dir string) {
		for _, name := range libraryFileNames {
			p := filepath.Join(dir, name)
			if !seen[p] {
				seen[p] = true
				out = append(out, candidate{place: place, path: p})
			}
		}
	}

	if opts.Executable == "" {
		out = append(out, candidate{place: PlaceExecutable, reason: "the executable's path is unknown"})
	} else {
		add(PlaceExecutable, filepath.Dir(opts.Executable))
	}

	starts := []string{filepath.Dir(opts.Executable), opts.WorkDir}
	for i, start := range starts {
		if start == "" || start == "." || (i > 0 && start == starts[0]) {
			continue
		}
		root, ok := projectRoot(start)
		if !ok {
			out = append(out, candidate{place: PlaceProject,
				reason: fmt.Sprintf("no folder holding go.mod or .deps at or above %s", start)})
			continue
		}
		add(PlaceProject, filepath.Join(root, libraryDir))
	}
	return out
}

// projectRoot walks up from dir to the first folder that holds go.mod or
// .deps.
func projectRoot(dir string) (string, bool) {
	dir = filepath.Clean(dir)
	for {
		for _, marker := range []string{"go.mod", ".deps"} {
			if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
				return dir, true
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// tryFile loads the library file at path and reports the result as a
// Library or as a failed Attempt.
func tryFile(place Place, path string) (Library, Attempt, bool) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	attempt := Attempt{Place: place, Path: path}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		attempt.Reason = "no such file"
		return Library{}, attempt, false
	case err != nil:
		attempt.Reason = err.Error()
		return Library{}, attempt, false
	case info.IsDir():
		attempt.Reason = "is a folder, not a library file"
		return Library{}, attempt, false
	}

	resolved, version, err := probeLibrary(path)
	if err != nil {
		attempt.Reason = "cannot be loaded: " + err.Error()
		return Library{}, attempt, false
	}
	return Library{Path: resolved, Version: version, Place: place}, Attempt{}, true
}

// checkVersion returns lib, or a *LibraryVersionError when its version is
// older than RequiredVersion. An unparsable version passes; Init then reports
// a missing C API version as a *LibraryVersionError.
func checkVersion(lib Library) (Library, error) {
	have, ok := parseVersion(lib.Version)
	want, _ := parseVersion(RequiredVersion)
	if ok && compareVersions(have, want) < 0 {
		return Library{}, &LibraryVersionError{Library: lib}
	}
	return lib, nil
}

// parseVersion parses "major.minor.patch", ignoring any suffix after the
// patch number ("1.29.0-dev").
func parseVersion(s string) ([3]int, bool) {
	var v [3]int
	parts := strings.SplitN(s, ".", 3)
	if len(parts) != 3 {
		return v, false
	}
	if i := strings.IndexFunc(parts[2], func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		parts[2] = parts[2][:i]
	}
	for i, p := range parts {
		// Atoi accepts a sign, which no version component has.
		if p == "" || p[0] < '0' || p[0] > '9' {
			return v, false
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func compareVersions(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			return a[i] - b[i]
		}
	}
	return 0
}

// Runtime is the process's ONNX Runtime environment. There is at most one;
// Init creates it and Shutdown ends it.
type Runtime struct {
	library Library
}

// Library returns the core library the environment runs on.
func (r *Runtime) Library() Library { return r.library }

// ErrShutDown is returned by Init after Shutdown: ONNX Runtime allows one
// environment per process, so a program that shut it down must restart.
var ErrShutDown = errors.New("the ONNX Runtime environment was shut down; restart the program to use it again")

var environment struct {
	mu       sync.Mutex
	runtime  *Runtime
	shutDown bool
}

// Init finds the ONNX Runtime library (see FindLibrary) and creates the
// process's environment. Once it has succeeded, later calls return the same
// Runtime, unless opts.Path names a different library, which is an error. A
// failed Init may be retried, for example with another path. Init sets
// $ONNXRUNTIME_SHARED_LIBRARY_PATH to the library when that variable is
// empty, so that GoMLX's onnx backend loads the same file.
func Init(opts LibraryOptions) (*Runtime, error) {
	environment.mu.Lock()
	defer environment.mu.Unlock()

	if environment.shutDown {
		return nil, ErrShutDown
	}
	if rt := environment.runtime; rt != nil {
		return rt, checkSameLibrary(rt.library, opts.Path)
	}

	lib, err := FindLibrary(opts)
	if err != nil {
		return nil, err
	}
	ort.SetSharedLibraryPath(lib.Path)
	// ONNX Runtime would also print the errors it returns, such as a
	// provider library that fails to load, on stderr. Only fatal messages
	// are printed, so errors reach the caller once, as values.
	if err := ort.InitializeEnvironment(ort.WithLogLevelFatal()); err != nil {
		return nil, initError(lib, err)
	}
	if os.Getenv(EnvGoMLXLibrary) == "" {
		if err := os.Setenv(EnvGoMLXLibrary, lib.Path); err != nil {
			return nil, fmt.Errorf("set $%s: %w", EnvGoMLXLibrary, err)
		}
	}
	environment.runtime = &Runtime{library: lib}
	return environment.runtime, nil
}

// checkSameLibrary reports an error when an explicit path requests another
// library than the one already loaded.
func checkSameLibrary(loaded Library, path string) error {
	if path == "" {
		return nil
	}
	want, err := filepath.EvalSymlinks(path)
	if err != nil {
		want = path
	}
	have, err := filepath.EvalSymlinks(loaded.Path)
	if err != nil {
		have = loaded.Path
	}
	if want != have {
		return fmt.Errorf("ONNX Runtime is already running on %s, so %s cannot be loaded as well; restart the program to switch libraries",
			loaded.Path, path)
	}
	return nil
}

// initError turns the binding's error from InitializeEnvironment into one
// that names the library. The binding reports a missing C API version (a
// library older than it needs) as "Error setting ORT API base: 2".
func initError(lib Library, err error) error {
	if strings.Contains(err.Error(), "Error setting ORT API base") {
		return &LibraryVersionError{Library: lib}
	}
	return fmt.Errorf("start ONNX Runtime from %s: %w", lib.Path, err)
}

// Shutdown destroys the process's ONNX Runtime environment. Close every
// Registry and session first. Calling it again, or without Init, does
// nothing. After Shutdown, Init returns ErrShutDown.
func Shutdown() error {
	environment.mu.Lock()
	defer environment.mu.Unlock()

	if environment.runtime == nil {
		return nil
	}
	environment.runtime = nil
	environment.shutDown = true
	if err := ort.DestroyEnvironment(); err != nil {
		return fmt.Errorf("shut down ONNX Runtime: %w", err)
	}
	return nil
}
