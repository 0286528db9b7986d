package chat_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/server/apitest"
)

func TestInboundMakesOneSessionPerContactAndDropsRepeats(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ch := createChannel(t, env, "SMS", "SMS")
		// Ten first messages from one customer at once: one session.
		var wg sync.WaitGroup
		sessions := make([]string, 10)
		errs := make([]error, 10)
		for i := range sessions {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				m, err := receive(env, ch, "+15550100", fmt.Sprintf("SM%d", i), fmt.Sprintf("hello %d", i))
				if err == nil {
					sessions[i] = string(m.ConversationID)
				}
				errs[i] = err
			}(i)
		}
		wg.Wait()
		for i := range sessions {
			if errs[i] != nil || sessions[i] != sessions[0] {
				t.Fatalf("concurrent first messages: %v / %v", sessions, errs)
			}
		}
		// The same provider message again — once, and ten times at once — stores nothing.
		first, _ := receive(env, ch, "+15550100", "SM0", "hello 0")
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := receive(env, ch, "+15550100", "SM-dup", "retried webhook")
				if err != nil {
					t.Errorf("duplicate: %v", err)
				} else if m.ConversationID != first.ConversationID {
					t.Errorf("duplicate went to %s", m.ConversationID)
				}
			}()
		}
		wg.Wait()
		var out struct {
			Node struct {
				UnreadCount int
				Messages    struct{ TotalCount int }
			}
		}
		env.Admin.MustDo(`query($id:ID!){ node(id:$id){ ... on Session { unreadCount messages { totalCount } } } }`, Vars{"id": sessions[0]}, &out)
		if out.Node.Messages.TotalCount != 11 || out.Node.UnreadCount != 11 {
			t.Fatalf("messages = %d, unread = %d; want 11 and 11", out.Node.Messages.TotalCount, out.Node.UnreadCount)
		}
		// The same number on another channel is another session.
		other := createChannel(t, env, "WHATSAPP", "WA")
		if s, _ := customerWrites(t, env, other, "+15550100", "wamid.1", "hi"); s == sessions[0] {
			t.Fatal("one session across two channels")
		}
	})
}

func TestAgentsSeeOnlyTheSessionsOfTheirChannels(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, mia := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Bob"), env.NewUser("MEMBER", "Mia")
		mine := createChannel(t, env, "SMS", "Ann's", ann.ID)
		s, m := customerWrites(t, env, mine, "+15550101", "SM1", "my invoice is wrong")
		// Bob has no access: nothing, by any road.
		var list struct{ Sessions struct{ TotalCount int } }
		bob.MustDo(`{ sessions { totalCount } }`, nil, &list)
		if list.Sessions.TotalCount != 0 {
			t.Fatal("Bob lists a session of a channel he was not granted")
		}
		for _, id := range []string{s, m} {
			var n struct{ Node *struct{ ID string } }
			bob.MustDo(`query($id:ID!){ node(id:$id){ id } }`, Vars{"id": id}, &n)
			if n.Node != nil {
				t.Fatalf("Bob resolves %s", id)
			}
		}
		bob.MustFail("FORBIDDEN", `mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"hi"}){ id } }`, Vars{"c": s})
		if r := bob.Connect().Subscribe(`subscription($c:ID!){ messageAdded(conversationId:$c){ id } }`, Vars{"c": s}).Next(wait); r.Code() != "FORBIDDEN" {
			t.Fatalf("messageAdded: %+v", r.Errors)
		}
		var found struct{ SearchMessages struct{ TotalCount int } }
		bob.MustDo(`{ searchMessages(query:"invoice"){ totalCount } }`, nil, &found)
		if found.SearchMessages.TotalCount != 0 {
			t.Fatal("Bob finds a message of a session he cannot see")
		}
		if b := badgesOf(t, bob); b.ExternalUnread != 0 {
			t.Fatalf("Bob's badges count it: %+v", b)
		}
		mia.MustFail("FORBIDDEN", `{ sessions { totalCount } }`, nil)
		// Ann and the admin see it.
		for _, c := range []*apitest.Client{ann, env.Admin} {
			c.MustDo(`{ sessions { totalCount } }`, nil, &list)
			if list.Sessions.TotalCount != 1 || session(t, c, s) == nil {
				t.Fatal("an agent with access (or an admin) does not see the session")
			}
			c.MustDo(`{ searchMessages(query:"invoice"){ totalCount } }`, nil, &found)
			if found.SearchMessages.TotalCount != 1 {
				t.Fatal("search misses a visible session")
			}
		}
		if b := badgesOf(t, ann); b.ExternalUnread != 1 || b.Total != 1 {
			t.Fatalf("Ann's badges: %+v", b)
		}
	})
}

