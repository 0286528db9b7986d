package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"parley/server/apitest"
	"parley/server/app"
)

// One socket runs at most app.MaxSubscriptions operations at once: a
// subscribe beyond it gets an error for its id (LIMIT_EXCEEDED), the socket
// stays open, and once one ends another may start. An id already running
// closes the socket with 4409. On both protocols.
func TestSubscriptionsPerConnectionLimit(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		u := env.NewUser("MEMBER", "Lim")
		for _, c := range []struct{ protocol, start, stop string }{
			{"graphql-transport-ws", "subscribe", "complete"},
			{"graphql-ws", "start", "stop"},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/query",
				&websocket.DialOptions{Subprotocols: []string{c.protocol}})
			if err != nil {
				t.Fatal(err)
			}
			write := func(m map[string]any) {
				if err := wsjson.Write(ctx, conn, m); err != nil {
					t.Fatalf("%s: %v", c.protocol, err)
				}
			}
			// read returns the next message for id, skipping keep-alives and pings.
			read := func(id string) (typ string, payload json.RawMessage) {
				for {
					var m struct {
						ID, Type string
						Payload  json.RawMessage
					}
					if err := wsjson.Read(ctx, conn, &m); err != nil {
						t.Fatalf("%s: waiting for %s: %v (close status %d)", c.protocol, id, err, websocket.CloseStatus(err))
					}
					if m.ID == id {
						return m.Type, m.Payload
					}
				}
			}
			write(map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + u.Token}})
			badges := map[string]any{"query": "subscription { badgesUpdated { total } }"}
			for i := 1; i <= app.MaxSubscriptions; i++ {
				write(map[string]any{"id": fmt.Sprint(i), "type": c.start, "payload": badges})
			}
			over := fmt.Sprint(app.MaxSubscriptions + 1)
			write(map[string]any{"id": over, "type": c.start, "payload": badges})
			typ, payload := read(over)
			var errs []apitest.Error
			_ = json.Unmarshal(payload, &errs)
			if typ != "error" || len(errs) != 1 || errs[0].Extensions["code"] != "LIMIT_EXCEEDED" ||
				errs[0].Extensions["limit"] != "subscriptionsPerConnection" || errs[0].Extensions["max"] != float64(app.MaxSubscriptions) {
				t.Fatalf("%s: subscription %s: %s %s, want an error with LIMIT_EXCEEDED", c.protocol, over, typ, payload)
			}
			// One ends; another runs, on the same socket.
			write(map[string]any{"id": "1", "type": c.stop})
			write(map[string]any{"id": "me", "type": c.start, "payload": map[string]any{"query": "{ me { id } }"}})
			if typ, payload := read("me"); typ == "error" || !strings.Contains(string(payload), u.ID) {
				t.Fatalf("%s: a query once below the limit: %s %s", c.protocol, typ, payload)
			}
			// Nor can an id already running start again: that would run
			// beyond the limit, and the first could not be stopped.
			write(map[string]any{"id": "2", "type": c.start, "payload": badges})
			for {
				if _, _, err := conn.Read(ctx); err != nil {
					if code := websocket.CloseStatus(err); code != 4409 {
						t.Fatalf("%s: an id already running: closed with %d, want 4409", c.protocol, code)
					}
					break
				}
			}
			conn.CloseNow()
			cancel()
		}
	})
}
