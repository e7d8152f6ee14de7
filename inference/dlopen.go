package inference

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

// The first two members of OrtApiBase, as declared in onnxruntime_c_api.h.
// They have not changed since ONNX Runtime 1.0.
typedef struct {
	const void *(*GetApi)(unsigned int version);
	const char *(*GetVersionString)(void);
} probeApiBase;

typedef probeApiBase *(*probeGetApiBaseFn)(void);

// probeLibrary opens the library at name, reads its version string and the
// path the dynamic loader resolved, and closes it again. It returns 0 on
// success, 1 when dlopen fails and 2 when the library has no OrtGetApiBase.
// On failure err holds a copy of the loader's message.
static int probeLibrary(const char *name, char *version, size_t versionLen,
		char *resolved, size_t resolvedLen, char *err, size_t errLen) {
	void *h = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(err, errLen, "%s", dlerror());
		return 1;
	}
	void *fn = dlsym(h, "OrtGetApiBase");
	if (fn == NULL) {
		snprintf(err, errLen, "%s", dlerror());
		dlclose(h);
		return 2;
	}
	Dl_info info;
	if (dladdr(fn, &info) != 0 && info.dli_fname != NULL) {
		snprintf(resolved, resolvedLen, "%s", info.dli_fname);
	}
	probeApiBase *base = ((probeGetApiBaseFn)fn)();
	if (base != NULL && base->GetVersionString != NULL) {
		snprintf(version, versionLen, "%s", base->GetVersionString());
	}
	dlclose(h);
	return 0;
}
*/
import "C"

import (
	"errors"
	"strings"
	"unsafe"
)

// errNoOrtSymbol is returned by probeLibrary for a shared library that loads
// but is not ONNX Runtime.
var errNoOrtSymbol = errors.New("not an ONNX Runtime library (no OrtGetApiBase symbol)")

// probeLibrary loads the shared library name (a path, or a bare name that
// the dynamic loader searches for), and returns the file the loader resolved
// and the version string ONNX Runtime reports. The library is unloaded again
// before it returns, so a library too old for the Go binding is never handed
// to it.
func probeLibrary(name string) (resolved, version string, err error) {
	cName := C.CString(name)
	defer C.free(unsafe.Pointer(cName))

	var versionBuf [64]C.char
	var resolvedBuf [4096]C.char
	var errBuf [1024]C.char
	rc := C.probeLibrary(cName, &versionBuf[0], C.size_t(len(versionBuf)),
		&resolvedBuf[0], C.size_t(len(resolvedBuf)), &errBuf[0], C.size_t(len(errBuf)))
	switch rc {
	case 0:
		resolved = C.GoString(&resolvedBuf[0])
		if resolved == "" {
			resolved = name
		}
		return resolved, C.GoString(&versionBuf[0]), nil
	case 2:
		return "", "", errNoOrtSymbol
	default:
		// dlerror repeats the name before its message; the caller already
		// shows the name.
		msg := strings.TrimPrefix(C.GoString(&errBuf[0]), name+": ")
		return "", "", errors.New(msg)
	}
}
