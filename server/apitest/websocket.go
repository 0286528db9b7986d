package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// Socket is a GraphQL WebSocket connection speaking graphql-transport-ws,
// the protocol of the graphql-ws library.
type Socket struct {
	env  *Env
	conn *websocket.Conn
	ctx  context.Context
	stop context.CancelFunc

	mu     sync.Mutex
	subs   map[string]chan *Response
	nextID int
	closed chan struct{}
	// CloseStatus is the close code the server sent, once closed.
	CloseStatus websocket.StatusCode
	ack         chan struct{}
	// paused, when set, makes the reader stop reading the socket, like a
	// phone on a bad network: the server's writes back up.
	paused chan struct{}
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// DialOptions change how a socket connects.
type DialOptions struct {
	// InitPayload replaces the default {"authorization": "Bearer <token>"}.
	InitPayload map[string]any
	Origin      string
	// Header is added to the upgrade request (e.g. Authorization).
	Header http.Header
	// URL is the server to dial (http://host:port), if not the env's.
	URL string
	// SmallReceiveBuffer shrinks the socket's receive buffer, so a paused
	// reader backs the server up quickly (a phone on a poor network).
	SmallReceiveBuffer bool
}

// Connect opens a socket with the client's token and waits for connection_ack.
func (c *Client) Connect() *Socket {
	c.env.T.Helper()
	s, err := c.Dial(DialOptions{})
	if err != nil {
		c.env.T.Fatalf("websocket: %v", err)
	}
	if err := s.WaitAck(5 * time.Second); err != nil {
		c.env.T.Fatalf("websocket: %v (close status %d)", err, s.CloseStatus)
	}
	return s
}

// Dial opens a socket and sends connection_init, without waiting for the ack.
func (c *Client) Dial(opts DialOptions) (*Socket, error) {
	ctx, stop := context.WithCancel(context.Background())
	h := http.Header{}
	if opts.Origin != "" {
		h.Set("Origin", opts.Origin)
	}
	for k, vs := range opts.Header {
		h[k] = vs
	}
	dialOpts := &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: h}
	if opts.SmallReceiveBuffer {
		dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
			})
		}}
		dialOpts.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	}
	base := c.env.URL
	if opts.URL != "" {
		base = opts.URL
	}
	conn, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/query", dialOpts)
	if err != nil {
		stop()
		if res != nil {
			return nil, fmt.Errorf("dial: HTTP %d: %w", res.StatusCode, err)
		}
		return nil, err
	}
	conn.SetReadLimit(8 << 20)
	s := &Socket{env: c.env, conn: conn, ctx: ctx, stop: stop, subs: map[string]chan *Response{},
		closed: make(chan struct{}), ack: make(chan struct{})}
	payload := opts.InitPayload
	if payload == nil {
		payload = map[string]any{}
		if c.Token != "" {
			payload["authorization"] = "Bearer " + c.Token
		}
	}
	p, _ := json.Marshal(payload)
	if err := wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: p}); err != nil {
		stop()
		return nil, err
	}
	go s.read()
	c.env.T.Cleanup(s.Close)
	return s, nil
}

// WaitAck waits for connection_ack; it fails if the server closes first.
func (s *Socket) WaitAck(d time.Duration) error {
	select {
	case <-s.ack:
		return nil
	case <-s.closed:
		return fmt.Errorf("closed before connection_ack with status %d", s.CloseStatus)
	case <-time.After(d):
		return fmt.Errorf("no connection_ack within %v", d)
	}
}

// WaitClosed waits for the server to close the socket and returns its close code.
func (s *Socket) WaitClosed(d time.Duration) (websocket.StatusCode, error) {
	select {
	case <-s.closed:
		return s.CloseStatus, nil
	case <-time.After(d):
		return 0, fmt.Errorf("still open after %v", d)
	}
}

