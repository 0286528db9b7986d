package chat_test

import (
	"testing"
	"time"

	"parley/server/apitest"
)

// untilMessage reads events until one of type ty about message id, and
// returns it with the MESSAGE_UPDATED events seen on the way.
func untilMessage(t *testing.T, sub *apitest.Subscription, ty, id string) (liveEvent, []string) {
	t.Helper()
	var updated []string
	for {
		e := nextEvent(t, sub, "MESSAGE_ADDED", "MESSAGE_UPDATED")
		if e.Events.Type == ty && e.Events.Message != nil && e.Events.Message.ID == id {
			return e, updated
		}
		if e.Events.Type == "MESSAGE_UPDATED" && e.Events.Message != nil {
			updated = append(updated, e.Events.Message.ID)
		}
	}
}

func TestEditDeleteReactAndReadArriveLiveOnTheOtherDevice(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Live", bob.ID, cat.ID)
		annEvents := ann.Connect().Subscribe(eventsQuery, nil)
		bobSocket := bob.Connect()
		bobEvents := bobSocket.Subscribe(eventsQuery, nil)
		bobAdded := bobSocket.Subscribe(`subscription($c:ID!){ messageAdded(conversationId:$c){ id } }`, Vars{"c": g})
		time.Sleep(100 * time.Millisecond) // for the subscriptions to start, as the other live tests
		first := send(t, ann, g, "first")
		untilMessage(t, annEvents, "MESSAGE_ADDED", first)
		untilMessage(t, bobEvents, "MESSAGE_ADDED", first)
		var added struct{ MessageAdded struct{ ID string } }
		bobAdded.Next(wait).Decode(t, &added)

		m := send(t, ann, g, "typo hre")
		untilMessage(t, bobEvents, "MESSAGE_ADDED", m)
		edit(t, ann, m, "typo here")
		if e, _ := untilMessage(t, bobEvents, "MESSAGE_UPDATED", m); e.Events.Message.Text != "typo here" && e.Events.Message.Text != "" {
			t.Fatalf("Bob's edit event: %+v", e.Events.Message)
		}
		react(t, bob, m, "👍")
		untilMessage(t, annEvents, "MESSAGE_UPDATED", m)
		deleteMsg(t, ann, m)
		// The edit's event may already show the tombstone; the deletion's must.
		for {
			e, _ := untilMessage(t, bobEvents, "MESSAGE_UPDATED", m)
			if e.Events.Message.Text == "" {
				break
			}
		}

		// Bob reads three messages at once: Ann hears one MESSAGE_UPDATED, for the newest.
		send(t, ann, g, "a")
		send(t, ann, g, "b")
		c := send(t, ann, g, "c")
		untilMessage(t, annEvents, "MESSAGE_ADDED", c)
		bob.MustDo(markReadQ, Vars{"c": g}, nil)
		after := send(t, ann, g, "after")
		_, updated := untilMessage(t, annEvents, "MESSAGE_ADDED", after)
		if jsonOf(updated) != jsonOf([]string{c}) {
			t.Fatalf("MESSAGE_UPDATED after Bob read: %v, want only %s", updated, c)
		}
		if v := viewOf(t, ann, c); jsonOf(readers(v)) != jsonOf([]string{bob.ID}) {
			t.Fatalf("c read by %v", readers(v))
		}
		// messageAdded hears of new messages only: the next one after all this is the next sent.
		for _, want := range []string{m, "", "", c, after} {
			bobAdded.Next(wait).Decode(t, &added)
			if want != "" && added.MessageAdded.ID != want {
				t.Fatalf("messageAdded: %s, want %s", added.MessageAdded.ID, want)
			}
		}
	})
}
