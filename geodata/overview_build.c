// C side of BuildOverviews: GDAL's progress callback cannot be a Go
// function directly, because cgo forbids definitions in the preamble of a
// file that exports Go functions.
#include <stdint.h>
#include <gdal.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include "overview_build.h"

extern int geodataOverviewProgress(double complete, char *message, void *token);

static int progressTrampoline(double complete, const char *message, void *token) {
	return geodataOverviewProgress(complete, (char *)message, token);
}

// Builds external overviews of the raster at path, opened read-only, and
// returns GDAL's last error message (to be freed with CPLFree) or NULL.
char *geodataBuildOverviews(const char *path, const char *resampling, int nLevels, int *levels,
                            char **configOptions, uintptr_t token) {
	for (char **opt = configOptions; opt && *opt; opt += 2) {
		CPLSetThreadLocalConfigOption(opt[0], opt[1]);
	}
	CPLErrorReset();
	CPLPushErrorHandler(CPLQuietErrorHandler);
	char *message = NULL;
	GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
	if (ds == NULL) {
		message = CPLStrdup(CPLGetLastErrorMsg());
	} else {
		CPLErr err = GDALBuildOverviews(ds, resampling, nLevels, levels, 0, NULL,
		                                progressTrampoline, (void *)token);
		if (err != CE_None) {
			message = CPLStrdup(CPLGetLastErrorMsg());
		}
		GDALClose(ds);
		if (message == NULL && CPLGetLastErrorType() >= CE_Failure) {
			message = CPLStrdup(CPLGetLastErrorMsg());
		}
	}
	CPLPopErrorHandler();
	for (char **opt = configOptions; opt && *opt; opt += 2) {
		CPLSetThreadLocalConfigOption(opt[0], NULL);
	}
	if (message != NULL && message[0] == '\0') {
		CPLFree(message);
		message = CPLStrdup("GDALBuildOverviews failed without a message");
	}
	return message;
}
