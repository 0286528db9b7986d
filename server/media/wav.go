package media

import "encoding/binary"

// WAV: the data chunk's size divided by the fmt chunk's byte rate. RF64 keeps
// the real data size in its ds64 chunk (the data chunk says 0xFFFFFFFF).
// A streamed WAV whose data size is 0 or too large plays to the end of file.
const wavMaxChunks = 64

func wavDuration(s *src, rf64 bool) (float64, error) {
	var byteRate uint32
	var ds64 int64 = -1
	off := int64(12)
	for range wavMaxChunks {
		h, err := s.full(off, 8)
		if err != nil {
			return 0, err
		}
		id, size := string(h[:4]), int64(binary.LittleEndian.Uint32(h[4:8]))
		body := off + 8
		switch id {
		case "ds64":
			b, err := s.full(body, 16)
			if err != nil {
				return 0, err
			}
			ds64 = int64(binary.LittleEndian.Uint64(b[8:16]))
		case "fmt ":
			b, err := s.full(body, 16)
			if err != nil {
				return 0, err
			}
			byteRate = binary.LittleEndian.Uint32(b[8:12])
		case "data":
			if byteRate == 0 {
				return 0, errBad
			}
			if rf64 && size == 0xFFFFFFFF && ds64 >= 0 {
				size = ds64
			}
			if rest := s.size - body; size == 0 || size > rest {
				size = rest
			}
			return float64(size) / float64(byteRate), nil
		}
		off = body + size + size&1 // chunks are padded to even sizes
	}
	return 0, errBad
}
