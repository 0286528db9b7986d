package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"parley/server/apitest"
	"parley/server/app"
)

// raw is a message sent as it is, not as JSON.
type raw string

// Protocol errors on graphql-transport-ws close with that protocol's codes,
// on which clients decide whether to retry.
func TestGraphQLTransportWSCloseCodes(t *testing.T) {
	opts := apitest.Options{Configure: func(c *app.Config) { c.WebsocketInitTimeout = 300 * time.Millisecond }}
	apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
		u := env.NewUser("MEMBER", "Una")
		init := map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + u.Token}}
		sub := map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": "subscription { badgesUpdated { total } }"}}
		// The close reason names the id, and a close frame holds 123 bytes of it.
		long := map[string]any{"id": strings.Repeat("é", 200), "type": "subscribe", "payload": map[string]any{"query": "subscription { badgesUpdated { total } }"}}
		for _, c := range []struct {
			name string
			send []any
			want websocket.StatusCode
		}{
			{"no connection_init in time", nil, 4408},
			{"subscribe before connection_init", []any{sub}, 4401},
			{"a second connection_init", []any{init, init}, 4429},
			{"an unknown message", []any{init, map[string]any{"type": "shout"}}, 4400},
			{"an id already subscribed", []any{init, sub, sub}, 4409},
			{"a long id already subscribed", []any{init, long, long}, 4409},
			{"a message that is not JSON", []any{init, raw(`{"type":"subscribe",`)}, 4400},
			{"a message that is JSON but no object", []any{init, raw(`null`)}, 4400},
			{"a connection_init that is not JSON", []any{raw(`connection_init`)}, 4400},
			{"a connection_init payload that is no object", []any{raw(`{"type":"connection_init","payload":5}`)}, 4400},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/query",
				&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range c.send {
				if r, ok := m.(raw); ok {
					_ = conn.Write(ctx, websocket.MessageText, []byte(r))
				} else {
					_ = wsjson.Write(ctx, conn, m)
				}
			}
			var got websocket.StatusCode = -1
			for {
				if _, _, err := conn.Read(ctx); err != nil {
					got = websocket.CloseStatus(err)
					break
				}
			}
			if got != c.want {
				t.Errorf("%s: closed with %d, want %d", c.name, got, c.want)
			}
			conn.CloseNow()
			cancel()
		}

		// An id is free again once its operation is complete, on either side.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/query",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		query := func(id string) any {
			return map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": "{ me { id } }"}}
		}
		for _, m := range []any{init, sub, map[string]any{"id": "1", "type": "complete"}, sub, query("2")} {
			if err := wsjson.Write(ctx, conn, m); err != nil {
				t.Fatal(err)
			}
		}
		// The query "2" completes on the server's side; "2" may be used again.
		completed := false
		for !completed {
			var m struct{ ID, Type string }
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				t.Fatalf("the socket closed: %v", err)
			}
			completed = m.Type == "complete" && m.ID == "2"
		}
		if err := wsjson.Write(ctx, conn, query("2")); err != nil {
			t.Fatal(err)
		}
		for {
			var m struct{ ID, Type string }
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				t.Fatalf("reusing a completed id closed the socket: %v", err)
			}
			if m.Type == "next" && m.ID == "2" {
				break
			}
		}
	})
}
