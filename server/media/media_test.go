package media

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The fixtures are 3.5 s of a 440 Hz sine made with ffmpeg (see
// testdata/README); want is what ffprobe reports, and the tolerance covers
// encoder delay and padding, which formats count differently.
var fixtures = []struct {
	file, contentType string
	want, tol         float64
}{
	{"voice.opus", "audio/ogg; codecs=opus", 3.5, 0.02},
	{"vorbis.ogg", "audio/ogg", 3.5, 0.02},
	{"cbr.mp3", "audio/mpeg", 3.67, 0.1},
	{"vbr.mp3", "audio/mpeg", 3.67, 0.1},
	{"id3.mp3", "audio/mpeg", 3.67, 0.1},
	{"voice.m4a", "audio/mp4", 3.5, 0.03},
	{"voice.aac", "audio/aac", 3.58, 0.15},
	{"voice.wav", "audio/wav", 3.5, 0.001},
	{"rf64.wav", "audio/wav", 3.5, 0.001},
	{"voice.webm", "audio/webm", 3.508, 0.01},
	{"voice.mka", "audio/x-matroska", 3.532, 0.01},
	// Written to a pipe: no Duration, unknown Segment size; the last block
	// starts one 20 ms Opus frame before the end.
	{"live.webm", "audio/webm", 3.49, 0.03},
	// live.webm with every Cluster's size made unknown, as Chrome's
	// MediaRecorder writes them.
	{"mediarecorder.webm", "audio/webm;codecs=opus", 3.49, 0.03},
}

func TestDurationOfEachFormat(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			b := fixture(t, f.file)
			got, ok, err := Duration(bytes.NewReader(b), int64(len(b)), f.contentType)
			if err != nil || !ok {
				t.Fatalf("Duration = %v, %v, %v; want %v", got, ok, err, f.want)
			}
			if math.Abs(got-f.want) > f.tol {
				t.Fatalf("Duration = %.4f s, want %.3f ± %.3f", got, f.want, f.tol)
			}
		})
	}
}

// The bytes decide, not the declared type: a mislabelled file is still
// measured right.
func TestDurationIgnoresAWrongContentTypeForMagicFormats(t *testing.T) {
	b := fixture(t, "voice.opus")
	got, ok, err := Duration(bytes.NewReader(b), int64(len(b)), "audio/mpeg")
	if err != nil || !ok || math.Abs(got-3.5) > 0.02 {
		t.Fatalf("Duration = %v, %v, %v", got, ok, err)
	}
}

// Frame-synced formats have no magic number, so they are only tried when the
// type allows it: a PNG-labelled file that happens to hold MP3 frames is
// unknown.
func TestDurationNeedsAnAudioTypeForFrameFormats(t *testing.T) {
	b := fixture(t, "cbr.mp3")
	start, err := id3v2End(&src{r: bytes.NewReader(b), size: int64(len(b))})
	if err != nil || start == 0 {
		t.Fatalf("fixture has no ID3v2 tag: %v", err)
	}
	b = b[start:] // frames from offset 0
	if _, ok, err := Duration(bytes.NewReader(b), int64(len(b)), "image/png"); ok || err != nil {
		t.Fatalf("ok=%v err=%v, want unknown", ok, err)
	}
	if d, ok, err := Duration(bytes.NewReader(b), int64(len(b)), "audio/mpeg"); !ok || err != nil || math.Abs(d-3.67) > 0.1 {
		t.Fatalf("as audio/mpeg: %v, %v, %v", d, ok, err)
	}
}

func TestDurationUnknownForGarbageAndTruncation(t *testing.T) {
	cases := map[string][]byte{
		"empty": {},
		"text":  []byte("hello, this is not audio at all"),
		"zeros": make([]byte, 4096),
	}
	for _, f := range fixtures {
		b := fixture(t, f.file)
		cases[f.file+" first 40 bytes"] = b[:40]
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if d, ok, err := Duration(bytes.NewReader(b), int64(len(b)), "audio/mpeg"); ok || err != nil {
				t.Fatalf("Duration = %v, %v, %v; want unknown", d, ok, err)
			}
		})
	}
}

// A header may claim any length; a claim beyond MaxPlausibleSeconds is
// unknown, not a number to trust.
func TestDurationRefusesAbsurdClaims(t *testing.T) {
	b := fixture(t, "voice.wav")
	b[28], b[29], b[30], b[31] = 1, 0, 0, 0 // byte rate 1: 7000 s ... still plausible
	if d, ok, _ := Duration(bytes.NewReader(b), int64(len(b)), ""); !ok || d < 7000 {
		t.Fatalf("byte rate 1: %v %v", d, ok)
	}
	m := fixture(t, "voice.m4a")
	i := bytes.Index(m, []byte("mvhd"))
	copy(m[i+4+16:], []byte{0xFF, 0xFF, 0xFF, 0xFE}) // duration 4e9 in 1/1000 s: 46 days
	if d, ok, err := Duration(bytes.NewReader(m), int64(len(m)), ""); ok || err != nil {
		t.Fatalf("46-day mvhd: %v, %v, %v; want unknown", d, ok, err)
	}
}

type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errRead }

var errRead = errors.New("disk on fire")

func TestDurationReportsReadErrors(t *testing.T) {
	if _, ok, err := Duration(failingReader{}, 1000, "audio/ogg"); ok || !errors.Is(err, errRead) {
		t.Fatalf("ok=%v err=%v, want the read error", ok, err)
	}
}

// countingReader records how many bytes the readers pull from a file.
type countingReader struct {
	b    []byte
	read int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := bytes.NewReader(c.b).ReadAt(p, off)
	c.read += n
	return n, err
}

// Container formats read headers only: a long file costs about what a short
// one does (Ogg reads its last page, at most 64 KiB).
func TestDurationReadsOnlyHeaders(t *testing.T) {
	for _, name := range []string{"voice.m4a", "voice.wav", "voice.webm", "cbr.mp3", "vbr.mp3"} {
		b := fixture(t, name)
		// Pad the audio: 1 MiB of zeros after the file.
		big := append(append([]byte{}, b...), make([]byte, 1<<20)...)
		c := &countingReader{b: big}
		if _, _, err := Duration(c, int64(len(big)), "audio/mpeg"); err != nil {
			t.Fatal(err)
		}
		if c.read > mpegMaxSync+8<<10 {
			t.Errorf("%s: read %d bytes of %d", name, c.read, len(big))
		}
	}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
