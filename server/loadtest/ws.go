package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// receivers is what every subscriber reports into.
type receivers struct {
	marker []byte // "lt1 <run> ": the start of a measured message's text

	lat       histogram // send-to-receive, whole run
	window    histogram // send-to-receive, since the last progress line
	delivered atomic.Int64
	other     atomic.Int64 // other "next" frames: probes, badge updates, other events
	errors    atomic.Int64 // "error" or "complete" frames: a subscription ended
	closed    atomic.Int64 // sockets closed by the server or the network
	ready     atomic.Int64
	firstErr  atomic.Pointer[string]
}

// subscriber is one WebSocket with one subscription.
type subscriber struct {
	u     *user
	g     *group
	conn  *websocket.Conn
	ready atomic.Bool
}

var (
	pongFrame = []byte(`{"type":"pong"}`)
	typeNext  = []byte(`"type":"next"`)
)

// wsDialer dials WebSockets without a proxy and without keeping anything
// pooled (every upgrade takes its own connection).
func wsDialer() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:       nil,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}}
}

type wsEnvelope struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// connect opens the socket, authenticates, waits for connection_ack and
// starts the subscription; reading continues in the background.
func (s *subscriber) connect(ctx context.Context, c *config, hc *http.Client, rs *receivers) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, c.wsURL, &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPClient: hc,
	})
	if err != nil {
		return err
	}
	conn.SetReadLimit(1 << 20)
	s.conn = conn
	init, _ := json.Marshal(wsEnvelope{Type: "connection_init", Payload: c.tgt.initPayload(s.u)})
	if err := conn.Write(ctx, websocket.MessageText, init); err != nil {
		conn.CloseNow()
		return err
	}
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			conn.CloseNow()
			return fmt.Errorf("waiting for connection_ack: %w", err)
		}
		var m wsEnvelope
		if json.Unmarshal(b, &m) == nil && m.Type == "connection_ack" {
			break
		}
		if m.Type == "connection_error" {
			conn.CloseNow()
			return fmt.Errorf("connection_error: %s", m.Payload)
		}
	}
	query, vars := c.tgt.subscription(c, s.g)
	payload, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	sub, _ := json.Marshal(wsEnvelope{ID: "1", Type: "subscribe", Payload: payload})
	if err := conn.Write(ctx, websocket.MessageText, sub); err != nil {
		conn.CloseNow()
		return err
	}
	go s.read(rs)
	return nil
}

// read handles frames until the socket closes. Measured messages are found
// by their text marker without decoding the frame, so the tool spends as
// little CPU per delivery as it can (it shares the machine with the server).
func (s *subscriber) read(rs *receivers) {
	var buf bytes.Buffer
	for {
		_, r, err := s.conn.Reader(context.Background())
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure && !closing.Load() {
				rs.closed.Add(1)
				msg := fmt.Sprintf("socket of %s closed: %v", s.u.id, err)
				rs.firstErr.CompareAndSwap(nil, &msg)
			}
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil && err != io.EOF {
			continue
		}
		now := time.Now()
		b := buf.Bytes()
		if i := bytes.Index(b, rs.marker); i >= 0 {
			rest := b[i+len(rs.marker):]
			j := 0
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			if sent, err := strconv.ParseInt(string(rest[:j]), 10, 64); err == nil {
				d := now.Sub(time.Unix(0, sent))
				rs.lat.record(d)
				rs.window.record(d)
				rs.delivered.Add(1)
			}
			s.markReady(rs)
			continue
		}
		if bytes.Contains(b, typeNext) {
			rs.other.Add(1)
			s.markReady(rs)
			continue
		}
		var m wsEnvelope
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		switch m.Type {
		case "ping":
			_ = s.conn.Write(context.Background(), websocket.MessageText, pongFrame)
		case "error", "complete":
			rs.errors.Add(1)
			msg := fmt.Sprintf("subscription of %s ended: %s %s", s.u.id, m.Type, m.Payload)
			rs.firstErr.CompareAndSwap(nil, &msg)
		}
	}
}

func (s *subscriber) markReady(rs *receivers) {
	if !s.ready.Load() && s.ready.CompareAndSwap(false, true) {
		rs.ready.Add(1)
		s.g.ready.Add(1)
	}
}

// closing is set when the tool closes its sockets, so those closes are not
// counted as failures.
var closing atomic.Bool
