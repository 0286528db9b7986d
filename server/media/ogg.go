package media

import "encoding/binary"

// Ogg: the duration is the granule position of the stream's last page, in
// samples (48 kHz for Opus, less its pre-skip; the sample rate of the
// identification header for Vorbis). Pages are at most 65307 bytes, so the
// last page starts within the last 64 KiB + a header.
const oggMaxPage = 27 + 255 + 255*255

// oggCRCBudget bounds the bytes checksummed looking for the last page: a
// real file finds it at the first or second candidate.
const oggCRCBudget = 4 * oggMaxPage

func oggDuration(s *src) (float64, error) {
	first, err := s.full(0, 27)
	if err != nil {
		return 0, err
	}
	serial := binary.LittleEndian.Uint32(first[14:18])
	nseg := int(first[26])
	packet, err := s.read(int64(27+nseg), 64)
	if err != nil {
		return 0, err
	}
	granule, err := oggLastGranule(s, serial)
	if err != nil {
		return 0, err
	}
	switch {
	case len(packet) >= 19 && string(packet[:8]) == "OpusHead":
		preSkip := int64(binary.LittleEndian.Uint16(packet[10:12]))
		return float64(granule-preSkip) / 48000, nil
	case len(packet) >= 16 && string(packet[:7]) == "\x01vorbis":
		rate := binary.LittleEndian.Uint32(packet[12:16])
		if rate == 0 {
			return 0, errBad
		}
		return float64(granule) / float64(rate), nil
	}
	return 0, errBad
}

// oggLastGranule finds the last complete page of the stream serial, scanning
// back from the end of the file, and returns its granule position.
func oggLastGranule(s *src, serial uint32) (int64, error) {
	start := s.size - oggMaxPage
	if start < 0 {
		start = 0
	}
	tail, err := s.read(start, int(s.size-start))
	if err != nil {
		return 0, err
	}
	budget := oggCRCBudget
	for i := len(tail) - 27; i >= 0; i-- {
		if string(tail[i:i+4]) != "OggS" || tail[i+4] != 0 {
			continue
		}
		h := tail[i:]
		g := int64(binary.LittleEndian.Uint64(h[6:14]))
		if binary.LittleEndian.Uint32(h[14:18]) != serial || g < 0 { // -1: no packet ends here
			continue
		}
		nseg := int(h[26])
		if 27+nseg > len(h) {
			continue
		}
		n := 27 + nseg
		for _, l := range h[27 : 27+nseg] {
			n += int(l)
		}
		if n > len(h) { // truncated page
			continue
		}
		if budget -= n; budget < 0 { // a tail crafted full of false pages
			return 0, errBad
		}
		if crcPage(h[:n]) {
			return g, nil
		}
	}
	return 0, errBad
}

// crcPage is oggCRCOK; tests count what it hashes.
var crcPage = oggCRCOK

// oggCRCOK checks a page's CRC (polynomial 0x04c11db7, unreflected, computed
// with the CRC field zeroed), so a stray "OggS" inside a packet is not taken
// for a page.
func oggCRCOK(page []byte) bool {
	var crc uint32
	for i, b := range page {
		if i >= 22 && i < 26 {
			b = 0
		}
		crc = crc<<8 ^ oggTable[byte(crc>>24)^b]
	}
	return crc == binary.LittleEndian.Uint32(page[22:26])
}

var oggTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()
