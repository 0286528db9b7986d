package media

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

func duration(t *testing.T, b []byte, contentType string) float64 {
	t.Helper()
	d, ok, err := Duration(bytes.NewReader(b), int64(len(b)), contentType)
	if err != nil || !ok {
		t.Fatalf("Duration = %v, %v, %v", d, ok, err)
	}
	return d
}

// Without a movie duration (zeroed mvhd), the track's media header says
// (3.628 s here: it counts the AAC encoder's priming samples, which the edit
// list hides).
func TestMP4FallsBackToTheTrackHeader(t *testing.T) {
	b := fixture(t, "voice.m4a")
	i := bytes.Index(b, []byte("mvhd"))
	binary.BigEndian.PutUint32(b[i+4+16:], 0)
	if d := duration(t, b, "audio/mp4"); math.Abs(d-3.5) > 0.15 {
		t.Fatalf("mdhd duration %v", d)
	}
}

// A damaged last page (bad CRC) is skipped for the one before it: a little
// shorter, still known.
func TestOggSkipsADamagedLastPage(t *testing.T) {
	b := fixture(t, "voice.opus")
	if bytes.Count(b, []byte("OggS")) < 3 {
		t.Fatal("fixture needs several pages")
	}
	b[len(b)-1] ^= 0xFF
	d := duration(t, b, "audio/ogg")
	if d >= 3.5 || d < 2.5 {
		t.Fatalf("duration %v, want the previous page's (< 3.5 s)", d)
	}
}

// An ID3v1 tag at the end is not audio for the constant-bitrate estimate.
func TestMP3CBRIgnoresID3v1(t *testing.T) {
	b := fixture(t, "id3.mp3") // no Xing header: the estimate is used
	want := duration(t, b, "audio/mpeg")
	tag := append([]byte("TAG"), make([]byte, 125)...)
	if d := duration(t, append(b, tag...), "audio/mpeg"); math.Abs(d-want) > 1e-9 {
		t.Fatalf("with ID3v1: %v, without: %v", d, want)
	}
}

// A WAV whose data size was never filled in (streamed) plays to the end.
func TestWAVWithUnfilledDataSize(t *testing.T) {
	b := fixture(t, "voice.wav")
	i := bytes.Index(b, []byte("data"))
	binary.LittleEndian.PutUint32(b[i+4:], 0xFFFFFFFF)
	if d := duration(t, b, "audio/wav"); math.Abs(d-3.5) > 0.001 {
		t.Fatalf("duration %v", d)
	}
}

// A WebM whose Info has no Duration but whose file ends mid-cluster still
// answers with the last whole block.
func TestWebMTruncatedLive(t *testing.T) {
	b := fixture(t, "mediarecorder.webm")
	d := duration(t, b[:len(b)-500], "audio/webm")
	if d >= 3.49 || d < 2.5 {
		t.Fatalf("duration %v", d)
	}
}

// A tail crafted full of false pages (right magic, serial and granule, a
// plausible length, a wrong CRC) costs a bounded amount of checksumming:
// without the budget this one made it hash ~30 MB.
func TestOggFalsePagesAreBounded(t *testing.T) {
	b := fixture(t, "voice.opus")
	unit := make([]byte, 32)
	for i := range unit {
		unit[i] = 0xFF
	}
	copy(unit, "OggS\x00\x00")
	binary.LittleEndian.PutUint64(unit[6:], 1000)
	copy(unit[14:18], b[14:18]) // the stream's serial
	unit[26] = 200
	file := append(append([]byte{}, b[:200]...), bytes.Repeat(unit, oggMaxPage/32)...)

	hashed := 0
	crcPage = func(p []byte) bool { hashed += len(p); return oggCRCOK(p) }
	defer func() { crcPage = oggCRCOK }()
	if _, ok, err := Duration(bytes.NewReader(file), int64(len(file)), "audio/ogg"); ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if hashed > oggCRCBudget {
		t.Fatalf("hashed %d bytes, budget %d", hashed, oggCRCBudget)
	}
}

// A Xing/Info frame without a frame count is a tag, not audio: the
// constant-bitrate estimate uses the next frame's bitrate (LAME writes the
// tag frame at a higher one: estimated from it, this file came out 1.3 s).
func TestMP3InfoFrameWithoutFrameCount(t *testing.T) {
	b := fixture(t, "cbr.mp3")
	i := bytes.Index(b, []byte("Info"))
	b[i+7] &^= 1 // clear the frames flag
	if d := duration(t, b, "audio/mpeg"); math.Abs(d-3.67) > 0.15 {
		t.Fatalf("duration %v", d)
	}
}
