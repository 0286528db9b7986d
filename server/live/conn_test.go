package live

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// testAuth takes any token as user u1's.
type testAuth struct{}

func (testAuth) Authenticate(ctx context.Context, _ string) (context.Context, string, int, error) {
	return ctx, "u1", 1, nil
}
func (testAuth) Ended(context.Context, []int) ([]int, error) { return nil, nil }

// testExec runs every operation as a subscription that sends the init
// payload's "hello" once, then nothing until it is stopped.
type testExec struct{}

func (testExec) CreateOperationContext(_ context.Context, p *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	return &graphql.OperationContext{RawQuery: p.Query, Variables: p.Variables}, nil
}

func (testExec) DispatchOperation(ctx context.Context, _ *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	sent := false
	return func(ctx context.Context) *graphql.Response {
		if !sent {
			sent = true
			b, _ := json.Marshal(map[string]string{"hello": InitPayload(ctx).GetString("hello")})
			return &graphql.Response{Data: b}
		}
		<-ctx.Done()
		return nil
	}, ctx
}

func (testExec) DispatchError(_ context.Context, list gqlerror.List) *graphql.Response {
	return &graphql.Response{Errors: list}
}

func testServer(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	cfg.Auth = testAuth{}
	cfg.ErrorPresenter = graphql.DefaultErrorPresenter
	s := New(cfg)
	tr := s.Transport()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.Do(w, r, testExec{})
	}))
	t.Cleanup(func() {
		s.CloseAll(context.Background())
		hs.Close()
	})
	return s, "ws" + strings.TrimPrefix(hs.URL, "http")
}

type client struct {
	t  *testing.T
	ws *websocket.Conn
}

func dial(t *testing.T, url, protocol string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{protocol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &client{t: t, ws: ws}
}

func (c *client) send(m map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(m)
	if err := c.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

type frame struct {
	Type    string
	ID      string
	Payload json.RawMessage
}

// read returns the next message, or the error that ended the socket.
func (c *client) read() (frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("%s: %v", b, err)
	}
	return f, nil
}

func (c *client) expect(typ string) frame {
	c.t.Helper()
	f, err := c.read()
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", typ, err)
	}
	if f.Type != typ {
		c.t.Fatalf("got %s %s, want %s", f.Type, f.Payload, typ)
	}
	return f
}

// liveGoroutines counts the goroutines running this package's code.
func liveGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "parley/server/live.(*wsConn)") {
			n++
		}
	}
	return n
}

// eventually waits, without a deadline of its own, for ok.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal(what)
}

// settle waits for the goroutines running this package's code to be want,
// and fails saying how many there were if they do not get there.
func settle(t *testing.T, what string, want int) {
	t.Helper()
	got := -1
	for i := 0; i < 500 && got != want; i++ {
		if i > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		got = liveGoroutines()
	}
	if got != want {
		t.Errorf("%s run %d goroutines, want %d", what, got, want)
	}
}

// An idle socket runs no goroutine on the server where the poller watches
// it (Linux), else one, which reads; each operation one more (these test
// operations wait in one); none for pings, keepalives or its context; and
// none once closed.
func TestNoGoroutinePerIdleSocket(t *testing.T) {
	reader := 0
	if sharedPoller() == nil {
		reader = 1
	}
	testGoroutinesPerSocket(t, reader)
}

// Without the poller, each socket reads in one goroutine of its own.
func TestOneGoroutinePerIdleSocketWithoutPoller(t *testing.T) {
	withoutPoller = true
	t.Cleanup(func() { withoutPoller = false })
	testGoroutinesPerSocket(t, 1)
}

func testGoroutinesPerSocket(t *testing.T, reader int) {
	for _, protocol := range []string{"graphql-transport-ws", "graphql-ws"} {
		t.Run(protocol, func(t *testing.T) {
			_, url := testServer(t, Config{})
			const n = 20
			clients := make([]*client, n)
			for i := range clients {
				c := dial(t, url, protocol)
				c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer x"}})
				c.expect("connection_ack")
				if protocol == "graphql-ws" {
					c.expect("ka")
				}
				clients[i] = c
			}
			// The goroutines that handed on (the handler's, a reader after a
			// subscribe, an operation's after its resolver) end just after.
			settle(t, fmt.Sprintf("%d idle sockets", n), reader*n)
			start, next := "subscribe", "next"
			if protocol == "graphql-ws" {
				start, next = "start", "data"
			}
			for _, c := range clients {
				c.send(map[string]any{"type": start, "id": "1", "payload": map[string]any{"query": "subscription { x }"}})
				c.expect(next)
			}
			settle(t, fmt.Sprintf("%d sockets with a subscription each", n), (reader+1)*n)
			for _, c := range clients {
				_ = c.ws.Close(websocket.StatusNormalClosure, "")
			}
			settle(t, "closed sockets", 0)
		})
	}
}

