package live

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"parley/server/apperr"
)

// gqlgen's websocket transport closes a socket whose context ends with 1000
// "terminated", closes graphql-transport-ws protocol errors with 1002, and
// runs whatever it is asked to. These pieces sit between it and the socket:
// a socket closes with the code asked for (4403 for a revoked token, 1012 at
// shutdown), protocol errors get graphql-transport-ws's own codes, and an id
// already running or one subscription too many is refused.

// closeCodeImplementation accepts sockets like the one it wraps, and puts
// closeCodeConn between them and gqlgen.
type closeCodeImplementation struct {
	transport.WebsocketImplementation
	present graphql.ErrorPresenterFunc // for the error refusing a subscription
}

func (i closeCodeImplementation) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := i.WebsocketImplementation.Accept(w, r, o)
	s := socketOf(r.Context())
	if err != nil || s == nil {
		return c, err
	}
	cc := &closeCodeConn{WebsocketConn: c, s: s, present: i.present,
		transportWS: c.Subprotocol() == "graphql-transport-ws", active: map[string]bool{}}
	s.mu.Lock()
	s.conn = cc
	now, code, reason := s.now, s.code, s.reason
	s.mu.Unlock()
	if now {
		_ = cc.WriteClose(code, reason)
	}
	return cc, nil
}

type closeCodeConn struct {
	transport.WebsocketConn
	s       *socket
	present graphql.ErrorPresenterFunc

	// graphql-transport-ws names its protocol errors with close codes of
	// its own, where gqlgen closes with 1002: clients decide on them
	// whether to retry (graphql-ws retries 4408, gives up on 1002).
	transportWS bool

	mu      sync.Mutex
	inits   int             // connection_init messages read
	last    string          // type of the last message read
	invalid bool            // the last message read was not one of the protocol's
	active  map[string]bool // operations started and not yet complete
	acked   bool            // connection_ack sent
	closed  bool            // close frame asked for
}

// The client messages of each protocol: the first starts an operation, the
// second stops one.
var (
	transportWSMessages = map[string]bool{"connection_init": true, "ping": true, "pong": true, "subscribe": true, "complete": true}
	legacyWSMessages    = map[string]bool{"connection_init": true, "connection_terminate": true, "start": true, "stop": true}
)

func (c *closeCodeConn) startType() (start, stop string) {
	if c.transportWS {
		return "subscribe", "complete"
	}
	return "start", "stop"
}

// NextReader hands gqlgen the next message, after noting what it does. A
// start beyond MaxSubscriptions is answered here and not handed on; one
// with an id already running closes the socket with 4409.
func (c *closeCodeConn) NextReader() (int, io.Reader, error) {
	for {
		typ, r, err := c.WebsocketConn.NextReader()
		if err != nil {
			return typ, r, err
		}
		// Client messages are small (the read limit); gqlgen reads them whole anyway.
		b, err := io.ReadAll(r)
		if err != nil {
			return typ, nil, err
		}
		switch id, verdict := c.note(b); verdict {
		case overLimit:
			if err := c.refuse(id); err != nil {
				return typ, nil, err
			}
			continue
		case duplicate:
			// gqlgen would run both under one id, and one could not be stopped.
			_ = c.WebsocketConn.WriteClose(4409, "Subscriber for "+id+" already exists")
			return typ, nil, transport.ErrWebsocketClosed
		}
		return typ, bytes.NewReader(b), nil
	}
}

type verdict int

const (
	pass verdict = iota
	overLimit
	duplicate
)

// note records a client message and says whether gqlgen may have it.
func (c *closeCodeConn) note(b []byte) (string, verdict) {
	var m struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	err := json.Unmarshal(b, &m)
	known := legacyWSMessages
	if c.transportWS {
		known = transportWSMessages
	}
	start, stop := c.startType()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last, c.invalid = m.Type, err != nil || !known[m.Type]
	switch m.Type {
	case "connection_init":
		c.inits++
	case start:
		switch {
		case c.active[m.ID]:
			return m.ID, duplicate
		case len(c.active) >= MaxSubscriptions:
			return m.ID, overLimit
		}
		c.active[m.ID] = true
	case stop:
		delete(c.active, m.ID)
	}
	return m.ID, pass
}

// refuse answers a start beyond the limit with an error for its id, as
// gqlgen answers an operation that fails.
func (c *closeCodeConn) refuse(id string) error {
	e := apperr.Limit("subscriptionsPerConnection", MaxSubscriptions,
		"at most %d subscriptions may run at once on one connection", MaxSubscriptions)
	return c.WebsocketConn.WriteJSON(map[string]any{"id": id, "type": "error",
		"payload": []any{c.present(context.Background(), e)}})
}

// WriteJSON notes the operations the server completes, whose ids a client
// may then use again, and the connection_ack; it writes results without
// encoding their payload again.
func (c *closeCodeConn) WriteJSON(v any) error {
	if m := reflect.Indirect(reflect.ValueOf(v)); m.Kind() == reflect.Struct {
		typ, id := m.FieldByName("Type"), m.FieldByName("ID")
		if typ.Kind() == reflect.String && id.Kind() == reflect.String {
			c.mu.Lock()
			switch typ.String() {
			case "complete", "error":
				delete(c.active, id.String())
			case "connection_ack":
				c.acked = true
			}
			c.mu.Unlock()
			if t := typ.String(); t == "next" || t == "data" {
				p := m.FieldByName("Payload")
				if w, ok := c.WebsocketConn.(textWriter); ok && p.IsValid() && p.Type() == rawMessage && p.Len() > 0 {
					return writeData(w, t, id.String(), p.Bytes())
				}
			}
		}
	}
	return c.WebsocketConn.WriteJSON(v)
}

func (c *closeCodeConn) WriteClose(code int, message string) error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if asked, why := c.s.asked(); asked != 0 && code == transport.WebsocketCloseNormalClosure {
		code, message = asked, why
	}
	if c.transportWS && code == transport.WebsocketCloseProtocolError {
		code, message = c.protocolCode(message)
	}
	if c.transportWS && code == transport.WebsocketCloseNormalClosure && c.invalidLast() {
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

// invalidLast reports whether the last message read was not one of the
// protocol's (not JSON, or of an unknown type).
func (c *closeCodeConn) invalidLast() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.invalid
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