func (s *Socket) read() {
	defer func() {
		s.mu.Lock()
		for _, ch := range s.subs {
			close(ch)
		}
		s.subs = map[string]chan *Response{}
		s.mu.Unlock()
		close(s.closed)
	}()
	for {
		s.mu.Lock()
		p := s.paused
		s.mu.Unlock()
		if p != nil {
			select {
			case <-p:
			case <-s.ctx.Done():
				return
			}
		}
		var m wsMessage
		if err := wsjson.Read(s.ctx, s.conn, &m); err != nil {
			s.CloseStatus = websocket.CloseStatus(err)
			return
		}
		switch m.Type {
		case "connection_ack":
			close(s.ack)
		case "ping":
			_ = wsjson.Write(s.ctx, s.conn, wsMessage{Type: "pong"})
		case "next":
			var r Response
			_ = json.Unmarshal(m.Payload, &r)
			s.deliver(m.ID, &r, false)
		case "error":
			var errs []Error
			_ = json.Unmarshal(m.Payload, &errs)
			s.deliver(m.ID, &Response{Errors: errs}, true)
		case "complete":
			s.deliver(m.ID, nil, true)
		}
	}
}

func (s *Socket) deliver(id string, r *Response, end bool) {
	s.mu.Lock()
	ch := s.subs[id]
	if end {
		delete(s.subs, id)
	}
	s.mu.Unlock()
	if ch == nil {
		return
	}
	if r != nil {
		ch <- r
	}
	if end {
		close(ch)
	}
}

// Pause stops reading from the socket until Resume.
func (s *Socket) Pause() {
	s.mu.Lock()
	if s.paused == nil {
		s.paused = make(chan struct{})
	}
	s.mu.Unlock()
}

// Resume reads from the socket again.
func (s *Socket) Resume() {
	s.mu.Lock()
	if s.paused != nil {
		close(s.paused)
		s.paused = nil
	}
	s.mu.Unlock()
}

// Subscription is one running operation on a socket.
type Subscription struct {
	s  *Socket
	ID string
	C  <-chan *Response
}

// Subscribe starts an operation. Its results arrive on C, which is closed
// when the server completes it (an error result comes first).
func (s *Socket) Subscribe(query string, vars Vars) *Subscription {
	s.mu.Lock()
	s.nextID++
	id := fmt.Sprint(s.nextID)
	ch := make(chan *Response, 1024)
	s.subs[id] = ch
	s.mu.Unlock()
	p, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err := wsjson.Write(s.ctx, s.conn, wsMessage{ID: id, Type: "subscribe", Payload: p}); err != nil {
		s.env.T.Fatalf("subscribe: %v", err)
	}
	return &Subscription{s: s, ID: id, C: ch}
}

// Next waits for the next result; it fails the test after d.
func (sub *Subscription) Next(d time.Duration) *Response {
	sub.s.env.T.Helper()
	select {
	case r, ok := <-sub.C:
		if !ok {
			sub.s.env.T.Fatalf("subscription %s ended while waiting for a result", sub.ID)
		}
		return r
	case <-time.After(d):
		sub.s.env.T.Fatalf("no result on subscription %s within %v", sub.ID, d)
	}
	return nil
}

// Quiet asserts nothing arrives within d.
func (sub *Subscription) Quiet(d time.Duration) {
	sub.s.env.T.Helper()
	select {
	case r, ok := <-sub.C:
		if ok {
			sub.s.env.T.Fatalf("unexpected result on subscription %s: data %s errors %+v", sub.ID, r.Data, r.Errors)
		}
	case <-time.After(d):
	}
}

// Stop ends the subscription from the client's side.
func (sub *Subscription) Stop() {
	_ = wsjson.Write(sub.s.ctx, sub.s.conn, wsMessage{ID: sub.ID, Type: "complete"})
}

// Close closes the socket from the client's side.
func (s *Socket) Close() {
	_ = s.conn.Close(websocket.StatusNormalClosure, "bye")
	s.stop()
}
