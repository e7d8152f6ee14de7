package geodata

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Errors of the EXIF GPS reader, for errors.Is.
var (
	// ErrNotJPEG means the file does not start with a JPEG marker.
	ErrNotJPEG = errors.New("not a JPEG file")
	// ErrNoEXIF means the JPEG has no EXIF block.
	ErrNoEXIF = errors.New("no EXIF metadata")
	// ErrNoGPS means the EXIF block has no GPS latitude and longitude.
	ErrNoGPS = errors.New("no GPS position in EXIF")
	// ErrBadEXIF means the EXIF block is damaged or truncated.
	ErrBadEXIF = errors.New("EXIF metadata is damaged")
)

// maxJPEGHeaderBytes bounds how much of a JPEG is scanned for its EXIF
// block. EXIF must sit in an APP1 segment before the image data, and
// every segment is at most 64 KiB, so the block is near the start.
const maxJPEGHeaderBytes = 1 << 20

// maxIFDEntries bounds the entries read from one EXIF directory, so that a
// damaged count cannot make the reader loop for long.
const maxIFDEntries = 1024

// GPSPosition is a photo position read from EXIF, in WGS 84 degrees
// (EXIF's GPSMapDatum is almost always WGS-84 and is not read).
type GPSPosition struct {
	Lat, Lon float64
	// Direction is the camera heading in degrees clockwise from north
	// (true or magnetic, as recorded in GPSImgDirectionRef), or NaN when
	// the file does not record it.
	Direction float64
}

// ReadEXIFGPS reads the GPS latitude, longitude and image direction from
// the EXIF block of a JPEG. It reads at most the first 1 MiB of r. Every
// offset is checked against the block's length, so damaged input returns
// an error (FuzzReadEXIFGPS exercises this).
func ReadEXIFGPS(r io.Reader) (GPSPosition, error) {
	tiff, err := findEXIF(io.LimitReader(r, maxJPEGHeaderBytes))
	if err != nil {
		return GPSPosition{}, err
	}
	return parseEXIFGPS(tiff)
}

// findEXIF returns the TIFF structure inside the JPEG's APP1 "Exif"
// segment.
func findEXIF(r io.Reader) ([]byte, error) {
	var marker [2]byte
	if _, err := io.ReadFull(r, marker[:]); err != nil || marker != [2]byte{0xFF, 0xD8} {
		return nil, ErrNotJPEG
	}
	for {
		id, payload, err := nextJPEGSegment(r)
		if err != nil {
			return nil, err
		}
		switch {
		case id == 0xE1 && bytes.HasPrefix(payload, []byte("Exif\x00\x00")):
			return payload[6:], nil
		case id == 0xDA || id == 0xD9: // start of scan or end of image
			return nil, ErrNoEXIF
		}
	}
}

// nextJPEGSegment reads one marker segment and returns its marker byte and
// payload. Markers without a payload return an empty one.
func nextJPEGSegment(r io.Reader) (byte, []byte, error) {
	var b [1]byte
	// Skip fill bytes (0xFF) before the marker byte.
	if _, err := io.ReadFull(r, b[:]); err != nil || b[0] != 0xFF {
		return 0, nil, ErrNoEXIF
	}
	for b[0] == 0xFF {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, ErrNoEXIF
		}
	}
	id := b[0]
	if id == 0x01 || (id >= 0xD0 && id <= 0xD9) {
		return id, nil, nil
	}

	var size [2]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return 0, nil, ErrNoEXIF
	}
	n := int(binary.BigEndian.Uint16(size[:]))
	if n < 2 {
		return 0, nil, fmt.Errorf("%w: JPEG segment 0x%02X has length %d", ErrBadEXIF, id, n)
	}
	payload := make([]byte, n-2)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, ErrNoEXIF
	}
	return id, payload, nil
}

