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

// Protocol errors on graphql-transport-ws close with that protocol's codes,
// on which clients decide whether to retry.
func TestGraphQLTransportWSCloseCodes(t *testing.T) {
	opts := apitest.Options{Configure: func(c *app.Config) { c.WebsocketInitTimeout = 300 * time.Millisecond }}
	apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
		u := env.NewUser("MEMBER", "Una")
		init := map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + u.Token}}
		sub := map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": "subscription { badgesUpdated { total } }"}}
		for _, c := range []struct {
			name string
			send []any
			want websocket.StatusCode
		}{
			{"no connection_init in time", nil, 4408},
			{"subscribe before connection_init", []any{sub}, 4401},
			{"a second connection_init", []any{init, init}, 4429},
			{"an unknown message", []any{init, map[string]any{"type": "shout"}}, 4400},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/query",
				&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range c.send {
				_ = wsjson.Write(ctx, conn, m)
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
	})
}
