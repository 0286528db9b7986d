package chat_test

import (
	"testing"

	"parley/server/apitest"
)

func TestReadStateAndBadges(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		m1 := send(t, ann, c, "one")
		m2 := send(t, ann, c, "two @bob")
		send(t, ann, c, "three")
		if s := state(t, bob, c); s.UnreadCount != 3 || s.MentionCount != 1 || s.Badge != "COUNT" {
			t.Fatalf("Bob: %+v", s)
		}
		if s := state(t, ann, c); s.UnreadCount != 0 || s.Badge != "NONE" {
			t.Fatalf("Ann's own messages are unread for her: %+v", s)
		}
		if b := badgesOf(t, bob); b != (badgeSet{InternalUnread: 3, Mentions: 1, Total: 3}) {
			t.Fatalf("badges = %+v", b)
		}
		markRead := `mutation($c:ID!,$m:ID){ markRead(conversationId:$c, messageId:$m){ id unreadCount mentionCount badge } }`
		// Up to the second message: the mention is read, one message is left.
		var out struct{ MarkRead convState }
		bob.MustDo(markRead, Vars{"c": c, "m": m2}, &out)
		if out.MarkRead.UnreadCount != 1 || out.MarkRead.MentionCount != 0 {
			t.Fatalf("after reading up to m2: %+v", out.MarkRead)
		}
		// The horizon never moves back.
		bob.MustDo(markRead, Vars{"c": c, "m": m1}, &out)
		if out.MarkRead.UnreadCount != 1 {
			t.Fatalf("reading up to an older message moved the horizon back: %+v", out.MarkRead)
		}
		bob.MustDo(markRead, Vars{"c": c}, &out)
		if out.MarkRead.UnreadCount != 0 || out.MarkRead.Badge != "NONE" {
			t.Fatalf("after reading everything: %+v", out.MarkRead)
		}
		if b := badgesOf(t, bob); b != (badgeSet{}) {
			t.Fatalf("badges = %+v", b)
		}
		other := directChat(t, ann, env.NewUser("MEMBER", "Cat").ID)
		bob.MustFail("BAD_USER_INPUT", markRead, Vars{"c": c, "m": send(t, ann, other, "elsewhere")})
	})
}

func TestMutedChatShowsADotAndStillCountsMentions(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Noisy", bob.ID, cat.ID)
		d := directChat(t, ann, bob.ID)
		var out struct{ SetMuted convState }
		bob.MustDo(`mutation($c:ID!){ setMuted(conversationId:$c, muted:true){ muted badge } }`, Vars{"c": g}, &out)
		if !out.SetMuted.Muted || out.SetMuted.Badge != "NONE" {
			t.Fatalf("setMuted = %+v", out.SetMuted)
		}
		send(t, ann, g, "chatter")
		send(t, cat, g, "more chatter")
		send(t, cat, g, "@bob look at this")
		send(t, ann, d, "direct")
		s := state(t, bob, g)
		if !s.Muted || s.Badge != "DOT" || s.UnreadCount != 3 || s.MentionCount != 1 {
			t.Fatalf("muted group: %+v", s)
		}
		// Muted unread is a dot, not a count; the mention counts anyway.
		want := badgeSet{InternalUnread: 1, Mentions: 1, MutedWithUnread: 1, Total: 1}
		if b := badgesOf(t, bob); b != want {
			t.Fatalf("badges = %+v, want %+v", b, want)
		}
		bob.MustDo(`mutation($c:ID!){ setMuted(conversationId:$c, muted:false){ muted } }`, Vars{"c": g}, nil)
		want = badgeSet{InternalUnread: 4, Mentions: 1, Total: 4}
		if b := badgesOf(t, bob); b != want {
			t.Fatalf("badges after unmuting = %+v, want %+v", b, want)
		}
		// Muting is the caller's own: Cat is not muted.
		if s := state(t, cat, g); s.Muted {
			t.Fatal("muting leaked to another member")
		}
	})
}

func TestChatsArePinnedFirstThenNewest(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		me := env.NewUser("MEMBER", "Me")
		var chats []string
		for _, name := range []string{"A", "B", "C", "D"} {
			u := env.NewUser("MEMBER", name)
			c := directChat(t, me, u.ID)
			send(t, u, c, "hello from "+name)
			chats = append(chats, c)
		}
		list := func(first int, after any) (ids []string, end string, more bool) {
			var out struct {
				Chats struct {
					PageInfo struct {
						EndCursor   string
						HasNextPage bool
					}
					Edges []struct{ Node struct{ ID string } }
				}
			}
			me.MustDo(`query($f:Int,$a:Cursor){ chats(first:$f, after:$a){ pageInfo { endCursor hasNextPage } edges { node { id } } } }`,
				Vars{"f": first, "a": after}, &out)
			for _, e := range out.Chats.Edges {
				ids = append(ids, e.Node.ID)
			}
			return ids, out.Chats.PageInfo.EndCursor, out.Chats.PageInfo.HasNextPage
		}
		same := func(got, want []string) bool { return jsonOf(got) == jsonOf(want) }
		if got, _, _ := list(10, nil); !same(got, []string{chats[3], chats[2], chats[1], chats[0]}) {
			t.Fatalf("newest first: %v", got)
		}
		me.MustDo(`mutation($c:ID!){ setPinned(conversationId:$c, pinned:true){ pinned } }`, Vars{"c": chats[0]}, nil)
		me.MustDo(`mutation($c:ID!){ setPinned(conversationId:$c, pinned:true){ pinned } }`, Vars{"c": chats[2]}, nil)
		send(t, me, chats[1], "bump")
		want := []string{chats[2], chats[0], chats[1], chats[3]}
		if got, _, _ := list(10, nil); !same(got, want) {
			t.Fatalf("pinned first: %v, want %v", got, want)
		}
		// Paging two at a time gives the same order.
		p1, end, more := list(2, nil)
		p2, _, more2 := list(2, end)
		if !same(append(p1, p2...), want) || !more || more2 {
			t.Fatalf("pages %v + %v (more %v, %v)", p1, p2, more, more2)
		}
	})
}

