package chat_test

import (
	"testing"
	"time"

	"parley/server/apitest"
)

// Members watching one chat with the same document get one execution per
// message among readers of the same role; a document that reads something
// of the reader (unreadCount) runs for each reader, and each still gets
// what is theirs.
func TestMembersWatchingOneChatShareOneExecution(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		dan := env.NewUser("AGENT", "Dan")
		g := groupChat(t, ann, "Shared", bob.ID, cat.ID, dan.ID)
		const doc = `subscription($c:ID!){ messageAdded(conversationId:$c){ id text sender { id name } conversation { id ... on Chat { id } } } }`
		const perReader = `subscription($c:ID!){ messageAdded(conversationId:$c){ id text conversation { ... on Chat { unreadCount } } } }`
		type added struct {
			MessageAdded struct {
				ID, Text     string
				Sender       struct{ ID, Name string }
				Conversation struct {
					ID          string
					UnreadCount int
				}
			}
		}
		shared := map[string]*apitest.Subscription{}
		for name, c := range map[string]*apitest.Client{"ann": ann, "bob": bob, "cat": cat, "dan": dan} {
			shared[name] = c.Connect().Subscribe(doc, Vars{"c": g})
		}
		annOwn, bobOwn := ann.Connect().Subscribe(perReader, Vars{"c": g}), bob.Connect().Subscribe(perReader, Vars{"c": g})
		time.Sleep(300 * time.Millisecond) // for the subscriptions to start, as the other live tests
		executed0, shared0 := env.App.Fanout.Counts()

		var sent []string
		for _, text := range []string{"one", "two", "three"} {
			sent = append(sent, send(t, ann, g, text))
		}
		for i, id := range sent {
			for name, sub := range shared {
				var m added
				sub.Next(wait).Decode(t, &m)
				if got := m.MessageAdded; got.ID != id || got.Text != []string{"one", "two", "three"}[i] ||
					got.Sender.ID != ann.ID || got.Sender.Name != "Ann" || got.Conversation.ID != g {
					t.Fatalf("%s got %+v for message %d (%s)", name, got, i, id)
				}
			}
			// The sender has nothing unread; Bob has every message so far, or
			// more (the count is read when the event is delivered).
			for _, own := range []struct {
				sub    *apitest.Subscription
				unread int
			}{{annOwn, 0}, {bobOwn, i + 1}} {
				var m added
				own.sub.Next(wait).Decode(t, &m)
				if u := m.MessageAdded.Conversation.UnreadCount; m.MessageAdded.ID != id || u < own.unread || (own.unread == 0 && u != 0) {
					t.Fatalf("a per-reader subscription got %+v, want %s with at least %d unread", m.MessageAdded, id, own.unread)
				}
			}
		}
		executed, sharedN := env.App.Fanout.Counts()
		// Members (ann, bob, cat) share one execution per message, Dan (an
		// agent) has his own; the per-reader document is not counted at all.
		if executed-executed0 != 6 || sharedN-shared0 != 6 {
			t.Fatalf("executed %d, shared %d; want 6 and 6", executed-executed0, sharedN-shared0)
		}
	})
}

// The events of one message are one event for everyone it reaches: members
// whose events document selects only what the message carries share its
// execution, and each still gets every message in order.
func TestMessageEventsAreSharedAmongMembers(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Shared events", bob.ID, cat.ID)
		const doc = `subscription{ events { cursor type message { id text } conversation { id } } }`
		subs := map[string]*apitest.Subscription{}
		for name, c := range map[string]*apitest.Client{"ann": ann, "bob": bob, "cat": cat} {
			subs[name] = c.Connect().Subscribe(doc, nil)
		}
		time.Sleep(300 * time.Millisecond) // for the subscriptions to start, as the other live tests
		_, shared0 := env.App.Fanout.Counts()
		sent := []string{send(t, ann, g, "one"), send(t, ann, g, "two")}
		for name, sub := range subs {
			for i, id := range sent {
				e := nextEvent(t, sub, "MESSAGE_ADDED")
				if e.Events.Message == nil || e.Events.Message.ID != id || e.Events.Message.Text != []string{"one", "two"}[i] ||
					e.Events.Conversation == nil || e.Events.Conversation.ID != g || e.Events.Cursor == "" {
					t.Fatalf("%s: event %d is %+v, want message %s", name, i, e.Events, id)
				}
			}
		}
		// Of the three members, two took each message's execution from the first.
		if _, shared := env.App.Fanout.Counts(); shared-shared0 < 4 {
			t.Fatalf("%d events shared, want at least 4", shared-shared0)
		}
	})
}
