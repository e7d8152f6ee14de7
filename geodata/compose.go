package geodata

// stretchValue maps v linearly from r to 0..255, clamped.
func stretchValue(v float32, r [2]float64) uint8 {
	f := (float64(v) - r[0]) * 255 / (r[1] - r[0])
	switch {
	case f <= 0 || f != f:
		return 0
	case f >= 255:
		return 255
	}
	return uint8(f + 0.5)
}

// styleRaw turns one raw read into premultiplied RGBA pixels.
func (l *Layer) styleRaw(raw *rawRead) []uint8 {
	n := raw.width * raw.height
	pix := make([]uint8, n*4)
	nb := len(l.style.Bands)
	alpha := l.alphaSamples(raw, nb, n)
	if raw.bytes != nil && raw.mask == nil && alpha == nil && l.style.Mode == ModeRGB {
		l.styleRGBBytes(raw.bytes, n, pix)
		return pix
	}
	for p := 0; p < n; p++ {
		a := uint8(255)
		if raw.mask != nil && raw.mask[p] == 0 {
			continue
		}
		if alpha != nil {
			if a = alpha[p]; a == 0 {
				continue
			}
		}
		var r, g, b uint8
		var ok bool
		switch {
		case l.style.Mode == ModePalette:
			r, g, b, a, ok = l.palettePixel(raw, p, a)
		case raw.bytes != nil:
			r, g, b, ok = l.bytePixel(raw.bytes, n, nb, p)
		default:
			r, g, b, ok = l.floatPixel(raw.floats, n, nb, p)
		}
		if !ok || a == 0 {
			continue
		}
		o := pix[p*4 : p*4+4 : p*4+4]
		o[0], o[1], o[2], o[3] = premultiply(r, a), premultiply(g, a), premultiply(b, a), a
	}
	return pix
}

// alphaSamples returns the alpha band scaled to 0..255, or nil.
func (l *Layer) alphaSamples(raw *rawRead, nb, n int) []uint8 {
	if !l.hasAlpha {
		return nil
	}
	if raw.bytes != nil {
		return raw.bytes[nb*n : (nb+1)*n]
	}
	out := make([]uint8, n)
	for p, v := range raw.floats[nb*n : (nb+1)*n] {
		f := v * l.rules.alphaScale
		switch {
		case f <= 0 || f != f:
			out[p] = 0
		case f >= 255:
			out[p] = 255
		default:
			out[p] = uint8(f + 0.5)
		}
	}
	return out
}

func premultiply(c, a uint8) uint8 {
	if a == 255 {
		return c
	}
	return uint8((uint32(c)*uint32(a) + 127) / 255)
}

// bytePixel styles pixel p of a Byte read; ok is false when every shown
// band holds its nodata value.
func (l *Layer) bytePixel(data []uint8, n, nb, p int) (r, g, b uint8, ok bool) {
	var out [3]uint8
	for i := 0; i < nb; i++ {
		v := data[i*n+p]
		if l.rules.nodata[i].matches(float32(v)) {
			continue
		}
		out[i] = l.luts[i][v]
		ok = true
	}
	if nb == 1 {
		return out[0], out[0], out[0], ok
	}
	return out[0], out[1], out[2], ok
}

// floatPixel styles pixel p of a float32 read; ok is false when every
// shown band is nodata, NaN or a sentinel.
func (l *Layer) floatPixel(data []float32, n, nb, p int) (r, g, b uint8, ok bool) {
	var out [3]uint8
	for i := 0; i < nb; i++ {
		v := data[i*n+p]
		if badFloat(v) || l.rules.nodata[i].matches(v) {
			continue
		}
		out[i] = stretchValue(v, l.style.Ranges[i])
		ok = true
	}
	if nb == 1 {
		return out[0], out[0], out[0], ok
	}
	return out[0], out[1], out[2], ok
}

// palettePixel looks pixel p up in the colour table. Indices outside the
// table and the nodata index are transparent.
func (l *Layer) palettePixel(raw *rawRead, p int, a uint8) (r, g, b, alpha uint8, ok bool) {
	var v float32
	if raw.bytes != nil {
		v = float32(raw.bytes[p])
	} else {
		v = raw.floats[p]
	}
	if badFloat(v) || l.rules.nodata[0].matches(v) || v < 0 || int(v) >= len(l.style.Palette) {
		return 0, 0, 0, 0, false
	}
	c := l.style.Palette[int(v)]
	return c.R, c.G, c.B, uint8(uint32(c.A) * uint32(a) / 255), true
}

// styleRGBBytes is styleRaw's fast path for three Byte bands with no mask
// and no alpha band.
func (l *Layer) styleRGBBytes(data []uint8, n int, pix []uint8) {
	r, g, b := data[:n], data[n:2*n], data[2*n:3*n]
	lutR, lutG, lutB := &l.luts[0], &l.luts[1], &l.luts[2]
	ndR, ndG, ndB := l.rules.nodata[0], l.rules.nodata[1], l.rules.nodata[2]
	anyNodata := ndR.set || ndG.set || ndB.set
	for p := 0; p < n; p++ {
		vr, vg, vb := r[p], g[p], b[p]
		if anyNodata && ndR.matches(float32(vr)) && ndG.matches(float32(vg)) && ndB.matches(float32(vb)) {
			continue
		}
		o := pix[p*4 : p*4+4 : p*4+4]
		o[0], o[1], o[2], o[3] = lutR[vr], lutG[vg], lutB[vb], 255
		if anyNodata {
			o[0] = keepUnlessNodata(o[0], ndR, vr)
			o[1] = keepUnlessNodata(o[1], ndG, vg)
			o[2] = keepUnlessNodata(o[2], ndB, vb)
		}
	}
}

// keepUnlessNodata returns 0 for a channel whose band holds its nodata
// value, as styleRaw does when only some bands are nodata.
func keepUnlessNodata(c uint8, nd nodataTest, v uint8) uint8 {
	if nd.matches(float32(v)) {
		return 0
	}
	return c
}
