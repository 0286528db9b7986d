// Package media reads how long an audio file plays from the file itself, in
// pure Go and without decoding: Ogg (Opus, Vorbis), MP3, MP4/M4A, ADTS AAC,
// WAV (RIFF, RF64) and WebM/Matroska.
//
// Files are untrusted: every reader is bounded. It reads only the headers it
// needs (the last Ogg page, the MP4 movie header, ...), never allocates from a
// length found in the file without a cap, and answers ok=false for anything
// it cannot vouch for rather than guessing.
package media

import (
	"errors"
	"io"
	"math"
	"strings"
)

// MaxPlausibleSeconds is the longest duration Duration reports; longer
// claims (a header saying a voice note lasts a century) are unknown.
const MaxPlausibleSeconds = 7 * 24 * 3600

// errBad marks a malformed or unsupported file inside the readers; Duration
// turns it into ok=false.
var errBad = errors.New("media: malformed")

// Duration returns how many seconds the audio in r (size bytes) plays.
// ok is false when the format is not recognised or the file does not say
// (a malformed header, a live-recorded WebM without Duration); err is only
// for failures reading r. The bytes decide the format; contentType only
// permits the formats that have no magic number (MPEG audio and ADTS
// frames at offset 0), so a random file is not taken for MP3.
func Duration(r io.ReaderAt, size int64, contentType string) (seconds float64, ok bool, err error) {
	if size <= 0 {
		return 0, false, nil
	}
	s := &src{r: r, size: size}
	head, err := s.read(0, 12)
	if err != nil {
		return result(0, err)
	}
	var d float64
	switch {
	case len(head) >= 4 && string(head[:4]) == "OggS":
		d, err = oggDuration(s)
	case len(head) >= 12 && (string(head[:4]) == "RIFF" || string(head[:4]) == "RF64") && string(head[8:12]) == "WAVE":
		d, err = wavDuration(s, string(head[:4]) == "RF64")
	case len(head) >= 8 && isMP4Box(string(head[4:8])):
		d, err = mp4Duration(s)
	case len(head) >= 4 && string(head[:4]) == "\x1a\x45\xdf\xa3":
		d, err = ebmlDuration(s)
	case len(head) >= 3 && string(head[:3]) == "ID3":
		d, err = mpegDuration(s)
	case framed(contentType):
		d, err = mpegDuration(s)
	default:
		return 0, false, nil
	}
	return result(d, err)
}

// result maps the readers' outcome onto Duration's (seconds, ok, err).
func result(d float64, err error) (float64, bool, error) {
	if errors.Is(err, errBad) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if math.IsNaN(d) || math.IsInf(d, 0) || d < 0 || d > MaxPlausibleSeconds {
		return 0, false, nil
	}
	return d, true, nil
}

// framed tells whether contentType allows sniffing MPEG audio or ADTS frame
// headers (which have no magic number at offset 0).
func framed(contentType string) bool {
	ct := strings.ToLower(strings.TrimSpace(contentType))
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	switch ct {
	case "", "application/octet-stream", "audio/mpeg", "audio/mp3", "audio/mpeg3", "audio/x-mpeg",
		"audio/aac", "audio/aacp", "audio/x-aac", "audio/x-hx-aac-adts":
		return true
	}
	return false
}

// maxRead caps any single read; no header this package reads is larger.
const maxRead = 1 << 17

// src is a bounded view of the file.
type src struct {
	r    io.ReaderAt
	size int64
}

// read returns up to n bytes at off (fewer at the end of the file, none past
// it). n is capped by maxRead so a length from the file cannot make it
// allocate much.
func (s *src) read(off int64, n int) ([]byte, error) {
	if off < 0 || off >= s.size {
		return nil, errBad
	}
	if n > maxRead {
		n = maxRead
	}
	if rest := s.size - off; int64(n) > rest {
		n = int(rest)
	}
	b := make([]byte, n)
	m, err := s.r.ReadAt(b, off)
	if m == n {
		return b, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return b[:m], err
}

// full reads exactly n bytes at off or fails with errBad.
func (s *src) full(off int64, n int) ([]byte, error) {
	b, err := s.read(off, n)
	if err != nil {
		return nil, err
	}
	if len(b) < n {
		return nil, errBad
	}
	return b, nil
}
