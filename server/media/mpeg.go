package media

import "encoding/binary"

// MPEG audio (MP3) and ADTS AAC: streams of frames without a container.
// MP3: after any ID3v2 tag, the first frame may carry a Xing/Info or VBRI
// header with the frame count; otherwise the file is taken as constant
// bitrate (audio bytes * 8 / bitrate). ADTS: frame headers are walked to the
// end (7 bytes read per frame, bounded by adtsMaxFrames).
const (
	mpegMaxSync   = 64 << 10 // how far past the tag a first frame may start
	adtsMaxFrames = 1 << 20  // ~6 h at 48 kHz
)

func mpegDuration(s *src) (float64, error) {
	start, err := id3v2End(s)
	if err != nil {
		return 0, err
	}
	buf, err := s.read(start, mpegMaxSync+4)
	if err != nil {
		return 0, err
	}
	for i := 0; i+4 <= len(buf); i++ {
		if buf[i] != 0xFF || buf[i+1]&0xE0 != 0xE0 {
			continue
		}
		off := start + int64(i)
		if buf[i+1]&0x06 == 0 { // layer bits 00: ADTS
			if f, ok := adtsFrame(buf[i:]); ok && confirmADTS(s, off, f) {
				return adtsDuration(s, off)
			}
			continue
		}
		if f, ok := mpegFrame(buf[i:]); ok && confirmMPEG(s, off, f) {
			return mp3Duration(s, off, f)
		}
	}
	return 0, errBad
}

// id3v2End returns where the audio starts after an ID3v2 tag (0 without one).
func id3v2End(s *src) (int64, error) {
	h, err := s.read(0, 10)
	if err != nil {
		return 0, err
	}
	if len(h) < 10 || string(h[:3]) != "ID3" {
		return 0, nil
	}
	var size int64
	for _, c := range h[6:10] {
		if c&0x80 != 0 {
			return 0, errBad
		}
		size = size<<7 | int64(c)
	}
	size += 10
	if h[5]&0x10 != 0 { // footer
		size += 10
	}
	return size, nil
}

// mpegHeader is what a frame header says.
type mpegHeader struct {
	length      int // bytes, with padding
	samples     int // per frame
	rate        int // Hz
	bitrate     int // bits per second
	mpeg1, mono bool
}

var (
	mpegRates = [4][3]int{{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000}} // by version bits
	// kbit/s by [mpeg1?][layer-1][index]
	mpegBitrates = [2][3][16]int{
		{{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
			{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
			{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}},
		{{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
			{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
			{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}},
	}
)

// mpegFrame parses an MPEG audio frame header at b (free-format and reserved
// values are refused).
func mpegFrame(b []byte) (mpegHeader, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return mpegHeader{}, false
	}
	version, layerBits := int(b[1]>>3&3), int(b[1]>>1&3)
	bi, ri, pad := int(b[2]>>4), int(b[2]>>2&3), int(b[2]>>1&1)
	if version == 1 || layerBits == 0 || bi == 0 || bi == 15 || ri == 3 {
		return mpegHeader{}, false
	}
	layer := 4 - layerBits // 1, 2 or 3
	h := mpegHeader{mpeg1: version == 3, mono: b[3]>>6 == 3, rate: mpegRates[version][ri]}
	m1 := 0
	if h.mpeg1 {
		m1 = 1
	}
	h.bitrate = mpegBitrates[m1][layer-1][bi] * 1000
	switch {
	case layer == 1:
		h.samples = 384
		h.length = (12*h.bitrate/h.rate + pad) * 4
	case layer == 3 && !h.mpeg1:
		h.samples = 576
		h.length = 72*h.bitrate/h.rate + pad
	default:
		h.samples = 1152
		h.length = 144*h.bitrate/h.rate + pad
	}
	return h, h.length >= 4
}

// confirmMPEG checks that another frame header (or the end of the file, or an
// ID3v1 tag) follows, so a stray 0xFFE in a tag is not taken for a frame.
func confirmMPEG(s *src, off int64, f mpegHeader) bool {
	next := off + int64(f.length)
	if next >= s.size-128 {
		return next <= s.size
	}
	b, err := s.read(next, 4)
	if err != nil {
		return false
	}
	_, ok := mpegFrame(b)
	return ok || (len(b) >= 3 && string(b[:3]) == "TAG")
}

func mp3Duration(s *src, off int64, f mpegHeader) (float64, error) {
	var ok bool
	b, err := s.read(off, 4+32+16)
	if err != nil {
		return 0, err
	}
	side := 32 // Xing sits after the side information
	switch {
	case f.mpeg1 && f.mono, !f.mpeg1 && !f.mono:
		side = 17
	case !f.mpeg1 && f.mono:
		side = 9
	}
	tagged := false // the first frame is an encoder's tag frame, not audio
	if x := b[min(4+side, len(b)):]; len(x) >= 12 && (string(x[:4]) == "Xing" || string(x[:4]) == "Info") {
		if binary.BigEndian.Uint32(x[4:8])&1 != 0 {
			frames := binary.BigEndian.Uint32(x[8:12])
			return float64(frames) * float64(f.samples) / float64(f.rate), nil
		}
		tagged = true
	}
	if v := b[min(4+32, len(b)):]; len(v) >= 18 && string(v[:4]) == "VBRI" {
		frames := binary.BigEndian.Uint32(v[14:18])
		return float64(frames) * float64(f.samples) / float64(f.rate), nil
	}
	if tagged { // its bitrate is the tag's, not the audio's: estimate from the next frame
		next := off + int64(f.length)
		h, err := s.read(next, 4)
		if err != nil {
			return 0, err
		}
		if f, ok = mpegFrame(h); !ok {
			return 0, errBad
		}
		off = next
	}
	end := s.size
	if t, err := s.read(s.size-128, 3); err == nil && s.size-128 > off && string(t) == "TAG" {
		end -= 128
	}
	return float64(end-off) * 8 / float64(f.bitrate), nil
}

// adtsHeader is what an ADTS frame header says.
type adtsHeader struct{ length, rate int }

var adtsRates = [13]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

func adtsFrame(b []byte) (adtsHeader, bool) {
	if len(b) < 7 || b[0] != 0xFF || b[1]&0xF6 != 0xF0 {
		return adtsHeader{}, false
	}
	ri := int(b[2] >> 2 & 0xF)
	if ri >= len(adtsRates) {
		return adtsHeader{}, false
	}
	length := int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5]>>5)
	return adtsHeader{length: length, rate: adtsRates[ri]}, length >= 7
}

func confirmADTS(s *src, off int64, f adtsHeader) bool {
	next := off + int64(f.length)
	if next >= s.size {
		return next == s.size
	}
	b, err := s.read(next, 7)
	if err != nil {
		return false
	}
	_, ok := adtsFrame(b)
	return ok
}

// adtsDuration counts frames (1024 samples each, one raw block per frame as
// encoders write them) up to the end of the file or the first broken header.
func adtsDuration(s *src, off int64) (float64, error) {
	var samples, rate int
	for range adtsMaxFrames {
		b, err := s.read(off, 7)
		if err != nil && off < s.size {
			return 0, err
		}
		f, ok := adtsFrame(b)
		if !ok || (rate != 0 && f.rate != rate) {
			break
		}
		rate = f.rate
		samples += 1024 * (int(b[6]&3) + 1)
		off += int64(f.length)
	}
	if rate == 0 {
		return 0, errBad
	}
	return float64(samples) / float64(rate), nil
}
