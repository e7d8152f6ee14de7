/*
 * The version interface of an ONNX Runtime 1.16 core library: OrtGetApiBase
 * reports version 1.16.3 and offers no C API version above 16, as ONNX
 * Runtime 1.16.3 does. No older ONNX Runtime release ships with the
 * project, so the tests compile this file with the system C compiler to
 * check the error for a library that is too old.
 */
#include <stddef.h>

typedef struct {
	const void *(*GetApi)(unsigned int version);
	const char *(*GetVersionString)(void);
} OrtApiBase;

static const void *get_api(unsigned int version) {
	(void)version;
	return NULL; /* every version the Go binding requests is above 16 */
}

static const char *get_version_string(void) {
	return "1.16.3";
}

static const OrtApiBase api_base = {get_api, get_version_string};

const OrtApiBase *OrtGetApiBase(void) {
	return &api_base;
}
