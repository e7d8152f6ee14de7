package geodata

/*
#cgo pkg-config: gdal
#include <stdlib.h>
#include "overview_build.h"
#include <cpl_conv.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// overviewRun is the Go state behind one GDALBuildOverviews call.
type overviewRun struct {
	progress  func(done float64)
	cancelled func() bool
	stopped   bool
}

//export geodataOverviewProgress
func geodataOverviewProgress(complete C.double, _ *C.char, token unsafe.Pointer) C.int {
	run := cgo.Handle(uintptr(token)).Value().(*overviewRun)
	if run.cancelled() {
		run.stopped = true
		return 0
	}
	if run.progress != nil {
		run.progress(float64(complete))
	}
	return 1
}

// gdalBuildOverviews opens path read-only and builds the given overview
// levels with GDAL, which writes them to path + ".ovr". configOptions are
// key, value pairs set as thread-local GDAL configuration options.
func gdalBuildOverviews(path, resampling string, levels []int, configOptions []string, run *overviewRun) error {
	cPath := C.CString(path)
	defer C.free(unsafe.Pointer(cPath))
	cResampling := C.CString(resampling)
	defer C.free(unsafe.Pointer(cResampling))

	cLevels := (*C.int)(C.malloc(C.size_t(len(levels)) * C.size_t(unsafe.Sizeof(C.int(0)))))
	defer C.free(unsafe.Pointer(cLevels))
	for i, l := range levels {
		unsafe.Slice(cLevels, len(levels))[i] = C.int(l)
	}

	cOptions := make([]*C.char, len(configOptions)+1)
	for i, o := range configOptions {
		cOptions[i] = C.CString(o)
	}
	cOptionsArray := (**C.char)(C.malloc(C.size_t(len(cOptions)) * C.size_t(unsafe.Sizeof(cOptions[0]))))
	defer C.free(unsafe.Pointer(cOptionsArray))
	copy(unsafe.Slice(cOptionsArray, len(cOptions)), cOptions)
	defer func() {
		for _, o := range cOptions[:len(configOptions)] {
			C.free(unsafe.Pointer(o))
		}
	}()

	handle := cgo.NewHandle(run)
	defer handle.Delete()
	msg := C.geodataBuildOverviews(cPath, cResampling, C.int(len(levels)), cLevels, cOptionsArray, C.uintptr_t(handle))
	if msg == nil {
		return nil
	}
	defer C.CPLFree(unsafe.Pointer(msg))
	return &GDALError{Message: C.GoString(msg)}
}