// EXIF tags and types used here (EXIF 2.32 and TIFF 6.0).
const (
	tagGPSIFD           = 0x8825
	tagGPSLatitudeRef   = 0x0001
	tagGPSLatitude      = 0x0002
	tagGPSLongitudeRef  = 0x0003
	tagGPSLongitude     = 0x0004
	tagGPSImgDirection  = 0x0011
	exifTypeASCII       = 2
	exifTypeLong        = 4
	exifTypeRational    = 5
	exifTypeSRational   = 10
	exifIFDEntryBytes   = 12
	exifTIFFHeaderBytes = 8
)

// exifTypeSizes gives the byte size of one value of each EXIF type.
var exifTypeSizes = map[uint16]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

// tiffReader reads values from a TIFF structure with bounds checks.
type tiffReader struct {
	data  []byte
	order binary.ByteOrder
}

// ifdEntry is one 12-byte entry of an image file directory.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte // the entry's data, inline or at its offset
}

func parseEXIFGPS(tiff []byte) (GPSPosition, error) {
	t, ifd0, err := newTIFFReader(tiff)
	if err != nil {
		return GPSPosition{}, err
	}
	entries, err := t.readIFD(ifd0)
	if err != nil {
		return GPSPosition{}, err
	}
	gpsEntry, ok := entries[tagGPSIFD]
	if !ok {
		return GPSPosition{}, ErrNoGPS
	}
	gpsOffset, err := t.long(gpsEntry)
	if err != nil {
		return GPSPosition{}, err
	}
	gps, err := t.readIFD(gpsOffset)
	if err != nil {
		return GPSPosition{}, err
	}
	return t.gpsPosition(gps)
}

func newTIFFReader(tiff []byte) (*tiffReader, uint32, error) {
	if len(tiff) < exifTIFFHeaderBytes {
		return nil, 0, fmt.Errorf("%w: TIFF header is truncated", ErrBadEXIF)
	}
	t := &tiffReader{data: tiff}
	switch string(tiff[:2]) {
	case "II":
		t.order = binary.LittleEndian
	case "MM":
		t.order = binary.BigEndian
	default:
		return nil, 0, fmt.Errorf("%w: unknown byte order %q", ErrBadEXIF, tiff[:2])
	}
	if t.order.Uint16(tiff[2:4]) != 42 {
		return nil, 0, fmt.Errorf("%w: TIFF magic number is not 42", ErrBadEXIF)
	}
	return t, t.order.Uint32(tiff[4:8]), nil
}

// readIFD reads the directory at offset into a map by tag. Entries whose
// data lies outside the block are skipped.
func (t *tiffReader) readIFD(offset uint32) (map[uint16]ifdEntry, error) {
	if uint64(offset)+2 > uint64(len(t.data)) {
		return nil, fmt.Errorf("%w: directory offset %d is outside the %d-byte block", ErrBadEXIF, offset, len(t.data))
	}
	n := int(t.order.Uint16(t.data[offset:]))
	if n > maxIFDEntries {
		return nil, fmt.Errorf("%w: directory claims %d entries", ErrBadEXIF, n)
	}
	start := int(offset) + 2
	if start+n*exifIFDEntryBytes > len(t.data) {
		return nil, fmt.Errorf("%w: directory of %d entries is truncated", ErrBadEXIF, n)
	}

	entries := make(map[uint16]ifdEntry, n)
	for i := 0; i < n; i++ {
		raw := t.data[start+i*exifIFDEntryBytes : start+(i+1)*exifIFDEntryBytes]
		if e, ok := t.entry(raw); ok {
			entries[e.tag] = e
		}
	}
	return entries, nil
}

func (t *tiffReader) entry(raw []byte) (ifdEntry, bool) {
	e := ifdEntry{tag: t.order.Uint16(raw[0:2]), typ: t.order.Uint16(raw[2:4]), count: t.order.Uint32(raw[4:8])}
	size, known := exifTypeSizes[e.typ]
	if !known || e.count > uint32(len(t.data)) {
		return e, false
	}
	total := uint64(size) * uint64(e.count)
	if total <= 4 {
		e.value = raw[8 : 8+total]
		return e, true
	}
	offset := uint64(t.order.Uint32(raw[8:12]))
	if offset+total > uint64(len(t.data)) {
		return e, false
	}
	e.value = t.data[offset : offset+total]
	return e, true
}

