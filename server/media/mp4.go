package media

import "encoding/binary"

// MP4/M4A: the movie header's duration over its timescale (moov/mvhd), or,
// when that is zero, the longest track's media header (moov/trak/mdia/mdhd).
// Boxes are walked by their sizes, so only headers are read.
const mp4MaxBoxes = 1024

// isMP4Box tells whether the type of the file's first box is one an MP4
// starts with.
func isMP4Box(t string) bool {
	switch t {
	case "ftyp", "moov", "mdat", "free", "skip", "wide":
		return true
	}
	return false
}

func mp4Duration(s *src) (float64, error) {
	moov, moovEnd, err := mp4Find(s, 0, s.size, "moov")
	if err != nil {
		return 0, err
	}
	if off, _, err := mp4Find(s, moov, moovEnd, "mvhd"); err == nil {
		if d, err := mp4Header(s, off); err == nil && d > 0 {
			return d, nil
		}
	}
	// Fall back to the tracks' media headers.
	best := 0.0
	off := moov
	for range mp4MaxBoxes {
		trak, trakEnd, err := mp4Find(s, off, moovEnd, "trak")
		if err != nil {
			break
		}
		off = trakEnd
		mdia, mdiaEnd, err := mp4Find(s, trak, trakEnd, "mdia")
		if err != nil {
			continue
		}
		mdhd, _, err := mp4Find(s, mdia, mdiaEnd, "mdhd")
		if err != nil {
			continue
		}
		if d, err := mp4Header(s, mdhd); err == nil && d > best {
			best = d
		}
	}
	if best == 0 {
		return 0, errBad
	}
	return best, nil
}

// mp4Find returns the body bounds of the first box of type t among the boxes
// in [off, end).
func mp4Find(s *src, off, end int64, t string) (body, bodyEnd int64, err error) {
	for range mp4MaxBoxes {
		if off+8 > end {
			return 0, 0, errBad
		}
		h, err := s.full(off, 8)
		if err != nil {
			return 0, 0, err
		}
		size, hdr := int64(binary.BigEndian.Uint32(h[:4])), int64(8)
		switch size {
		case 0: // to the end of the enclosing box
			size = end - off
		case 1: // 64-bit size follows
			b, err := s.full(off+8, 8)
			if err != nil {
				return 0, 0, err
			}
			size, hdr = int64(binary.BigEndian.Uint64(b)), 16
		}
		if size < hdr || size > end-off {
			return 0, 0, errBad
		}
		if string(h[4:8]) == t {
			return off + hdr, off + size, nil
		}
		off += size
	}
	return 0, 0, errBad
}

// mp4Header reads duration/timescale from an mvhd or mdhd body (same layout
// up to the duration: version 0 with 32-bit times, version 1 with 64-bit).
func mp4Header(s *src, off int64) (float64, error) {
	b, err := s.full(off, 20)
	if err == nil && b[0] == 1 {
		b, err = s.full(off, 32)
	}
	if err != nil {
		return 0, err
	}
	var scale uint32
	var dur uint64
	switch b[0] {
	case 0:
		scale, dur = binary.BigEndian.Uint32(b[12:16]), uint64(binary.BigEndian.Uint32(b[16:20]))
		if dur == 0xFFFFFFFF { // unknown
			return 0, errBad
		}
	case 1:
		scale, dur = binary.BigEndian.Uint32(b[20:24]), binary.BigEndian.Uint64(b[24:32])
		if dur == 1<<64-1 {
			return 0, errBad
		}
	default:
		return 0, errBad
	}
	if scale == 0 {
		return 0, errBad
	}
	return float64(dur) / float64(scale), nil
}
