package inference

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// noEnv is a Getenv that finds no variable.
func noEnv(string) string { return "" }

// absentSystemNames are library names the dynamic loader will not find, so
// that the search result does not depend on what the machine has installed.
var absentSystemNames = []string{"libonnxruntime-downthere-absent.so.1"}

func TestFindLibraryMissingListsEveryPlace(t *testing.T) {
	exeDir := t.TempDir()
	workDir := t.TempDir()
	_, err := FindLibrary(LibraryOptions{
		Getenv:      noEnv,
		Executable:  filepath.Join(exeDir, "viewer"),
		WorkDir:     workDir,
		SystemNames: absentSystemNames,
	})
	t.Logf("error:\n%v", err)

	var notFound *LibraryNotFoundError
	if !errors.As(err, &notFound) {
		t.Fatalf("error is %T, want *LibraryNotFoundError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"--ort-lib flag: not set",
		"$DOWNTHERE_ORT_LIB: not set",
		"next to the executable: " + filepath.Join(exeDir, "libonnxruntime.so.1") + ": no such file",
		"next to the executable: " + filepath.Join(exeDir, "libonnxruntime.so") + ": no such file",
		"project folder .deps/onnxruntime-1.29.0: no folder holding go.mod or .deps at or above " + exeDir,
		"project folder .deps/onnxruntime-1.29.0: no folder holding go.mod or .deps at or above " + workDir,
		"system library path: libonnxruntime-downthere-absent.so.1: ",
		"run `make deps` (or scripts/install-deps)",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q", want)
		}
	}
	if got := len(notFound.Attempts); got != 7 {
		t.Errorf("%d attempts listed, want 7", got)
	}
}

func TestFindLibraryProjectFolderListsPath(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	workDir := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		t.Fatal(err)
	}

	_, err := FindLibrary(LibraryOptions{
		Getenv: noEnv, Executable: filepath.Join(t.TempDir(), "viewer"),
		WorkDir: workDir, SystemNames: absentSystemNames,
	})
	want := "project folder .deps/onnxruntime-1.29.0: " + filepath.Join(root, ".deps", "onnxruntime-1.29.0", "libonnxruntime.so.1") + ": no such file"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v\ndoes not contain %q", err, want)
	}
}

func TestFindLibraryOrder(t *testing.T) {
	rt := needRuntime(t)
	real := rt.Library().Path

	root := t.TempDir()
	exeDir := filepath.Join(root, "bin")
	depsDir := filepath.Join(root, ".deps", "onnxruntime-1.29.0")
	otherDir := filepath.Join(root, "other")
	for _, dir := range []string{exeDir, depsDir, otherDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(dir, name string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(real, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flagLib := link(otherDir, "flag.so")
	envLib := link(otherDir, "env.so")
	link(depsDir, "libonnxruntime.so.1")
	exe := filepath.Join(exeDir, "viewer")

	tests := []struct {
		name      string
		opts      LibraryOptions
		exeLib    bool // put a library next to the executable
		wantPlace Place
	}{
		{name: "flag first", opts: LibraryOptions{Path: flagLib, Getenv: func(string) string { return envLib }}, exeLib: true, wantPlace: PlaceFlag},
		{name: "env before executable", opts: LibraryOptions{Getenv: func(string) string { return envLib }}, exeLib: true, wantPlace: PlaceEnv},
		{name: "executable before project", opts: LibraryOptions{Getenv: noEnv}, exeLib: true, wantPlace: PlaceExecutable},
		{name: "project folder from executable", opts: LibraryOptions{Getenv: noEnv, WorkDir: t.TempDir()}, wantPlace: PlaceProject},
		{name: "project folder from working folder", opts: LibraryOptions{Getenv: noEnv, WorkDir: filepath.Join(root, "other")}, wantPlace: PlaceProject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Executable = exe
			opts.SystemNames = absentSystemNames
			if tt.name == "project folder from working folder" {
				opts.Executable = filepath.Join(t.TempDir(), "viewer")
			}
			if opts.WorkDir == "" {
				opts.WorkDir = t.TempDir()
			}
			exeLib := filepath.Join(exeDir, "libonnxruntime.so.1")
			os.Remove(exeLib)
			if tt.exeLib {
				link(exeDir, "libonnxruntime.so.1")
			}

			lib, err := FindLibrary(opts)
			if err != nil {
				t.Fatal(err)
			}
			if lib.Place != tt.wantPlace {
				t.Errorf("found in %q, want %q", lib.Place, tt.wantPlace)
			}
			if lib.Version != RequiredVersion {
				t.Errorf("version %q, want %q", lib.Version, RequiredVersion)
			}
		})
	}
}

func TestFindLibraryExplicitPathStopsSearch(t *testing.T) {
	tests := []struct {
		name    string
		opts    LibraryOptions
		want    string
		wantNot string
	}{
		{
			name:    "flag names a missing file",
			opts:    LibraryOptions{Path: "/nonexistent/libonnxruntime.so.1", Getenv: noEnv},
			want:    "--ort-lib flag: /nonexistent/libonnxruntime.so.1: no such file; fix the path",
			wantNot: "system library path",
		},
		{
			name:    "environment names a missing file",
			opts:    LibraryOptions{Getenv: func(string) string { return "/nonexistent/ort.so" }},
			want:    "$DOWNTHERE_ORT_LIB: /nonexistent/ort.so: no such file; fix the path",
			wantNot: "next to the executable",
		},
		{
			name: "flag names a file that is not a library",
			opts: LibraryOptions{Path: filepath.Join("testdata", "testset", "set.json"), Getenv: noEnv},
			want: "set.json: cannot be loaded: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FindLibrary(tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("error:\n%v", err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not contain %q", tt.want)
			}
			if tt.wantNot != "" && strings.Contains(err.Error(), tt.wantNot) {
				t.Errorf("error contains %q: the search went on past the explicit path", tt.wantNot)
			}
		})
	}
}