func (t *tiffReader) long(e ifdEntry) (uint32, error) {
	if e.typ != exifTypeLong || len(e.value) < 4 {
		return 0, fmt.Errorf("%w: GPS directory pointer has type %d", ErrBadEXIF, e.typ)
	}
	return t.order.Uint32(e.value), nil
}

// rationals decodes RATIONAL or SRATIONAL values. A zero denominator is an
// error.
func (t *tiffReader) rationals(e ifdEntry) ([]float64, error) {
	if e.typ != exifTypeRational && e.typ != exifTypeSRational {
		return nil, fmt.Errorf("%w: tag 0x%04X has type %d, want a rational", ErrBadEXIF, e.tag, e.typ)
	}
	out := make([]float64, 0, len(e.value)/8)
	for i := 0; i+8 <= len(e.value); i += 8 {
		var num, den float64
		if e.typ == exifTypeRational {
			num, den = float64(t.order.Uint32(e.value[i:])), float64(t.order.Uint32(e.value[i+4:]))
		} else {
			num, den = float64(int32(t.order.Uint32(e.value[i:]))), float64(int32(t.order.Uint32(e.value[i+4:])))
		}
		if den == 0 {
			return nil, fmt.Errorf("%w: tag 0x%04X has a zero denominator", ErrBadEXIF, e.tag)
		}
		out = append(out, num/den)
	}
	return out, nil
}

func (t *tiffReader) gpsPosition(gps map[uint16]ifdEntry) (GPSPosition, error) {
	lat, err := t.coordinate(gps, tagGPSLatitude, tagGPSLatitudeRef, 'N', 'S', 90)
	if err != nil {
		return GPSPosition{}, err
	}
	lon, err := t.coordinate(gps, tagGPSLongitude, tagGPSLongitudeRef, 'E', 'W', 180)
	if err != nil {
		return GPSPosition{}, err
	}
	pos := GPSPosition{Lat: lat, Lon: lon, Direction: math.NaN()}
	if e, ok := gps[tagGPSImgDirection]; ok {
		if v, err := t.rationals(e); err == nil && len(v) == 1 && v[0] >= 0 && v[0] <= 360 {
			pos.Direction = v[0]
		}
	}
	return pos, nil
}

// coordinate reads degrees, minutes, seconds and the hemisphere letter of
// one axis.
func (t *tiffReader) coordinate(gps map[uint16]ifdEntry, tag, refTag uint16, pos, neg byte, limit float64) (float64, error) {
	e, ok := gps[tag]
	ref, okRef := gps[refTag]
	if !ok || !okRef {
		return 0, ErrNoGPS
	}
	dms, err := t.rationals(e)
	if err != nil {
		return 0, err
	}
	if len(dms) != 3 || dms[1] < 0 || dms[1] >= 60 || dms[2] < 0 || dms[2] >= 60 {
		return 0, fmt.Errorf("%w: tag 0x%04X is not degrees, minutes, seconds: %v", ErrBadEXIF, tag, dms)
	}
	v := dms[0] + dms[1]/60 + dms[2]/3600

	if ref.typ != exifTypeASCII || len(ref.value) == 0 {
		return 0, fmt.Errorf("%w: tag 0x%04X is not a hemisphere letter", ErrBadEXIF, refTag)
	}
	switch ref.value[0] {
	case pos:
	case neg:
		v = -v
	default:
		return 0, fmt.Errorf("%w: hemisphere %q is not %c or %c", ErrBadEXIF, ref.value[0], pos, neg)
	}
	if !(math.Abs(v) <= limit) {
		return 0, fmt.Errorf("%w: coordinate %v is beyond %v degrees", ErrBadEXIF, v, limit)
	}
	return v, nil
}
