package media

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDuration feeds arbitrary bytes under each content type: Duration must
// not panic, a known answer is finite and within [0, MaxPlausibleSeconds],
// and it reads a bounded multiple of the file (headers are re-read at most a
// few times; the MP3 sync scan may read its 64 KiB window about five times).
func FuzzDuration(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b, "audio/mpeg")
		}
	}
	f.Add([]byte("ID3\x04\x00\x10\x00\x00\x00\x00\xff\xfb\x90\x00"), "")
	f.Add([]byte("\x1a\x45\xdf\xa3\x01\xff\xff\xff\xff\xff\xff\xff"), "audio/webm")
	f.Fuzz(func(t *testing.T, b []byte, contentType string) {
		c := &countingReader{b: b}
		d, ok, err := Duration(c, int64(len(b)), contentType)
		if err != nil {
			t.Fatalf("in-memory read failed: %v", err)
		}
		if ok && !(d >= 0 && d <= MaxPlausibleSeconds) {
			t.Fatalf("duration %v", d)
		}
		if !ok && d != 0 {
			t.Fatalf("unknown with %v", d)
		}
		if limit := 8*len(b) + 512<<10; c.read > limit {
			t.Fatalf("read %d bytes of a %d-byte file", c.read, len(b))
		}
	})
}

// FuzzOggPage targets the Ogg tail scan: arbitrary tails after a valid
// first page.
func FuzzOggPage(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "voice.opus"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[len(b)-200:])
	f.Fuzz(func(t *testing.T, tail []byte) {
		file := append(append([]byte{}, b[:200]...), tail...)
		if d, ok, err := Duration(bytes.NewReader(file), int64(len(file)), "audio/ogg"); err != nil || (ok && d > MaxPlausibleSeconds) {
			t.Fatalf("%v %v %v", d, ok, err)
		}
	})
}
