package app

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// A socket whose token is revoked (logout) is closed by ending its context,
// which gqlgen always answers with 1000 "terminated". These pieces make it
// close with 4403, as a bad token at connection_init does, so that a client
// shows its login screen instead of reconnecting.

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
	return &closeCodeConn{WebsocketConn: c, slot: slot}, nil
}

type closeCodeConn struct {
	transport.WebsocketConn
	slot *atomic.Int32
}

func (c *closeCodeConn) WriteClose(code int, message string) error {
	if asked := c.slot.Load(); asked != 0 && code == transport.WebsocketCloseNormalClosure {
		code, message = int(asked), "unauthenticated: the token was revoked"
	}
	return c.WebsocketConn.WriteClose(code, message)
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
