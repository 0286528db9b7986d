package live

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
)

// coderImplementation is gqlgen's CoderWebsocketImplementation, with one
// thing more: its connections write a frame already encoded (WriteText),
// which gqlgen's cannot, so that a response is not re-encoded for each
// subscriber (closeCodeConn.WriteJSON).
type coderImplementation struct {
	acceptOptions websocket.AcceptOptions
}

func (u coderImplementation) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	for key, values := range o.ResponseHeader {
		for _, value := range values {
			w.Header().Add(key, value)
		}
	}
	opts := u.acceptOptions
	for _, p := range o.Subprotocols {
		if !slices.Contains(opts.Subprotocols, p) {
			opts.Subprotocols = append(opts.Subprotocols, p)
		}
	}
	conn, err := websocket.Accept(w, r, &opts)
	if err != nil {
		return nil, err
	}
	return &coderConn{conn: conn}, nil
}

// coderConn behaves as gqlgen's coderWebsocketConn.
type coderConn struct {
	conn *websocket.Conn

	mu           sync.Mutex
	readDeadline *time.Timer
	closing      chan struct{} // the close handshake runs
}

var (
	_ transport.WebsocketConn          = (*coderConn)(nil)
	_ transport.WebsocketReadLimiter   = (*coderConn)(nil)
	_ transport.WebsocketReadDeadliner = (*coderConn)(nil)
)

func (c *coderConn) NextReader() (int, io.Reader, error) {
	typ, data, err := c.conn.Read(context.Background())
	if err != nil {
		if s := websocket.CloseStatus(err); s == websocket.StatusNormalClosure || s == websocket.StatusNoStatusRcvd {
			return int(typ), nil, transport.ErrWebsocketClosed
		}
		return int(typ), nil, err
	}
	return int(typ), bytes.NewReader(data), nil
}

func (c *coderConn) WriteJSON(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.WriteText(data)
}

// WriteText writes one text frame of data, which must be a whole JSON message.
func (c *coderConn) WriteText(data []byte) error {
	return c.conn.Write(context.Background(), websocket.MessageText, data)
}

// WriteClose starts the close handshake in the background: coder/websocket
// waits up to 5 seconds for the peer's close frame, and the transport must
// not stall its teardown on a slow or absent peer.
func (c *coderConn) WriteClose(code int, message string) error {
	c.stopReadDeadline()
	c.mu.Lock()
	if c.closing != nil {
		c.mu.Unlock()
		return nil
	}
	done := make(chan struct{})
	c.closing = done
	c.mu.Unlock()
	go func() {
		defer close(done)
		_ = c.conn.Close(websocket.StatusCode(code), message)
	}()
	return nil
}

// Close closes the connection now, unless the close handshake owns it.
func (c *coderConn) Close() error {
	c.stopReadDeadline()
	c.mu.Lock()
	handshake := c.closing != nil
	c.mu.Unlock()
	if handshake {
		return nil
	}
	return c.conn.CloseNow()
}

func (c *coderConn) Subprotocol() string { return c.conn.Subprotocol() }

func (c *coderConn) SetReadLimit(limit int64) { c.conn.SetReadLimit(limit) }

// SetReadDeadline closes the connection when the deadline passes (coder's
// reads take a context, not a deadline).
func (c *coderConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	if c.readDeadline != nil {
		c.readDeadline.Stop()
		c.readDeadline = nil
	}
	past := false
	if !t.IsZero() {
		if d := time.Until(t); d <= 0 {
			past = true
		} else {
			c.readDeadline = time.AfterFunc(d, func() { _ = c.conn.CloseNow() })
		}
	}
	c.mu.Unlock()
	if past {
		return c.conn.CloseNow()
	}
	return nil
}

func (c *coderConn) stopReadDeadline() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.readDeadline != nil {
		c.readDeadline.Stop()
		c.readDeadline = nil
	}
}
