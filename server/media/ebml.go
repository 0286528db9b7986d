package media

import (
	"encoding/binary"
	"math"
)

// WebM/Matroska: Segment/Info/Duration (a float in TimecodeScale units,
// nanoseconds each, 1 ms by default). Live recordings (a browser's
// MediaRecorder, ffmpeg writing to a pipe) have no Duration: then the
// clusters are walked, header by header, to the last block's timecode.
const (
	ebmlSegment       = 0x18538067
	ebmlInfo          = 0x1549A966
	ebmlCluster       = 0x1F43B675
	ebmlTimecodeScale = 0x2AD7B1
	ebmlDurationID    = 0x4489
	ebmlTimecode      = 0xE7
	ebmlSimpleBlock   = 0xA3
	ebmlBlockGroup    = 0xA0
	ebmlBlock         = 0xA1
	ebmlMaxElements   = 256     // in the EBML header, Segment and Info levels
	ebmlMaxScan       = 1 << 20 // elements visited walking clusters (~5 h of 20 ms blocks)
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
	// Level 1: Info comes before the first Cluster.
	off = seg
	for range ebmlMaxElements {
		id, size, body, err := ebmlElement(s, off)
		if err != nil || size < 0 || id == ebmlCluster {
			return 0, errBad
		}
		if id == ebmlInfo {
			scale, dur, err := ebmlInfoFields(s, body, body+size)
			if err != nil {
				return 0, err
			}
			if dur < 0 {
				ticks, err := ebmlLastTimecode(s, body+size)
				if err != nil {
					return 0, err
				}
				dur = float64(ticks)
			}
			return dur * float64(scale) / 1e9, nil
		}
		off = body + size
	}
	return 0, errBad
}

// ebmlInfoFields returns TimecodeScale (default 1 ms) and Duration (-1 when
// absent) from the Info element's body [off, end).
func ebmlInfoFields(s *src, off, end int64) (scale uint64, dur float64, err error) {
	scale, dur = 1000000, -1
	for range ebmlMaxElements {
		if off >= end {
			break
		}
		id, size, body, err := ebmlElement(s, off)
		if err != nil || size < 0 || body+size > end {
			return 0, 0, errBad
		}
		switch id {
		case ebmlTimecodeScale:
			if scale, err = ebmlUint(s, body, size); err != nil {
				return 0, 0, err
			}
		case ebmlDurationID:
			b, err := s.full(body, int(min(size, 8)))
			if err != nil {
				return 0, 0, err
			}
			switch size {
			case 4:
				dur = float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
			case 8:
				dur = math.Float64frombits(binary.BigEndian.Uint64(b))
			default:
				return 0, 0, errBad
			}
			if !(dur >= 0) { // NaN or negative: not a duration
				return 0, 0, errBad
			}
		}
		off = body + size
	}
	if scale == 0 {
		return 0, 0, errBad
	}
	return scale, dur, nil
}

// ebmlLastTimecode walks the Segment's elements from off and returns the
// latest block timecode (cluster timecode + the block's relative one), in
// TimecodeScale ticks. Clusters of unknown size end at the next top-level
// element.
func ebmlLastTimecode(s *src, off int64) (int64, error) {
	var cluster, last int64
	found := false
	for range ebmlMaxScan {
		if off >= s.size {
			break
		}
		id, size, body, err := ebmlElement(s, off)
		if err != nil {
			break // a truncated tail: keep what was found
		}
		switch {
		case id == ebmlCluster || id == ebmlBlockGroup:
			off = body // descend: its children follow
			continue
		case size < 0:
			return 0, errBad // only clusters may have an unknown size here
		case id == ebmlTimecode:
			v, err := ebmlUint(s, body, size)
			if err != nil || v > math.MaxInt32*1000 {
				return 0, errBad
			}
			cluster = int64(v)
		case id == ebmlSimpleBlock || id == ebmlBlock:
			if t, ok := blockTimecode(s, body); ok && (!found || cluster+t > last) {
				last, found = cluster+t, true
			}
		}
		off = body + size
	}
	if !found {
		return 0, errBad
	}
	return last, nil
}

// blockTimecode reads a block's signed 16-bit timecode, after its track
// number (a vint).
func blockTimecode(s *src, off int64) (int64, bool) {
	b, err := s.read(off, 10)
	if err != nil {
		return 0, false
	}
	n := vintLen(b)
	if n == 0 || n+2 > len(b) {
		return 0, false
	}
	return int64(int16(binary.BigEndian.Uint16(b[n : n+2]))), true
}

// ebmlUint reads an unsigned integer element of 1 to 8 bytes.
func ebmlUint(s *src, off, size int64) (uint64, error) {
	if size < 1 || size > 8 {
		return 0, errBad
	}
	b, err := s.full(off, int(size))
	if err != nil {
		return 0, err
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, nil
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
