package live

import (
	"bufio"
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
	readBuffer  = 256
	writeBuffer = 2 << 10
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
		wr = bufio.NewWriterSize(w.conn, writeBuffer)
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
