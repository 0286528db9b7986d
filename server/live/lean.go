package live

import (
	"bufio"
	"net"
	"net/http"
)

// The buffers a socket keeps for its life, where net/http hands over 4 KB
// of each: client messages are small (a subscribe), and a frame larger
// than the write buffer costs a second write, not an error.
const (
	readBuffer  = 1 << 10
	writeBuffer = 2 << 10
)

// lean makes the connection coder/websocket hijacks from w read and write
// through smaller buffers than net/http's.
func lean(w http.ResponseWriter) http.ResponseWriter { return leanWriter{w} }

type leanWriter struct{ http.ResponseWriter }

func (w leanWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w leanWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nc, brw, err
	}
	r, wr := brw.Reader, brw.Writer
	if r.Buffered() == 0 { // else keep it: the client wrote before the handshake's answer
		r = bufio.NewReaderSize(nc, readBuffer)
	}
	if wr.Buffered() == 0 {
		wr = bufio.NewWriterSize(nc, writeBuffer)
	}
	return nc, bufio.NewReadWriter(r, wr), nil
}
