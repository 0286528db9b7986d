package chat_test

import (
	"strings"
	"testing"
	"time"

	"parley/ent"
	"parley/ent/channel"
	"parley/ent/outbox"
	"parley/server/apitest"
	"parley/server/app"
	provider "parley/server/channel"
	delivery "parley/server/outbox"
)

// The first reply handed to the provider fails and waits an hour to be
// tried again: it stays in the outbox, where it may still be edited.
func heldFirstReply(rec *recorder) apitest.Options {
	rec.fails = func(attempt int) error {
		if attempt == 1 {
			return provider.Temporary(errProviderDown)
		}
		return nil
	}
	return apitest.Options{Configure: func(c *app.Config) {
		c.Senders = map[provider.Kind]provider.Sender{provider.SMS: rec}
		c.Outbox = &delivery.Config{MaxAttempts: 3, Backoff: time.Hour, MaxBackoff: time.Hour,
			Lease: time.Minute, SendTimeout: 5 * time.Second}
	}}
}

// waitHeld waits until the reply's first attempt failed and it waits in the outbox.
func waitHeld(t *testing.T, env *apitest.Env, rec *recorder, id string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		e, err := env.App.DB.Outbox.Query().Where(outbox.MessageID(pulidOf(id))).Only(t.Context())
		if err != nil && !ent.IsNotFound(err) {
			t.Fatal(err)
		}
		if len(rec.calls()) == 1 && e != nil && e.State == outbox.StatePENDING && e.Attempts == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("reply %s was not held in the outbox: %+v", id, e)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEditAndDeleteInSessions(t *testing.T) {
	t.Parallel()
	for _, b := range apitest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			env := apitest.Start(t, b, heldFirstReply(rec))
			ann, dan := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Dan")
			sms := createChannel(t, env, "SMS", "SMS", ann.ID, dan.ID)
			s, inbound := customerWrites(t, env, sms, "+15550700", "SM-in", "is my order shipped?")

			// A reply still in the outbox may be edited, within the session's limits.
			held := send(t, ann, s, "yes, it shiped")
			waitHeld(t, env, rec, held)
			ann.MustFail("TEXT_TOO_LONG", editQ, Vars{"id": held, "t": strings.Repeat("a", 1001)})
			if got := edit(t, ann, held, "yes, it shipped"); got.Text == nil || *got.Text != "yes, it shipped" || got.EditedAt == nil {
				t.Fatalf("edited reply: %+v", got)
			}
			dan.MustFail("FORBIDDEN", editQ, Vars{"id": held, "t": "mine"})
			dan.MustFail("FORBIDDEN", deleteQ, Vars{"id": held})

			// A reply the provider has: the customer already has it.
			gone := send(t, ann, s, "tracking: 123")
			waitStatus(t, ann, gone, "SENT")
			r := ann.MustFail("CONFLICT", editQ, Vars{"id": gone, "t": "tracking: 124"})
			if !strings.Contains(r.Errors[0].Message, "customer already has") {
				t.Fatalf("message: %q", r.Errors[0].Message)
			}
			// Deleting it hides it here only, and says so.
			if d := deleteMsg(t, ann, gone); d.DeletedAt == nil || d.Text != nil || !d.DeletedAfterDelivery {
				t.Fatalf("deleted after delivery: %+v", d)
			}
			// Deleting the held one takes it out of the outbox: it is never sent.
			d := deleteMsg(t, ann, held)
			if d.DeletedAt == nil || d.DeletedAfterDelivery || d.Status != "FAILED" {
				t.Fatalf("deleted before delivery: %+v", d)
			}
			if n, _ := env.App.DB.Outbox.Query().Where(outbox.MessageID(pulidOf(held))).Count(t.Context()); n != 0 {
				t.Fatalf("the deleted reply is still in the outbox")
			}

			// The customer's message is nobody's here to change.
			ann.MustFail("FORBIDDEN", editQ, Vars{"id": inbound, "t": "x"})
			ann.MustFail("FORBIDDEN", deleteQ, Vars{"id": inbound})

			// A note: its author edits it, at the internal limit.
			var note struct{ SendMessage struct{ ID string } }
			ann.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"call back", note:true}){ id } }`, Vars{"c": s}, &note)
			n := note.SendMessage.ID
			edit(t, ann, n, strings.Repeat("b", 10_000))
			ann.MustFail("TEXT_TOO_LONG", editQ, Vars{"id": n, "t": strings.Repeat("b", 10_001)})
			dan.MustFail("FORBIDDEN", editQ, Vars{"id": n, "t": "x"})
			// An agent of another channel cannot see it at all.
			eli := env.NewUser("AGENT", "Eli")
			eli.MustFail("NOT_FOUND", editQ, Vars{"id": n, "t": "x"})
			eli.MustFail("NOT_FOUND", reactQ, Vars{"id": n, "e": "👍"})
			if got := deleteMsg(t, env.Admin, n); got.DeletedAt == nil {
				t.Fatalf("an admin deletes a note: %+v", got)
			}
			if calls := rec.calls(); len(calls) != 2 {
				t.Fatalf("handed to the provider: %v", calls)
			}
		})
	}
}

func TestLiveChatVisitorsNeitherEditNorDeleteNorReact(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		s := newSession(t, env, channel.KindLIVE_CHAT, 0, 0, ann.ID)
		mine := send(t, s.Visitor, s.ID, "hello?")
		s.Visitor.MustFail("FORBIDDEN", editQ, Vars{"id": mine, "t": "hello!"})
		s.Visitor.MustFail("FORBIDDEN", deleteQ, Vars{"id": mine})
		s.Visitor.MustFail("FORBIDDEN", reactQ, Vars{"id": mine, "e": "👍"})
		// A Live Chat reply is on the visitor's screen as soon as it is written.
		reply := send(t, ann, s.ID, "hi, how can I help?")
		ann.MustFail("CONFLICT", editQ, Vars{"id": reply, "t": "hi!"})
		s.Visitor.MustFail("FORBIDDEN", deleteQ, Vars{"id": reply})
		// The agents' reactions are their own: the visitor does not see them.
		if got := react(t, ann, mine, "👍"); len(got.Reactions) != 1 || !got.Reactions[0].ReactedByMe {
			t.Fatalf("agent's reaction: %+v", got.Reactions)
		}
		if v := viewOf(t, s.Visitor, mine); len(v.Reactions) != 0 {
			t.Fatalf("the visitor sees %+v", v.Reactions)
		}
		if d := deleteMsg(t, ann, reply); d.DeletedAt == nil || !d.DeletedAfterDelivery {
			t.Fatalf("deleted Live Chat reply: %+v", d)
		}
		if v := viewOf(t, s.Visitor, reply); v.DeletedAt == nil || v.Text != nil {
			t.Fatalf("the visitor sees %+v", v)
		}
	})
}
