#include <stdint.h>
char *geodataBuildOverviews(const char *path, const char *resampling, int nLevels, int *levels,
                            char **configOptions, uintptr_t token);
