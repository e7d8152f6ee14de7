package geodata

/*
#cgo pkg-config: gdal
#include "gdal_messages.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"sync"
)

// maxPendingMessages bounds the GDAL messages kept between two calls of
// TakeGDALMessages, so a file that warns once per block cannot grow them
// without limit.
const maxPendingMessages = 100

// gdalMessages holds the warnings and errors that GDAL reported outside a
// godal call carrying its own handler: godal calls without options
// (Structure, Bands, Metadata, ...) and GDAL's worker threads.
var gdalMessages struct {
	mu      sync.Mutex
	pending []string
	dropped int
}

// installGDALHandler routes every GDAL message that no per-call handler
// takes to gdalMessages instead of GDAL's default stderr printer.
func installGDALHandler() {
	C.geodataInstallGDALHandler()
}

//export geodataGDALMessage
func geodataGDALMessage(level, code C.int, message *C.char) {
	// CPLErr: 0 none, 1 debug, 2 warning, 3 failure, 4 fatal.
	if level < 2 {
		return
	}
	text := strings.TrimSpace(C.GoString(message))
	if level >= 3 {
		text = fmt.Sprintf("error %d: %s", int(code), text)
	}

	gdalMessages.mu.Lock()
	defer gdalMessages.mu.Unlock()
	if len(gdalMessages.pending) >= maxPendingMessages {
		gdalMessages.dropped++
		return
	}
	gdalMessages.pending = append(gdalMessages.pending, text)
}

// TakeGDALMessages returns and clears the GDAL warnings and errors that
// were not part of a returned error or an Info.Warnings list, oldest
// first. Errors start with "error N:". Messages are process-wide, so with
// several rasters open at once a message may belong to another file.
func TakeGDALMessages() []string {
	gdalMessages.mu.Lock()
	defer gdalMessages.mu.Unlock()
	out := gdalMessages.pending
	if gdalMessages.dropped > 0 {
		out = append(out, fmt.Sprintf("%d more GDAL messages were dropped", gdalMessages.dropped))
	}
	gdalMessages.pending = nil
	gdalMessages.dropped = 0
	return out
}
