package live

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
)

// The buffers a socket keeps for its life, where net/http hands over 4 KB
// of each: client messages are small and rare (a subscribe, a pong), and
// a read larger than the buffer goes around it; a frame larger than the
// write buffer costs a second write, not an error.
const (
	readBuffer = 64
	// writeBuffer is coder/websocket's, which a frame goes through in
	// pieces: frameWriter puts each frame together in a pooled buffer and
	// writes it at once.
	writeBuffer = 64
)

// lean makes the connection coder/websocket hijacks from w read and write
// through smaller buffers than net/http's, and tells the socket when it is
// closed.
func lean(w http.ResponseWriter) *leanWriter { return &leanWriter{ResponseWriter: w} }

type leanWriter struct {
	http.ResponseWriter

	// Once hijacked: the connection and the buffer it is read through.
	conn *hookedConn
	br   *bufio.Reader
}

func (w *leanWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *leanWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nc, brw, err
	}
	w.conn = &hookedConn{Conn: nc}
	r, wr := brw.Reader, brw.Writer
	if r.Buffered() == 0 { // else keep it: the client wrote before the handshake's answer
		r = bufio.NewReaderSize(w.conn, readBuffer)
	}
	if wr.Buffered() == 0 {
		wr = bufio.NewWriterSize(&frameWriter{w: w.conn}, writeBuffer)
	}
	w.br = r
	return w.conn, bufio.NewReadWriter(r, wr), nil
}

// hookedConn is a hijacked connection that runs a hook once closed: the
// socket's reader is not always there to see it (poller).
type hookedConn struct {
	net.Conn

	mu     sync.Mutex
	closed bool
	hook   func()
}

func (h *hookedConn) Close() error {
	err := h.Conn.Close()
	h.mu.Lock()
	h.closed = true
	f := h.hook
	h.hook = nil
	h.mu.Unlock()
	if f != nil {
		f()
	}
	return err
}

// onClose runs f once the connection is closed: now, if it is.
func (h *hookedConn) onClose(f func()) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		f()
		return
	}
	h.hook = f
	h.mu.Unlock()
}

// rawConn returns the connection's descriptor, for the poller.
func (h *hookedConn) rawConn() (syscall.RawConn, bool) {
	sc, ok := h.Conn.(syscall.Conn)
	if !ok {
		return nil, false
	}
	rc, err := sc.SyscallConn()
	return rc, err == nil
}

// frameWriter writes what coder/websocket's write buffer flushes to the
// connection a whole frame at a time: the frame's pieces wait in a buffer
// from a pool, the socket keeps none while idle. A frame larger than
// maxPooledFrame is written as it comes.
type frameWriter struct {
	w    io.Writer
	pend *[]byte // the start of a frame; nil when none
	rest int64   // bytes of a large frame still to be written as they come
}

const maxPooledFrame = 32 << 10

var pendPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (f *frameWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if f.rest > 0 {
			n := int(min(f.rest, int64(len(p))))
			if _, err := f.w.Write(p[:n]); err != nil {
				return total - len(p), err
			}
			f.rest -= int64(n)
			p = p[n:]
			continue
		}
		if f.pend == nil {
			if n, _ := frames(p); n == len(p) { // whole frames: no copy
				if _, err := f.w.Write(p); err != nil {
					return 0, err
				}
				return total, nil
			}
			f.pend = pendPool.Get().(*[]byte)
		}
		b := append(*f.pend, p...)
		p = nil
		n, size := frames(b)
		if n == 0 && size > maxPooledFrame {
			// A large frame: what is here now, then the rest as it comes.
			n, f.rest = len(b), size-int64(len(b))
		}
		if n > 0 {
			if _, err := f.w.Write(b[:n]); err != nil {
				*f.pend = b[:0]
				f.release()
				return total, err
			}
			b = b[:copy(b, b[n:])]
		}
		*f.pend = b
		if len(b) == 0 {
			f.release()
		}
	}
	return total, nil
}

func (f *frameWriter) release() {
	if cap(*f.pend) <= maxPooledFrame {
		*f.pend = (*f.pend)[:0]
		pendPool.Put(f.pend)
	}
	f.pend = nil
}

// frames returns how many bytes at the start of b are whole WebSocket
// frames, and the size of the next one when its header is whole (else 0).
func frames(b []byte) (whole int, next int64) {
	for {
		r := b[whole:]
		if len(r) < 2 {
			return whole, 0
		}
		head, size := int64(2), int64(r[1]&0x7f)
		switch size {
		case 126:
			if len(r) < 4 {
				return whole, 0
			}
			head, size = 4, int64(binary.BigEndian.Uint16(r[2:]))
		case 127:
			if len(r) < 10 {
				return whole, 0
			}
			head, size = 10, int64(binary.BigEndian.Uint64(r[2:])&(1<<63-1))
		}
		if r[1]&0x80 != 0 { // masked: a client's
			head += 4
		}
		if int64(len(r)) < head+size {
			return whole, head + size
		}
		whole += int(head + size)
	}
}
