#ifndef GEODATA_GDAL_MESSAGES_H
#define GEODATA_GDAL_MESSAGES_H
void geodataInstallGDALHandler(void);
#endif
