package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"parley/server/apitest"
)

// Older clients (subscriptions-transport-ws) speak the legacy graphql-ws
// protocol: connection_init, start, data, stop, with "ka" keep-alives.
func TestLegacyGraphQLWSProtocol(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		bob := env.NewUser("MEMBER", "Bob")
		ann := env.NewUser("MEMBER", "Ann")
		var dc struct{ CreateDirectChat struct{ ID string } }
		ann.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, Vars{"u": bob.ID}, &dc)

		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/query",
			&websocket.DialOptions{Subprotocols: []string{"graphql-ws"}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		if conn.Subprotocol() != "graphql-ws" {
			t.Fatalf("negotiated %q", conn.Subprotocol())
		}
		type msg struct {
			ID      string          `json:"id,omitempty"`
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload,omitempty"`
		}
		write := func(m any) {
			if err := wsjson.Write(ctx, conn, m); err != nil {
				t.Fatal(err)
			}
		}
		read := func() msg {
			for {
				var m msg
				if err := wsjson.Read(ctx, conn, &m); err != nil {
					t.Fatal(err)
				}
				if m.Type != "ka" {
					return m
				}
			}
		}
		write(map[string]any{"type": "connection_init", "payload": map[string]any{"authToken": bob.Token}})
		if m := read(); m.Type != "connection_ack" {
			t.Fatalf("got %s", m.Type)
		}
		write(map[string]any{"id": "1", "type": "start", "payload": map[string]any{
			"query":     `subscription($c:ID!){ messageAdded(conversationId:$c){ text } }`,
			"variables": map[string]any{"c": dc.CreateDirectChat.ID}}})
		time.Sleep(100 * time.Millisecond)
		ann.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"over the old protocol"}){ id } }`, Vars{"c": dc.CreateDirectChat.ID}, nil)
		m := read()
		if m.Type != "data" || m.ID != "1" || !strings.Contains(string(m.Payload), "over the old protocol") {
			t.Fatalf("got %s %s", m.Type, m.Payload)
		}
		write(map[string]any{"id": "1", "type": "stop"})
		if m := read(); m.Type != "complete" {
			t.Fatalf("after stop: %s", m.Type)
		}
	})
}