// buildOldLibrary compiles testdata/oldort/oldort.c into a shared library
// that reports ONNX Runtime 1.16.3.
func buildOldLibrary(t *testing.T) string {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found; it builds the stand-in for an old ONNX Runtime library")
	}
	out := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	cmd := exec.Command(cc, "-shared", "-fPIC", "-o", out, filepath.Join("testdata", "oldort", "oldort.c"))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build old library: %v\n%s", err, msg)
	}
	return out
}

func TestFindLibraryTooOld(t *testing.T) {
	old := buildOldLibrary(t)

	_, err := FindLibrary(LibraryOptions{Path: old, Getenv: noEnv})
	var tooOld *LibraryVersionError
	if !errors.As(err, &tooOld) {
		t.Fatalf("error %v is %T, want *LibraryVersionError", err, err)
	}
	want := "ONNX Runtime library " + old + " (found --ort-lib flag) is version 1.16.3, but Down There needs 1.29.0 or newer (C API version 29); " +
		"run `make deps` (or scripts/install-deps) to install 1.29.0 into .deps/onnxruntime-1.29.0, or pass the path of a newer library with --ort-lib"
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
}

func TestInitErrorForMissingAPIVersion(t *testing.T) {
	lib := Library{Path: "/opt/ort/libonnxruntime.so.1", Version: "1.20.1", Place: PlaceSystem}
	err := initError(lib, errors.New("Platform-specific initialization failed: Error setting ORT API base: 2"))
	var tooOld *LibraryVersionError
	if !errors.As(err, &tooOld) {
		t.Fatalf("error %v is %T, want *LibraryVersionError", err, err)
	}
	if !strings.Contains(err.Error(), "/opt/ort/libonnxruntime.so.1 (found system library path) is version 1.20.1") {
		t.Errorf("error %q does not name the library and its version", err)
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want [3]int
		ok   bool
	}{
		{name: "release", in: "1.29.0", want: [3]int{1, 29, 0}, ok: true},
		{name: "suffix", in: "1.30.1-dev", want: [3]int{1, 30, 1}, ok: true},
		{name: "two parts", in: "1.29", ok: false},
		{name: "empty", in: "", ok: false},
		{name: "letters", in: "a.b.c", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseVersion(tt.in)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("parseVersion(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCheckVersion(t *testing.T) {
	tests := []struct {
		version string
		ok      bool
	}{
		{"1.29.0", true}, {"1.31.2", true}, {"2.0.0", true}, {"1.28.9", false}, {"1.16.3", false}, {"unknown", true},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			_, err := checkVersion(Library{Path: "/x.so", Version: tt.version})
			if (err == nil) != tt.ok {
				t.Errorf("checkVersion(%s) error = %v, want ok=%v", tt.version, err, tt.ok)
			}
		})
	}
}

func TestInitReturnsSameRuntime(t *testing.T) {
	rt := needRuntime(t)

	again, err := Init(LibraryOptions{})
	if err != nil || again != rt {
		t.Errorf("second Init = %p, %v; want %p, nil", again, err, rt)
	}
	same, err := Init(LibraryOptions{Path: rt.Library().Path})
	if err != nil || same != rt {
		t.Errorf("Init with the loaded path = %p, %v; want %p, nil", same, err, rt)
	}
	old := buildOldLibrary(t)
	if _, err := Init(LibraryOptions{Path: old}); err == nil || !strings.Contains(err.Error(), "already running on") {
		t.Errorf("Init with another library: error %v, want one saying ONNX Runtime is already running", err)
	}
}

func TestInitSetsGoMLXVariable(t *testing.T) {
	rt := needRuntime(t)
	if got := os.Getenv(EnvGoMLXLibrary); got != rt.Library().Path {
		t.Errorf("$%s = %q after Init, want %q", EnvGoMLXLibrary, got, rt.Library().Path)
	}
}
