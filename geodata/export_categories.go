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

// geodataSetBandPAM opens path, sets the category names of a band (when
// names is not NULL) and its colour interpretation to grey (when grey is
// not 0), and closes the file, which makes GDAL's PAM layer save them in
// path.aux.xml (GeoTIFF has no tags for them). Returns 0 on success, or
// writes GDAL's message into msg.
static int geodataSetBandPAM(const char *path, int band, char **names, int grey, char *msg, size_t msgLen) {
	CPLPushErrorHandler(CPLQuietErrorHandler);
	CPLErrorReset();
	int rc = 1;
	GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
	if (ds != NULL) {
		geodataLoadPAM(ds);
		GDALRasterBandH b = GDALGetRasterBand(ds, band);
		if (b != NULL) {
			rc = 0;
			if (names != NULL && GDALSetRasterCategoryNames(b, names) != CE_None) {
				rc = 1;
			}
			if (grey && GDALSetRasterColorInterpretation(b, GCI_GrayIndex) != CE_None) {
				rc = 1;
			}
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
	var list **C.char
	for _, n := range names {
		cn := C.CString(n)
		list = C.CSLAddString(list, cn)
		C.free(unsafe.Pointer(cn))
	}
	defer C.CSLDestroy(list)
	if err := setBandPAM(path, band, list, false); err != nil {
		return fmt.Errorf("set category names of %s band %d: %w", path, band, err)
	}
	return nil
}

// setGrey sets the colour interpretation of a band (1-based) of the
// GeoTIFF at path to grey, kept in path.aux.xml as setCategoryNames keeps
// the names.
func setGrey(path string, band int) error {
	if err := setBandPAM(path, band, nil, true); err != nil {
		return fmt.Errorf("set band %d of %s to grey: %w", band, path, err)
	}
	return nil
}

// setBandPAM runs geodataSetBandPAM and returns GDAL's message as the
// error.
func setBandPAM(path string, band int, names **C.char, grey bool) error {
	godalInit()
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))

	g := C.int(0)
	if grey {
		g = 1
	}
	msg := make([]byte, 512)
	if rc := C.geodataSetBandPAM(cpath, C.int(band), names, g, (*C.char)(unsafe.Pointer(&msg[0])), C.size_t(len(msg))); rc != 0 {
		return errors.New(C.GoString((*C.char)(unsafe.Pointer(&msg[0]))))
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
