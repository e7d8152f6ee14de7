// C side of the process-wide GDAL message handler: GDAL's handler cannot
// be a Go function directly, because cgo forbids definitions in the
// preamble of a file that exports Go functions.
#include <cpl_error.h>
#include "gdal_messages.h"

extern void geodataGDALMessage(int level, int code, char *message);

static void messageTrampoline(CPLErr level, CPLErrorNum code, const char *message) {
	geodataGDALMessage((int)level, (int)code, (char *)message);
}

// Replaces GDAL's default handler, which prints to stderr. Handlers that
// godal pushes for one call still take precedence on their thread.
void geodataInstallGDALHandler(void) {
	CPLSetErrorHandler(messageTrampoline);
}
