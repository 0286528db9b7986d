package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// A socket whose token is revoked (logout) is closed by ending its context,
// which gqlgen always answers with 1000 "terminated". These pieces make it
// close with 4403, as a bad token at connection_init does, so that a client
// shows its login screen instead of reconnecting; and they give
// graphql-transport-ws protocol errors that protocol's own close codes.

type closeCodeKey struct{}

// withCloseCode gives a WebSocket upgrade request a slot for the code its
// socket should close with; the transport's connection context inherits it.
func withCloseCode(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), closeCodeKey{}, new(atomic.Int32)))
}

// setCloseCode asks for code when the socket of ctx next closes normally.
func setCloseCode(ctx context.Context, code int32) {
	if slot, ok := ctx.Value(closeCodeKey{}).(*atomic.Int32); ok {
		slot.Store(code)
	}
}

// closeCodeImplementation accepts sockets like the one it wraps, and lets
// them close with the code asked for.
type closeCodeImplementation struct {
	transport.WebsocketImplementation
}

func (i closeCodeImplementation) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := i.WebsocketImplementation.Accept(w, r, o)
	slot, ok := r.Context().Value(closeCodeKey{}).(*atomic.Int32)
	if err != nil || !ok {
		return c, err
	}
	return &closeCodeConn{WebsocketConn: c, slot: slot, transportWS: c.Subprotocol() == "graphql-transport-ws"}, nil
}

type closeCodeConn struct {
	transport.WebsocketConn
	slot *atomic.Int32

	// graphql-transport-ws names its protocol errors with close codes of
	// its own, where gqlgen closes with 1002: clients decide on them
	// whether to retry (graphql-ws retries 4408, gives up on 1002).
	transportWS bool
	mu          sync.Mutex
	inits       int             // connection_init messages read
	last        string          // type of the last message read
	active      map[string]bool // operations subscribed and not yet complete
}

func (c *closeCodeConn) NextReader() (int, io.Reader, error) {
	typ, r, err := c.WebsocketConn.NextReader()
	if err != nil || !c.transportWS {
		return typ, r, err
	}
	// Client messages are few and small; gqlgen reads them whole anyway.
	b, err := io.ReadAll(r)
	if err != nil {
		return typ, nil, err
	}
	var m struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	_ = json.Unmarshal(b, &m)
	c.mu.Lock()
	c.last = m.Type
	duplicate := false
	switch m.Type {
	case "connection_init":
		c.inits++
	case "subscribe":
		if c.active == nil {
			c.active = map[string]bool{}
		}
		duplicate = c.active[m.ID]
		c.active[m.ID] = true
	case "complete":
		delete(c.active, m.ID)
	}
	c.mu.Unlock()
	if duplicate {
		// gqlgen would run both under one id, and one could not be stopped.
		_ = c.WebsocketConn.WriteClose(4409, "Subscriber for "+m.ID+" already exists")
		return typ, nil, transport.ErrWebsocketClosed
	}
	return typ, bytes.NewReader(b), nil
}

// WriteJSON notes the operations the server completes, whose ids a client
// may then use again.
func (c *closeCodeConn) WriteJSON(v any) error {
	if c.transportWS {
		if m := reflect.Indirect(reflect.ValueOf(v)); m.Kind() == reflect.Struct {
			typ, id := m.FieldByName("Type"), m.FieldByName("ID")
			if typ.Kind() == reflect.String && id.Kind() == reflect.String &&
				(typ.String() == "complete" || typ.String() == "error") {
				c.mu.Lock()
				delete(c.active, id.String())
				c.mu.Unlock()
			}
		}
	}
	return c.WebsocketConn.WriteJSON(v)
}

func (c *closeCodeConn) WriteClose(code int, message string) error {
	if asked := c.slot.Load(); asked != 0 && code == transport.WebsocketCloseNormalClosure {
		code, message = int(asked), "unauthenticated: the token was revoked"
	}
	if c.transportWS && code == transport.WebsocketCloseProtocolError {
		code, message = c.protocolCode(message)
	}
	if c.transportWS && code == transport.WebsocketCloseNormalClosure && c.unknownLast() {
		code, message = 4400, "Invalid message received" // gqlgen ends the read loop
	}
	return c.WebsocketConn.WriteClose(code, message)
}

// protocolCode names gqlgen's protocol errors as graphql-transport-ws does.
func (c *closeCodeConn) protocolCode(gqlgen string) (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case gqlgen == "connection initialisation timeout":
		return 4408, "Connection initialisation timeout"
	case gqlgen == "unexpected message" && c.last == "connection_init" && c.inits > 1:
		return 4429, "Too many initialisation requests"
	case gqlgen == "unexpected message" && c.inits == 0 && c.last == "subscribe":
		return 4401, "Unauthorized"
	}
	return 4400, gqlgen
}

// The transport looks for these on the connection it is given.
var (
	_ transport.WebsocketReadLimiter   = (*closeCodeConn)(nil)
	_ transport.WebsocketReadDeadliner = (*closeCodeConn)(nil)
)

func (c *closeCodeConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *closeCodeConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// unknownLast reports whether the last message read was not one of
// graphql-transport-ws's.
func (c *closeCodeConn) unknownLast() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.last {
	case "", "connection_init", "ping", "pong", "subscribe", "complete":
		return false
	}
	return true
}
