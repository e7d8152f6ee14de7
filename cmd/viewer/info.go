package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/downthere/downthere/geodata"
)

func init() {
	registerCommand("info", "describe a raster: size, bands, nodata, masks, overviews, CRS, georeferencing", runInfo)
}

// infoReport is the JSON form of "viewer info".
type infoReport struct {
	geodata.Info
	DefaultDisplay display `json:"default_display"`
}

type display struct {
	Mode  geodata.RenderMode `json:"mode"`
	Bands []int              `json:"bands"`
}

// runInfo prints the description of one raster. It returns 0 on success,
// 1 when the file cannot be read and 2 for a usage error.
func runInfo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("info", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the description as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: viewer info [--json] FILE\n\nDescribes a raster that GDAL can read.")
		fs.PrintDefaults()
	}
	flags, files := splitFlags(args)
	if err := fs.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "viewer info: expected one FILE, got %d\n", len(files))
		fs.Usage()
		return 2
	}

	if st, err := os.Stat(files[0]); err == nil && st.IsDir() {
		fmt.Fprintf(stderr, "viewer info: %s is a folder, not a raster file: give one of the files in it\n", files[0])
		return 1
	}
	ds, err := geodata.Open(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "viewer info: %v\n", err)
		return 1
	}
	info := ds.Info()
	if err := ds.Close(); err != nil {
		fmt.Fprintf(stderr, "viewer info: %v\n", err)
		return 1
	}
	mode, bands := geodata.DefaultBands(info)
	report := infoReport{Info: info, DefaultDisplay: display{Mode: mode, Bands: bands}}
	report.Warnings = append(report.Warnings, geodata.TakeGDALMessages()...)
	out := bufio.NewWriter(stdout)
	if *asJSON {
		if status := printInfoJSON(report, out, stderr); status != 0 {
			return status
		}
	} else {
		printInfoText(report, out)
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "viewer info: write to stdout: %v\n", err)
		return 1
	}
	return 0
}

// splitFlags separates flags from positional arguments, so flags may follow
// the file name. Everything after "--" is positional.
func splitFlags(args []string) (flags, positional []string) {
	for i, a := range args {
		switch {
		case a == "--":
			return flags, append(positional, args[i+1:]...)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
		default:
			positional = append(positional, a)
		}
	}
	return flags, positional
}

func printInfoJSON(report infoReport, stdout, stderr io.Writer) int {
	out, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "viewer info: encode JSON for %s: %v\n", report.Path, err)
		return 1
	}
	fmt.Fprintln(stdout, string(out))
	return 0
}

func printInfoText(r infoReport, w io.Writer) {
	info := r.Info
	fmt.Fprintf(w, "File:            %s\n", info.Path)
	fmt.Fprintf(w, "Driver:          %s (%s)\n", info.Driver, info.DriverLongName)
	bands := "bands"
	if len(info.Bands) == 1 {
		bands = "band"
	}
	fmt.Fprintf(w, "Size:            %d x %d pixels, %d %s\n", info.Width, info.Height, len(info.Bands), bands)

	fmt.Fprintf(w, "Georeferencing:  %s\n", describeGeoref(info))
	fmt.Fprintf(w, "CRS:             %s\n", describeCRS(info.CRS))
	gt := info.GeoTransform
	fmt.Fprintf(w, "Geotransform:    origin (%.15g, %.15g), pixel (%.15g, %.15g), rotation (%.15g, %.15g)\n",
		gt[0], gt[3], gt[1], gt[5], gt[2], gt[4])
	e := info.Extent
	fmt.Fprintf(w, "Extent:          x %.15g to %.15g, y %.15g to %.15g\n", e.MinX, e.MaxX, e.MinY, e.MaxY)
	if ll := info.LonLatExtent; ll != nil {
		across := ""
		if ll.MinX > ll.MaxX {
			across = " (crosses the antimeridian)"
		}
		fmt.Fprintf(w, "Lon/lat extent:  lon %.8g to %.8g, lat %.8g to %.8g%s\n", ll.MinX, ll.MaxX, ll.MinY, ll.MaxY, across)
	}

	if info.AreaOrPoint != "" {
		fmt.Fprintf(w, "Area or point:   %s\n", info.AreaOrPoint)
	}

	fmt.Fprintf(w, "Default display: %s, bands %s\n", r.DefaultDisplay.Mode, joinInts(r.DefaultDisplay.Bands))
	fmt.Fprintln(w, "Bands:")
	for _, b := range info.Bands {
		printBand(w, b)
	}

	for _, n := range info.Notes {
		fmt.Fprintf(w, "Note:            %s\n", n)
	}
	for _, warning := range info.Warnings {
		fmt.Fprintf(w, "GDAL warning:    %s\n", warning)
	}
}

func printBand(w io.Writer, b geodata.BandInfo) {
	fmt.Fprintf(w, "  %d: %s, %s, nodata %s, mask %s, block %dx%d", b.Number, b.DataType, b.ColorInterp,
		b.NoData, b.MaskFlags, b.BlockWidth, b.BlockHeight)
	if len(b.Overviews) > 0 {
		sizes := make([]string, len(b.Overviews))
		for i, o := range b.Overviews {
			sizes[i] = fmt.Sprintf("%dx%d", o.Width, o.Height)
		}
		fmt.Fprintf(w, ", overviews %s", strings.Join(sizes, " "))
	}
	if b.ColorTableEntries > 0 {
		fmt.Fprintf(w, ", colour table of %d entries", b.ColorTableEntries)
	}
	if b.Scale != 1 || b.Offset != 0 {
		fmt.Fprintf(w, ", scale %g offset %g", b.Scale, b.Offset)
	}
	if b.Description != "" {
		fmt.Fprintf(w, ", %q", b.Description)
	}
	fmt.Fprintln(w)
}

func describeGeoref(info geodata.Info) string {
	switch info.Georef {
	case geodata.GeorefGCPs:
		return fmt.Sprintf("%d GCPs only (affine fit, largest residual %.3g pixels)", len(info.GCPs), info.GCPFitMaxResidual)
	case geodata.GeorefNone:
		return "none (shown in pixel coordinates)"
	}
	switch {
	case info.Rotated():
		return "geotransform, rotated"
	case info.SouthUp():
		return "geotransform, south-up"
	}
	return "geotransform, north-up"
}

func describeCRS(c geodata.CRS) string {
	if c.Kind == geodata.CRSNone {
		return "none"
	}
	s := c.Name
	if c.EPSG != 0 {
		s = fmt.Sprintf("EPSG:%d %s", c.EPSG, c.Name)
	}
	s += " (" + string(c.Kind)
	if c.Units != "" {
		s += ", " + c.Units
	}
	return s + ")"
}

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ",")
}
