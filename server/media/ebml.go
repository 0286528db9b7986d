package media

import (
	"encoding/binary"
	"math"
)

// WebM/Matroska: Segment/Info/Duration (a float in TimecodeScale units,
// nanoseconds each, 1 ms by default). Live recordings (a browser's
// MediaRecorder) often have no Duration; those are unknown.
const (
	ebmlSegment       = 0x18538067
	ebmlInfo          = 0x1549A966
	ebmlCluster       = 0x1F43B675
	ebmlTimecodeScale = 0x2AD7B1
	ebmlDurationID    = 0x4489
	ebmlMaxElements   = 256
	ebmlUnknownSize   = -1
)

func ebmlDuration(s *src) (float64, error) {
	// Skip the EBML header, then find the Segment.
	_, size, off, err := ebmlElement(s, 0)
	if err != nil || size < 0 {
		return 0, errBad
	}
	id, _, seg, err := ebmlElement(s, off+size)
	if err != nil || id != ebmlSegment {
		return 0, errBad
	}
	// Level 1: stop at Info, or give up at the first Cluster (Info comes first).
	off = seg
	for range ebmlMaxElements {
		id, size, body, err := ebmlElement(s, off)
		if err != nil || size < 0 || id == ebmlCluster {
			return 0, errBad
		}
		if id == ebmlInfo {
			return ebmlInfoDuration(s, body, body+size)
		}
		off = body + size
	}
	return 0, errBad
}

func ebmlInfoDuration(s *src, off, end int64) (float64, error) {
	scale, dur := uint64(1000000), -1.0
	for range ebmlMaxElements {
		if off >= end {
			break
		}
		id, size, body, err := ebmlElement(s, off)
		if err != nil || size < 0 || body+size > end {
			return 0, errBad
		}
		switch id {
		case ebmlTimecodeScale:
			if size < 1 || size > 8 {
				return 0, errBad
			}
			b, err := s.full(body, int(size))
			if err != nil {
				return 0, err
			}
			scale = 0
			for _, c := range b {
				scale = scale<<8 | uint64(c)
			}
		case ebmlDurationID:
			b, err := s.full(body, int(min(size, 8)))
			if err != nil {
				return 0, err
			}
			switch size {
			case 4:
				dur = float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
			case 8:
				dur = math.Float64frombits(binary.BigEndian.Uint64(b))
			default:
				return 0, errBad
			}
		}
		off = body + size
	}
	if dur < 0 || scale == 0 {
		return 0, errBad
	}
	return dur * float64(scale) / 1e9, nil
}

// ebmlElement reads the element header at off: its ID (with the length
// marker, as the spec writes IDs), its size (ebmlUnknownSize when all ones)
// and where its body starts.
func ebmlElement(s *src, off int64) (id uint32, size, body int64, err error) {
	h, err := s.read(off, 12)
	if err != nil {
		return 0, 0, 0, err
	}
	idLen := vintLen(h)
	if idLen == 0 || idLen > 4 || idLen > len(h) {
		return 0, 0, 0, errBad
	}
	for _, c := range h[:idLen] {
		id = id<<8 | uint32(c)
	}
	rest := h[idLen:]
	n := vintLen(rest)
	if n == 0 || n > len(rest) {
		return 0, 0, 0, errBad
	}
	v := uint64(rest[0]) & (0xFF >> n)
	allOnes := v == 0xFF>>n
	for _, c := range rest[1:n] {
		v = v<<8 | uint64(c)
		allOnes = allOnes && c == 0xFF
	}
	body = off + int64(idLen+n)
	if allOnes {
		return id, ebmlUnknownSize, body, nil
	}
	if v > uint64(s.size) {
		return 0, 0, 0, errBad
	}
	return id, int64(v), body, nil
}

// vintLen is the length of the EBML variable-size integer starting at b[0]
// (1..8), or 0 if b is empty or its first byte is zero.
func vintLen(b []byte) int {
	if len(b) == 0 || b[0] == 0 {
		return 0
	}
	n := 1
	for m := byte(0x80); b[0]&m == 0; m >>= 1 {
		n++
	}
	return n
}