// The connection_init payload reaches the operations (InitPayload), and a
// stop ends one, which completes.
func TestInitPayloadAndStop(t *testing.T) {
	s, url := testServer(t, Config{})
	c := dial(t, url, "graphql-transport-ws")
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"hello": "world"}})
	c.expect("connection_ack")
	c.send(map[string]any{"type": "subscribe", "id": "a", "payload": map[string]any{"query": "subscription { x }"}})
	if f := c.expect("next"); f.ID != "a" || string(f.Payload) != `{"data":{"hello":"world"}}` {
		t.Errorf("next: id %q payload %s", f.ID, f.Payload)
	}
	if _, ops := s.Open(); ops != 1 {
		t.Errorf("%d operations open, want 1", ops)
	}
	c.send(map[string]any{"type": "complete", "id": "a"})
	if f := c.expect("complete"); f.ID != "a" {
		t.Errorf("complete for %q", f.ID)
	}
	eventually(t, "the operation still counted", func() bool { _, ops := s.Open(); return ops == 0 })
}

// graphql-transport-ws: the server pings; a socket that answers stays
// open, one that does not closes after two intervals.
func TestPingsAndMissingPongs(t *testing.T) {
	_, url := testServer(t, Config{pingInterval: 200 * time.Millisecond})
	answers := dial(t, url, "graphql-transport-ws")
	silent := dial(t, url, "graphql-transport-ws")
	for _, c := range []*client{answers, silent} {
		c.send(map[string]any{"type": "connection_init"})
		c.expect("connection_ack")
	}
	done := make(chan error, 1)
	go func() {
		for {
			f, err := silent.read()
			if err != nil {
				done <- err
				return
			}
			if f.Type != "ping" {
				done <- nil
				return
			}
		}
	}()
	for range 4 { // twice the deadline
		answers.expect("ping")
		answers.send(map[string]any{"type": "pong"})
	}
	if err := <-done; err == nil || websocket.CloseStatus(err) == websocket.StatusNormalClosure {
		t.Errorf("a socket that never answers a ping: %v, want it closed abnormally", err)
	}
	// A client's ping gets a pong with its payload.
	answers.send(map[string]any{"type": "ping", "payload": map[string]any{"n": 1}})
	for {
		f, err := answers.read()
		if err != nil {
			t.Fatalf("waiting for the pong: %v", err)
		}
		if f.Type == "pong" {
			if string(f.Payload) != `{"n":1}` {
				t.Errorf("pong payload %s", f.Payload)
			}
			break
		}
	}
}

// graphql-ws: the server sends a keepalive ("ka") every interval.
func TestLegacyKeepAlive(t *testing.T) {
	_, url := testServer(t, Config{keepAlive: 20 * time.Millisecond})
	c := dial(t, url, "graphql-ws")
	c.send(map[string]any{"type": "connection_init"})
	c.expect("connection_ack")
	for range 3 {
		c.expect("ka")
	}
}

// A client that writes its first message along with the upgrade request,
// before the server's answer, is read from where net/http buffered it.
func TestMessageSentWithTheUpgradeRequest(t *testing.T) {
	_, url := testServer(t, Config{})
	addr := strings.TrimPrefix(url, "ws://")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	payload := []byte(`{"type":"connection_init"}`)
	mask := [4]byte{1, 2, 3, 4}
	frame := append([]byte{0x81, 0x80 | byte(len(payload))}, mask[:]...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
	if _, err := nc.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	head := make([]byte, 2)
	if _, err := io.ReadFull(br, head); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, head[1]&0x7f)
	if _, err := io.ReadFull(br, body); err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"type":"connection_ack"}` {
		t.Errorf("got %q, want the connection_ack", body)
	}
}