func TestArchivedChatComesBackWithANewMessage(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		send(t, ann, c, "hi")
		count := func(archived bool) int {
			var out struct{ Chats struct{ TotalCount int } }
			bob.MustDo(`query($a:Boolean){ chats(archived:$a){ totalCount } }`, Vars{"a": archived}, &out)
			return out.Chats.TotalCount
		}
		var out struct{ ArchiveConversation convState }
		bob.MustDo(`mutation($c:ID!){ archiveConversation(id:$c){ archived } }`, Vars{"c": c}, &out)
		if !out.ArchiveConversation.Archived || count(false) != 0 || count(true) != 1 {
			t.Fatalf("after archiving: %+v, listed %d, archived %d", out.ArchiveConversation, count(false), count(true))
		}
		// Only for Bob: Ann still has it.
		if s := state(t, ann, c); s.Archived {
			t.Fatal("archiving a chat hid it for the other member")
		}
		send(t, ann, c, "are you there?")
		if count(false) != 1 || state(t, bob, c).Archived {
			t.Fatal("a new message did not bring the chat back")
		}
		bob.MustDo(`mutation($c:ID!){ archiveConversation(id:$c){ archived } }`, Vars{"c": c}, nil)
		bob.MustDo(`mutation($c:ID!){ unarchiveConversation(id:$c){ archived } }`, Vars{"c": c}, nil)
		if count(false) != 1 {
			t.Fatal("unarchive did not bring it back")
		}
	})
}

// A message writes the rows of its sender and of those it names, not one
// per member: everyone else's unread count follows the chat's. Joining
// starts at nothing unread; each member's count, badge and place in the
// list move with the messages they have not read, and reading or sending
// brings theirs to zero without touching the others'.
func TestUnreadCountsFollowTheChatNotEveryRow(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Team", bob.ID)
		for _, text := range []string{"one", "two", "three"} {
			send(t, ann, g, text)
		}
		dan := env.NewUser("MEMBER", "Dan")
		d := directChat(t, cat, dan.ID)
		send(t, dan, d, "hello Cat")
		ann.MustDo(`mutation($c:ID!,$u:[ID!]!){ addChatMembers(chatId:$c, userIds:$u){ id } }`, Vars{"c": g, "u": []string{cat.ID}}, nil)

		if s := state(t, cat, g); s.UnreadCount != 0 || s.Badge != "NONE" {
			t.Fatalf("a new member starts with nothing unread: %+v", s)
		}
		if s := state(t, bob, g); s.UnreadCount != 3 || s.Badge != "COUNT" {
			t.Fatalf("Bob has read nothing: %+v", s)
		}
		send(t, bob, g, "four @Cat")
		for who, want := range map[*apitest.Client][2]int{ann: {1, 0}, bob: {0, 0}, cat: {1, 1}} {
			if s := state(t, who, g); s.UnreadCount != want[0] || s.MentionCount != want[1] {
				t.Fatalf("after Bob's message: %+v, want unread %d, mentions %d", s, want[0], want[1])
			}
		}
		if b := badgesOf(t, cat); b.InternalUnread != 2 || b.Mentions != 1 {
			t.Fatalf("Cat's badges: %+v, want 2 unread (one per chat) and 1 mention", b)
		}
		// The group moved last for Cat, above Dan's direct chat.
		var out struct {
			Chats struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		cat.MustDo(`{ chats(first:10){ edges { node { id } } } }`, nil, &out)
		if len(out.Chats.Edges) != 2 || out.Chats.Edges[0].Node.ID != g || out.Chats.Edges[1].Node.ID != d {
			t.Fatalf("Cat's list: %+v, want the group first", out.Chats.Edges)
		}
		cat.MustDo(`mutation($c:ID!){ markRead(conversationId:$c){ id } }`, Vars{"c": g}, nil)
		if s := state(t, cat, g); s.UnreadCount != 0 || s.MentionCount != 0 {
			t.Fatalf("after reading: %+v", s)
		}
		if s := state(t, ann, g); s.UnreadCount != 1 {
			t.Fatalf("Cat's reading moved Ann's count: %+v", s)
		}
	})
}