func TestInboxStates(t *testing.T) {
	apitest.RunWith(t, deliveringProviders(), func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		ch := createChannel(t, env, "SMS", "SMS", ann.ID)
		badges := ann.Connect().Subscribe(`subscription { badgesUpdated { `+badgeFields+` } }`, nil)
		time.Sleep(100 * time.Millisecond)
		s, _ := customerWrites(t, env, ch, "+15550102", "SM1", "is my order shipped?")
		if v := session(t, ann, s); v.ReplyState != "UNREAD" || v.UnreadCount != 1 || v.Status != "OPEN" || v.LastInboundAt == nil {
			t.Fatalf("after a customer's message: %+v", v)
		}
		var b struct{ BadgesUpdated badgeSet }
		badges.Next(wait).Decode(t, &b)
		if b.BadgesUpdated.ExternalUnread != 1 || b.BadgesUpdated.Total != 1 {
			t.Fatalf("live badges: %+v", b.BadgesUpdated)
		}
		// Reading turns the blue mark grey: still unanswered.
		ann.MustDo(`mutation($c:ID!){ markRead(conversationId:$c){ id } }`, Vars{"c": s}, nil)
		if v := session(t, ann, s); v.ReplyState != "UNANSWERED" || v.UnreadCount != 0 {
			t.Fatalf("after reading: %+v", v)
		}
		badges.Next(wait).Decode(t, &b)
		if b.BadgesUpdated.ExternalUnread != 0 || b.BadgesUpdated.ExternalUnanswered != 1 || b.BadgesUpdated.Total != 1 {
			t.Fatalf("live badges after reading: %+v", b.BadgesUpdated)
		}
		// A private note changes nothing, and is never sent out.
		var note struct {
			SendMessage struct{ Kind, Direction, Status string }
		}
		ann.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"@Bob this one is yours", note:true}){ kind direction status } }`, Vars{"c": s}, &note)
		if n := note.SendMessage; n.Kind != "NOTE" || n.Direction != "INTERNAL" || n.Status != "SENT" {
			t.Fatalf("note: %+v", n)
		}
		if v := session(t, ann, s); v.ReplyState != "UNANSWERED" {
			t.Fatalf("a note changed the reply state: %+v", v)
		}
		// An answer.
		send(t, ann, s, "It left this morning.")
		if v := session(t, ann, s); v.ReplyState != "ANSWERED" {
			t.Fatalf("after answering: %+v", v)
		}
		if bs := badgesOf(t, ann); bs.Total != 0 {
			t.Fatalf("badges after answering: %+v", bs)
		}
		customerWrites(t, env, ch, "+15550102", "SM2", "thanks!")
		if v := session(t, ann, s); v.ReplyState != "UNREAD" {
			t.Fatalf("after the customer wrote again: %+v", v)
		}
	})
}

func TestInboxFiltersAndOrder(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		wa := createChannel(t, env, "WHATSAPP", "WA", ann.ID)
		s1, _ := customerWrites(t, env, sms, "+15550111", "SM1", "one")
		s2, _ := customerWrites(t, env, wa, "+15550112", "wamid.2", "two")
		s3, _ := customerWrites(t, env, sms, "+15550113", "SM3", "three")
		ann.MustDo(`mutation($c:ID!){ markRead(conversationId:$c){ id } }`, Vars{"c": s1}, nil)
		ann.MustDo(`mutation($c:ID!){ archiveConversation(id:$c){ id } }`, Vars{"c": s2}, nil)
		list := func(args string) []string {
			var out struct {
				Sessions struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
			ann.MustDo(`{ sessions`+args+` { edges { node { id } } } }`, nil, &out)
			var ids []string
			for _, e := range out.Sessions.Edges {
				ids = append(ids, e.Node.ID)
			}
			return ids
		}
		cases := map[string][]string{
			"":                         {s3, s1}, // OPEN by default, newest first
			"(status: ARCHIVED)":       {s2},
			"(channelKind: SMS)":       {s3, s1},
			"(replyState: UNREAD)":     {s3},
			"(replyState: UNANSWERED)": {s1},
			`(channelId: "` + sms + `", replyState: UNREAD)`: {s3},
		}
		for args, want := range cases {
			if got := list(args); jsonOf(got) != jsonOf(want) {
				t.Errorf("sessions%s = %v, want %v", args, got, want)
			}
		}
		// Paging: one at a time gives the same order.
		var page struct {
			Sessions struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct{ Node struct{ ID string } }
			}
		}
		ann.MustDo(`{ sessions(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`, nil, &page)
		if page.Sessions.TotalCount != 2 || !page.Sessions.PageInfo.HasNextPage || page.Sessions.Edges[0].Node.ID != s3 {
			t.Fatalf("first page: %+v", page.Sessions)
		}
		ann.MustDo(`query($a:Cursor){ sessions(first: 1, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`,
			Vars{"a": page.Sessions.PageInfo.EndCursor}, &page)
		if page.Sessions.PageInfo.HasNextPage || page.Sessions.Edges[0].Node.ID != s1 {
			t.Fatalf("second page: %+v", page.Sessions)
		}
	})
}

func TestArchiveAndReopen(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Bob")
		ch := createChannel(t, env, "SMS", "SMS", ann.ID, bob.ID)
		s, _ := customerWrites(t, env, ch, "+15550120", "SM1", "hello")
		archive := `mutation($c:ID!){ archiveConversation(id:$c){ ... on Session { status archived archivedAt archivedBy { id } } } }`
		ann.MustDo(archive, Vars{"c": s}, nil)
		// For everyone, with who and when.
		v := session(t, bob, s)
		if v.Status != "ARCHIVED" || !v.Archived || v.ArchivedAt == nil || v.ArchivedBy == nil || v.ArchivedBy.ID != ann.ID {
			t.Fatalf("archived: %+v", v)
		}
		// The customer writes again: it reopens.
		customerWrites(t, env, ch, "+15550120", "SM2", "one more thing")
		if v := session(t, bob, s); v.Status != "OPEN" || v.ArchivedAt != nil || v.ArchivedBy != nil {
			t.Fatalf("after an inbound message: %+v", v)
		}
		ann.MustDo(archive, Vars{"c": s}, nil)
		// So does an agent's message.
		send(t, bob, s, "anything else?")
		if v := session(t, ann, s); v.Status != "OPEN" {
			t.Fatalf("after an agent's message: %+v", v)
		}
		ann.MustDo(archive, Vars{"c": s}, nil)
		ann.MustDo(`mutation($c:ID!){ unarchiveConversation(id:$c){ id } }`, Vars{"c": s}, nil)
		if v := session(t, ann, s); v.Status != "OPEN" || v.ArchivedAt != nil {
			t.Fatalf("after unarchiving: %+v", v)
		}
	})
}

func TestForwardingASession(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, cleo, mia := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Cleo"), env.NewUser("MEMBER", "Mia")
		ch := createChannel(t, env, "LIVE_CHAT", "Site", ann.ID) // Cleo has no access to the channel
		var start struct {
			StartLiveChat struct {
				Token   string
				Session struct{ ID string }
			}
		}
		env.Anonymous().MustDo(`mutation($c:ID!){ startLiveChat(channelId:$c, name:"Vera"){ token session { id } } }`, Vars{"c": ch}, &start)
		visitor := env.WithToken(start.StartLiveChat.Token)
		s := start.StartLiveChat.Session.ID
		send(t, visitor, s, "my parcel is late")
		send(t, ann, s, "Let me check.")
		if session(t, cleo, s) != nil {
			t.Fatal("Cleo sees the session before it is forwarded to her")
		}
		events := cleo.Connect().Subscribe(eventsQuery, nil)
		time.Sleep(100 * time.Millisecond)
		fwd := `mutation($s:ID!,$u:ID!,$n:String){ forwardSession(input:{sessionId:$s, toUserId:$u, note:$n}){ assignee { id } } }`
		ann.MustFail("BAD_USER_INPUT", fwd, Vars{"s": s, "u": mia.ID, "n": "members do not do external chat"})
		ann.MustDo(fwd, Vars{"s": s, "u": cleo.ID, "n": "Customer is upset, be kind"}, nil)
		// Cleo is told, and sees the whole history.
		if e := nextEvent(t, events, "CONVERSATION_ADDED"); e.Events.Conversation.ID != s {
			t.Fatalf("Cleo was told of %+v", e.Events.Conversation)
		}
		v := session(t, cleo, s)
		if v == nil || v.Assignee == nil || v.Assignee.ID != cleo.ID {
			t.Fatalf("Cleo's view: %+v", v)
		}
		got := texts(t, cleo, s, 10)
		want := []string{"my parcel is late", "Let me check.", "Ann forwarded this chat to Cleo: Customer is upset, be kind"}
		if jsonOf(got) != jsonOf(want) {
			t.Fatalf("Cleo sees %q", got)
		}
		// The note is for agents: the visitor never sees it.
		if vis := texts(t, visitor, s, 10); strings.Contains(jsonOf(vis), "forwarded") {
			t.Fatalf("the visitor sees the forwarding note: %q", vis)
		}
		send(t, cleo, s, "Hi Vera, I'm on it.")
	})
}

// A session's read horizon only moves forward: reading up to an older
// message never brings back what was read.
func TestSessionReadHorizonOnlyMovesForward(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		// Live Chat: its replies are delivered at once, so the reply below
		// keeps the session ANSWERED (a failed one would not).
		ch := createChannel(t, env, "LIVE_CHAT", "Site", ann.ID)
		s, first := customerWrites(t, env, ch, "+15550109", "SM-a", "one")
		customerWrites(t, env, ch, "+15550109", "SM-b", "two")
		readTo := func(msg string) {
			t.Helper()
			if msg == "" {
				ann.MustDo(`mutation($c:ID!){ markRead(conversationId:$c){ id } }`, Vars{"c": s}, nil)
				return
			}
			ann.MustDo(`mutation($c:ID!,$m:ID){ markRead(conversationId:$c, messageId:$m){ id } }`, Vars{"c": s, "m": msg}, nil)
		}
		readTo("")
		ann.MustDo(sendQ, Vars{"c": s, "t": "on its way"}, nil)
		readTo(first)
		if v := session(t, ann, s); v.UnreadCount != 0 || v.ReplyState != "ANSWERED" {
			t.Fatalf("reading up to an older message: %+v", v)
		}
		_, third := customerWrites(t, env, ch, "+15550109", "SM-c", "three")
		customerWrites(t, env, ch, "+15550109", "SM-d", "four")
		readTo(third)
		if v := session(t, ann, s); v.UnreadCount != 1 || v.ReplyState != "UNREAD" {
			t.Fatalf("reading up to the third of four: %+v", v)
		}
		readTo(first)
		if v := session(t, ann, s); v.UnreadCount != 1 {
			t.Fatalf("reading up to the first again: %+v", v)
		}
		readTo("")
		if v := session(t, ann, s); v.UnreadCount != 0 || v.ReplyState != "UNANSWERED" {
			t.Fatalf("reading everything: %+v", v)
		}
	})
}

// An agent's first mute or pin of a session, sent from several devices at
// once, succeeds on each.
func TestConcurrentFirstMuteOfASession(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		ch := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, ch, "+15550111", "SM-m", "hi")
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				op := "setMuted(conversationId:$c, muted:true)"
				if i%2 == 1 {
					op = "setPinned(conversationId:$c, pinned:true)"
				}
				if r := ann.Do(`mutation($c:ID!){ `+op+` { id } }`, Vars{"c": s}); len(r.Errors) > 0 {
					t.Errorf("%s: %+v", op, r.Errors)
				}
			}()
		}
		wg.Wait()
	})
}

// An agent who gains or loses sight of a session is told: forwarding, and
// an admin granting or taking away the channel.
func TestGainingAndLosingASessionIsTold(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, carl := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Bob"), env.NewUser("AGENT", "Carl")
		ch := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, ch, "+15550112", "SM-f", "hello")
		events := bob.Connect().Subscribe(`subscription { events { type conversation { id } } }`, nil)
		time.Sleep(100 * time.Millisecond)
		next := func(want string) {
			t.Helper()
			for {
				var e struct {
					Events struct {
						Type         string
						Conversation *struct{ ID string }
					}
				}
				events.Next(wait).Decode(t, &e)
				switch e.Events.Type {
				case "BADGES_UPDATED", "CONVERSATION_UPDATED":
					continue
				}
				if e.Events.Type != want || e.Events.Conversation == nil || e.Events.Conversation.ID != s {
					t.Fatalf("got %s %+v, want %s of %s", e.Events.Type, e.Events.Conversation, want, s)
				}
				return
			}
		}
		forward := func(from *apitest.Client, to string) {
			from.MustDo(`mutation($s:ID!,$u:ID!){ forwardSession(input:{sessionId:$s, toUserId:$u}){ id } }`, Vars{"s": s, "u": to}, nil)
		}
		forward(ann, bob.ID)
		next("CONVERSATION_ADDED") // before the forwarding note's MESSAGE_ADDED
		next("MESSAGE_ADDED")
		forward(bob, carl.ID)
		next("CONVERSATION_REMOVED") // the note is Carl's to read, no longer Bob's
		setAgents := `mutation($c:ID!,$u:[ID!]!){ setChannelAgents(channelId:$c, userIds:$u){ id } }`
		env.Admin.MustDo(setAgents, Vars{"c": ch, "u": []string{ann.ID, bob.ID}}, nil)
		next("CONVERSATION_ADDED")
		env.Admin.MustDo(setAgents, Vars{"c": ch, "u": []string{ann.ID}}, nil)
		next("CONVERSATION_REMOVED")
	})
}
