package chat_test

import (
	"testing"
	"time"

	"parley/ent/channel"
	"parley/server/apitest"
)

func readers(v messageView) []string {
	out := []string{}
	for _, r := range v.ReadBy {
		out = append(out, r.User.ID)
	}
	return out
}

func TestGroupMessagesShowWhoReadThem(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Team", bob.ID, cat.ID)
		m1 := send(t, ann, g, "one")
		m2 := send(t, ann, g, "two")
		if v := viewOf(t, ann, m1); len(v.ReadBy) != 0 {
			t.Fatalf("read before anyone read: %+v", v.ReadBy)
		}
		bob.MustDo(markReadQ, Vars{"c": g, "m": m1}, nil)
		first := viewOf(t, ann, m1)
		if jsonOf(readers(first)) != jsonOf([]string{bob.ID}) {
			t.Fatalf("m1 read by %v", readers(first))
		}
		if v := viewOf(t, ann, m2); len(v.ReadBy) != 0 {
			t.Fatalf("m2, past Bob's horizon, read by %v", readers(v))
		}
		env.Clock.Advance(time.Minute)
		cat.MustDo(markReadQ, Vars{"c": g}, nil)
		bob.MustDo(markReadQ, Vars{"c": g}, nil)
		v := viewOf(t, ann, m1)
		if jsonOf(readers(v)) != jsonOf([]string{bob.ID, cat.ID}) || !v.ReadBy[0].ReadAt.Equal(first.ReadBy[0].ReadAt) {
			t.Fatalf("m1 read by %+v (Bob first at %v)", v.ReadBy, first.ReadBy[0].ReadAt)
		}
		if v := viewOf(t, ann, m2); jsonOf(readers(v)) != jsonOf([]string{cat.ID, bob.ID}) {
			t.Fatalf("m2 read by %v", readers(v))
		}
		// Private to the sender; the sender is never listed.
		if v := viewOf(t, bob, m1); len(v.ReadBy) != 0 {
			t.Fatalf("Bob sees who read Ann's message: %v", readers(v))
		}
		b := send(t, bob, g, "three")
		ann.MustDo(markReadQ, Vars{"c": g}, nil)
		if v := viewOf(t, bob, b); jsonOf(readers(v)) != jsonOf([]string{ann.ID}) {
			t.Fatalf("Bob's message read by %v", readers(v))
		}
		// Only members are listed.
		ann.MustDo(`mutation($c:ID!,$u:ID!){ removeChatMember(chatId:$c, userId:$u){ id } }`, Vars{"c": g, "u": cat.ID}, nil)
		if v := viewOf(t, ann, m1); jsonOf(readers(v)) != jsonOf([]string{bob.ID}) {
			t.Fatalf("after Cat left, m1 read by %v", readers(v))
		}
	})
}

func TestDirectMessagesBecomeReadWhenThePeerReads(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		m1 := send(t, ann, c, "one")
		m2 := send(t, ann, c, "two")
		if v := viewOf(t, ann, m1); v.Status != "SENT" || v.ReadAt != nil || len(v.ReadBy) != 0 {
			t.Fatalf("unread: %+v", v)
		}
		bob.MustDo(markReadQ, Vars{"c": c, "m": m1}, nil)
		if v := viewOf(t, ann, m1); v.Status != "READ" || v.ReadAt == nil || len(v.ReadBy) != 0 {
			t.Fatalf("read: %+v", v)
		}
		if v := viewOf(t, ann, m2); v.Status != "SENT" {
			t.Fatalf("past the horizon: %+v", v)
		}
		// Answering reads what it answers.
		own := send(t, bob, c, "mine")
		if v := viewOf(t, ann, m2); v.Status != "READ" || v.ReadAt == nil {
			t.Fatalf("answered: %+v", v)
		}
		m3 := send(t, ann, c, "three")
		// Ann reading the chat does not make her own messages read.
		ann.MustDo(markReadQ, Vars{"c": c}, nil)
		if v := viewOf(t, ann, m3); v.Status != "SENT" {
			t.Fatalf("Ann's read marked her own message: %+v", v)
		}
		if v := viewOf(t, bob, own); v.Status != "READ" {
			t.Fatalf("Bob's message after Ann read: %+v", v)
		}
	})
}

func TestSessionMessagesHaveNoReadBy(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		s := newSession(t, env, channel.KindLIVE_CHAT, 0, 0, ann.ID)
		reply := send(t, ann, s.ID, "hello")
		s.Visitor.MustDo(markReadQ, Vars{"c": s.ID}, nil)
		if v := viewOf(t, ann, reply); len(v.ReadBy) != 0 || v.Status != "READ" {
			t.Fatalf("reply: %+v", v)
		}
	})
}

// A member who sends in a group has read what came before: their read mark
// passes it (readBy), the sender of the newest message passed hears of it
// once, and the member's own unread count is nothing.
func TestSendingInAGroupReadsWhatCameBefore(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Team", bob.ID, cat.ID) // Cat only reads
		annEvents := ann.Connect().Subscribe(eventsQuery, nil)
		time.Sleep(100 * time.Millisecond) // for the subscription to start, as the other live tests
		m1 := send(t, ann, g, "one")
		m2 := send(t, ann, g, "two")
		reply := send(t, bob, g, "a reply")
		again := send(t, bob, g, "and another") // passes nothing of anyone else's
		untilMessage(t, annEvents, "MESSAGE_ADDED", reply)
		if _, updated := untilMessage(t, annEvents, "MESSAGE_ADDED", again); jsonOf(updated) != jsonOf([]string{m2}) {
			t.Fatalf("Ann heard of %v, want only %s", updated, m2)
		}
		for _, m := range []string{m1, m2} {
			if v := viewOf(t, ann, m); jsonOf(readers(v)) != jsonOf([]string{bob.ID}) {
				t.Fatalf("%s read by %v, want Bob, who answered", m, readers(v))
			}
		}
		var out struct{ Node struct{ UnreadCount int } }
		bob.MustDo(`query($id:ID!){ node(id:$id){ ... on Chat { unreadCount } } }`, Vars{"id": g}, &out)
		if out.Node.UnreadCount != 0 {
			t.Fatalf("Bob, who answered, has %d unread", out.Node.UnreadCount)
		}
	})
}
