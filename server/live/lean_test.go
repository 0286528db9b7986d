package live

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// recorder keeps what each Write wrote.
type recorder struct{ writes [][]byte }

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

func testFrame(rng *rand.Rand, size int) []byte {
	f := []byte{0x81}
	switch {
	case size > 0xffff:
		f = append(f, 127)
		f = binary.BigEndian.AppendUint64(f, uint64(size))
	case size > 125:
		f = append(f, 126)
		f = binary.BigEndian.AppendUint16(f, uint16(size))
	default:
		f = append(f, byte(size))
	}
	for range size {
		f = append(f, byte(rng.IntN(256)))
	}
	return f
}

// Frames written through coder/websocket's small buffer reach the
// connection whole, one write each, but for those larger than
// maxPooledFrame, which arrive as they come; the bytes are the same.
func TestFrameWriterWritesWholeFrames(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 60, 62, 64, 125, 126, 127, 300, 1000, 4000, 65535, 65536, maxPooledFrame, maxPooledFrame + 1, 200000}
	for range 200 {
		sizes = append(sizes, rng.IntN(3000))
	}
	rec := &recorder{}
	fw := &frameWriter{w: rec}
	bw := bufio.NewWriterSize(fw, writeBuffer)
	var want []byte
	for _, size := range sizes {
		f := testFrame(rng, size)
		want = append(want, f...)
		// As coder/websocket writes one: the header, then the payload.
		head := len(f) - size
		before := len(rec.writes)
		if _, err := bw.Write(f[:head]); err != nil {
			t.Fatal(err)
		}
		if _, err := bw.Write(f[head:]); err != nil {
			t.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		got := rec.writes[before:]
		if len(f) <= maxPooledFrame && (len(got) != 1 || !bytes.Equal(got[0], f)) {
			t.Fatalf("a frame of %d bytes reached the connection in %d writes", len(f), len(got))
		}
		if fw.pend != nil || fw.rest != 0 {
			t.Fatalf("after a frame of %d bytes: pending %v, rest %d", len(f), fw.pend != nil, fw.rest)
		}
	}
	if got := bytes.Join(rec.writes, nil); !bytes.Equal(got, want) {
		t.Fatalf("the connection got %d bytes, want %d, or others", len(got), len(want))
	}
}
