package chat_test

import (
	"testing"
	"time"

	"parley/server/apitest"
)

// A client that reconnects re-sends its first subscribe unchanged (graphql-ws
// and Apollo do), but names its latest cursor in connection_init:
// `events` goes on from the later of that and its own `since`, so nothing
// sent while it was away is lost and nothing it had is sent again.
func TestEventsResumeFromTheConnectionsCursor(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		live := bob.Connect().Subscribe(eventsQuery, nil)
		time.Sleep(100 * time.Millisecond)
		var cursor []string
		for _, text := range []string{"m0", "m1"} {
			send(t, ann, c, text)
			e := nextEvent(t, live, "MESSAGE_ADDED")
			if e.Events.Message.Text != text {
				t.Fatalf("live: %q, want %q", e.Events.Message.Text, text)
			}
			cursor = append(cursor, e.Events.Cursor)
		}
		// Away from here on: these two are missed.
		send(t, ann, c, "m2")
		send(t, ann, c, "m3")

		for _, tc := range []struct {
			name        string
			init, since any
		}{
			{"since null", cursor[1], nil},
			{"since older", cursor[1], cursor[0]},
			{"since newer than the connection's", cursor[0], cursor[1]},
		} {
			s, err := bob.Dial(apitest.DialOptions{InitPayload: map[string]any{"authorization": "Bearer " + bob.Token, "since": tc.init}})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WaitAck(wait); err != nil {
				t.Fatal(err)
			}
			sub := s.Subscribe(eventsQuery, Vars{"s": tc.since})
			for _, want := range []string{"m2", "m3"} {
				if got := nextEvent(t, sub, "MESSAGE_ADDED").Events.Message.Text; got != want {
					t.Fatalf("%s: resumed with %q, want %q", tc.name, got, want)
				}
			}
			s.Close()
		}

		// A cursor this server never handed out is refused like a bad since.
		s, err := bob.Dial(apitest.DialOptions{InitPayload: map[string]any{"authorization": "Bearer " + bob.Token, "since": "nonsense"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WaitAck(wait); err != nil {
			t.Fatal(err)
		}
		if r := s.Subscribe(eventsQuery, nil).Next(wait); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("a malformed connection cursor: %+v", r.Errors)
		}
	})
}
