package geodata

/*
#cgo pkg-config: gdal
#include <stdlib.h>
#include <gdal.h>
#include <cpl_error.h>
#include <cpl_string.h>

// geodataLoadPAM makes GDAL read the dataset's .aux.xml. NOTE: the GTiff
// driver of GDAL 3.6 loads it lazily, on the first CRS or geotransform
// request, and GDALGetRasterCategoryNames alone does not trigger it.
static void geodataLoadPAM(GDALDatasetH ds) {
	double gt[6];
	GDALGetProjectionRef(ds);
	GDALGetGeoTransform(ds, gt);
}

// geodataSetCategoryNames opens path, sets the category names of a band
// and closes the file, which makes GDAL's PAM layer save them in
// path.aux.xml (GeoTIFF has no tag for them). Returns 0 on success, or
// writes GDAL's message into msg.
static int geodataSetCategoryNames(const char *path, int band, char **names, char *msg, size_t msgLen) {
	CPLPushErrorHandler(CPLQuietErrorHandler);
	CPLErrorReset();
	int rc = 1;
	GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
	if (ds != NULL) {
		geodataLoadPAM(ds);
		GDALRasterBandH b = GDALGetRasterBand(ds, band);
		if (b != NULL && GDALSetRasterCategoryNames(b, names) == CE_None) {
			rc = 0;
		}
		GDALClose(ds);
		if (CPLGetLastErrorType() >= CE_Failure) {
			rc = 1;
		}
	}
	if (rc != 0) {
		CPLStrlcpy(msg, CPLGetLastErrorMsg(), msgLen);
	}
	CPLPopErrorHandler();
	return rc;
}

// geodataCategoryNames returns a copy of a band's category names (free
// with CSLDestroy), or NULL.
static char **geodataCategoryNames(const char *path, int band) {
	CPLPushErrorHandler(CPLQuietErrorHandler);
	char **out = NULL;
	GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
	if (ds != NULL) {
		geodataLoadPAM(ds);
		GDALRasterBandH b = GDALGetRasterBand(ds, band);
		if (b != NULL) {
			out = CSLDuplicate(GDALGetRasterCategoryNames(b));
		}
		GDALClose(ds);
	}
	CPLPopErrorHandler();
	return out;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// setCategoryNames stores class names as the category names of a band of
// the raster at path (1-based band). GDAL writes them to path.aux.xml.
func setCategoryNames(path string, band int, names []string) error {
	godalInit()
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))

	var list **C.char
	for _, n := range names {
		cn := C.CString(n)
		list = C.CSLAddString(list, cn)
		C.free(unsafe.Pointer(cn))
	}
	defer C.CSLDestroy(list)

	msg := make([]byte, 512)
	rc := C.geodataSetCategoryNames(cpath, C.int(band), list, (*C.char)(unsafe.Pointer(&msg[0])), C.size_t(len(msg)))
	if rc != 0 {
		return fmt.Errorf("set category names of %s band %d: %w", path, band, errors.New(C.GoString((*C.char)(unsafe.Pointer(&msg[0])))))
	}
	return nil
}

// CategoryNames returns the category names of a band (1-based) of the
// raster at path, as GDAL reads them (from the file or its .aux.xml).
func CategoryNames(path string, band int) []string {
	godalInit()
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	list := C.geodataCategoryNames(cpath, C.int(band))
	if list == nil {
		return nil
	}
	defer C.CSLDestroy(list)

	n := int(C.CSLCount(list))
	entries := unsafe.Slice(list, n)
	names := make([]string, n)
	for i, e := range entries {
		names[i] = C.GoString(e)
	}
	return names
}
