package chat_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/pubsub"
)

const wait = 10 * time.Second

type liveEvent struct {
	Events struct {
		Cursor       string
		Type         string
		Message      *struct{ ID, Text string }
		Conversation *struct {
			ID          string
			UnreadCount int
		}
		Badges *badgeSet
	}
}

const eventsQuery = `subscription($s:String){ events(since:$s){ cursor type message { id text } conversation { id unreadCount } badges { ` + badgeFields + ` } } }`

func nextEvent(t *testing.T, sub *apitest.Subscription, types ...string) liveEvent {
	t.Helper()
	for {
		r := sub.Next(wait)
		if len(r.Errors) > 0 {
			t.Fatalf("events: %+v", r.Errors)
		}
		var e liveEvent
		r.Decode(t, &e)
		for _, ty := range types {
			if e.Events.Type == ty {
				return e
			}
		}
		if len(types) == 0 {
			return e
		}
	}
}

func TestMessageAddedReachesMembersLive(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Live", bob.ID)
		q := `subscription($c:ID!){ messageAdded(conversationId:$c){ id text sender { name } conversation { id } } }`
		bobSub := bob.Connect().Subscribe(q, Vars{"c": g})
		annSub := ann.Connect().Subscribe(q, Vars{"c": g})
		time.Sleep(100 * time.Millisecond)
		for i := 1; i <= 3; i++ {
			send(t, ann, g, fmt.Sprintf("live %d", i))
		}
		for _, sub := range []*apitest.Subscription{bobSub, annSub} {
			for i := 1; i <= 3; i++ {
				var out struct {
					MessageAdded struct {
						Text   string
						Sender struct{ Name string }
					}
				}
				sub.Next(wait).Decode(t, &out)
				if out.MessageAdded.Text != fmt.Sprintf("live %d", i) || out.MessageAdded.Sender.Name != "Ann" {
					t.Fatalf("message %d = %+v", i, out.MessageAdded)
				}
			}
		}
		// Removed from the group, Bob hears nothing more; Cat, added, starts hearing.
		catSub := cat.Connect().Subscribe(q, Vars{"c": g})
		if r := catSub.Next(wait); r.Code() != "FORBIDDEN" {
			t.Fatalf("non-member subscribe: %+v", r.Errors)
		}
		ann.MustDo(`mutation($c:ID!,$u:ID!){ removeChatMember(chatId:$c, userId:$u){ id } }`, Vars{"c": g, "u": bob.ID}, nil)
		ann.MustDo(`mutation($c:ID!,$u:[ID!]!){ addChatMembers(chatId:$c, userIds:$u){ id } }`, Vars{"c": g, "u": []string{cat.ID}}, nil)
		catSub = cat.Connect().Subscribe(q, Vars{"c": g})
		time.Sleep(100 * time.Millisecond)
		send(t, ann, g, "after the change")
		var out struct{ MessageAdded struct{ Text string } }
		catSub.Next(wait).Decode(t, &out)
		if out.MessageAdded.Text != "after the change" {
			t.Fatalf("Cat got %q", out.MessageAdded.Text)
		}
		// Bob sees the system messages up to his removal, then nothing.
		for {
			select {
			case r, ok := <-bobSub.C:
				if ok && strings.Contains(string(r.Data), "after the change") {
					t.Fatal("a removed member still receives messages")
				}
				if !ok {
					return
				}
				continue
			case <-time.After(500 * time.Millisecond):
			}
			break
		}
	})
}

func TestReadingOnOneDeviceUpdatesBadgesOnTheOthers(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		phone := bob.Connect().Subscribe(`subscription { badgesUpdated { `+badgeFields+` } }`, nil)
		tablet := bob.Connect().Subscribe(eventsQuery, nil)
		time.Sleep(100 * time.Millisecond)
		send(t, ann, c, "hello")
		var b struct{ BadgesUpdated badgeSet }
		phone.Next(wait).Decode(t, &b)
		if b.BadgesUpdated.InternalUnread != 1 || b.BadgesUpdated.Total != 1 {
			t.Fatalf("phone badges after a message: %+v", b.BadgesUpdated)
		}
		if e := nextEvent(t, tablet, "BADGES_UPDATED"); e.Events.Badges.Total != 1 {
			t.Fatalf("tablet badges: %+v", e.Events.Badges)
		}
		// Read on the web (HTTP): both devices hear of it.
		bob.MustDo(`mutation($c:ID!){ markRead(conversationId:$c){ id } }`, Vars{"c": c}, nil)
		phone.Next(wait).Decode(t, &b)
		if b.BadgesUpdated.Total != 0 {
			t.Fatalf("phone badges after reading elsewhere: %+v", b.BadgesUpdated)
		}
		e := nextEvent(t, tablet, "CONVERSATION_UPDATED")
		if e.Events.Conversation.ID != c || e.Events.Conversation.UnreadCount != 0 {
			t.Fatalf("tablet conversation update: %+v", e.Events.Conversation)
		}
		if e := nextEvent(t, tablet, "BADGES_UPDATED"); e.Events.Badges.Total != 0 {
			t.Fatalf("tablet badges after reading elsewhere: %+v", e.Events.Badges)
		}
	})
}

func TestEventsResumeWithExactlyTheMissedEvents(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		g := groupChat(t, ann, "G", bob.ID)
		sock := bob.Connect()
		sub := sock.Subscribe(eventsQuery, nil)
		time.Sleep(100 * time.Millisecond)
		send(t, ann, c, "before 1")
		send(t, ann, g, "before 2")
		nextEvent(t, sub, "MESSAGE_ADDED")
		last := nextEvent(t, sub, "MESSAGE_ADDED")
		if last.Events.Message.Text != "before 2" {
			t.Fatalf("got %+v", last.Events.Message)
		}
		sock.Close() // the phone goes into a tunnel

		var missed []string
		for i := 1; i <= 5; i++ {
			conv := c
			if i%2 == 0 {
				conv = g
			}
			missed = append(missed, fmt.Sprintf("missed %d", i))
			send(t, ann, conv, missed[len(missed)-1])
		}
		ann.MustDo(`mutation($c:ID!){ renameChat(chatId:$c, title:"G2"){ id } }`, Vars{"c": g}, nil)

		resumed := bob.Connect().Subscribe(eventsQuery, Vars{"s": last.Events.Cursor})
		var got []string
		cursors := map[string]bool{}
		for len(got) < 6 {
			e := nextEvent(t, resumed, "MESSAGE_ADDED", "CONVERSATION_UPDATED")
			if cursors[e.Events.Cursor] {
				t.Fatalf("cursor %s delivered twice", e.Events.Cursor)
			}
			cursors[e.Events.Cursor] = true
			if e.Events.Type == "MESSAGE_ADDED" {
				got = append(got, e.Events.Message.Text)
			}
		}
		want := append(missed, `Ann renamed the group to "G2"`)
		if jsonOf(got) != jsonOf(want) {
			t.Fatalf("resumed with %q, want %q", got, want)
		}
		// And then it goes on live.
		send(t, ann, c, "live again")
		if e := nextEvent(t, resumed, "MESSAGE_ADDED"); e.Events.Message.Text != "live again" {
			t.Fatalf("after resuming: %+v", e.Events.Message)
		}
	})
}

func TestEventsSinceAnOldOrUnknownCursorAsksForResync(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		sub := bob.Connect().Subscribe(eventsQuery, nil)
		time.Sleep(100 * time.Millisecond)
		send(t, ann, c, "one")
		first := nextEvent(t, sub, "MESSAGE_ADDED")
		send(t, ann, c, "two")
		nextEvent(t, sub, "MESSAGE_ADDED")

		// The log was pruned past the client's cursor.
		if err := env.App.DB.Setting.Create().SetKey("events.pruned_through").SetValue(prunedThrough(t, env, first.Events.Cursor)).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
		old := bob.Connect().Subscribe(eventsQuery, Vars{"s": first.Events.Cursor})
		if e := nextEvent(t, old); e.Events.Type != "RESYNC_REQUIRED" || e.Events.Cursor == "" {
			t.Fatalf("first event = %+v", e.Events)
		}
		send(t, ann, c, "three")
		if e := nextEvent(t, old, "MESSAGE_ADDED"); e.Events.Message.Text != "three" {
			t.Fatalf("after resync: %+v", e.Events.Message)
		}
		// A cursor from another server's log.
		future := bob.Connect().Subscribe(eventsQuery, Vars{"s": "ZTEuMC45OTk5OTk5"})
		if e := nextEvent(t, future); e.Events.Type != "RESYNC_REQUIRED" {
			t.Fatalf("unknown cursor: %+v", e.Events)
		}
		// Garbage is a bad input.
		r := bob.Connect().Subscribe(eventsQuery, Vars{"s": "not-a-cursor"}).Next(wait)
		if r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("garbage cursor: %+v", r.Errors)
		}
	})
}

func TestOnlineWhileAWebsocketIsOpen(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("MEMBER", "Ann")
		online := func() bool {
			var out struct{ Node struct{ Online bool } }
			env.Admin.MustDo(`query($id:ID!){ node(id:$id){ ... on User { online } } }`, Vars{"id": ann.ID}, &out)
			return out.Node.Online
		}
		if online() {
			t.Fatal("online before connecting")
		}
		s1, s2 := ann.Connect(), ann.Connect()
		if !online() {
			t.Fatal("not online with two sockets open")
		}
		s1.Close()
		time.Sleep(200 * time.Millisecond)
		if !online() {
			t.Fatal("offline while a socket is still open")
		}
		s2.Close()
		deadline := time.Now().Add(wait)
		for online() {
			if time.Now().After(deadline) {
				t.Fatal("still online after closing every socket")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestASlowSubscriberDoesNotDelayTheSender(t *testing.T) {
	apitest.RunWith(t, apitest.Options{SmallSendBuffers: true}, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Busy", bob.ID, cat.ID)
		q := `subscription($c:ID!){ messageAdded(conversationId:$c){ text } }`
		slowSock, err := bob.Dial(apitest.DialOptions{SmallReceiveBuffer: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := slowSock.WaitAck(wait); err != nil {
			t.Fatal(err)
		}
		slow := slowSock.Subscribe(q, Vars{"c": g})
		fast := cat.Connect().Subscribe(q, Vars{"c": g})
		time.Sleep(100 * time.Millisecond)
		slowSock.Pause() // Bob's phone stops reading; the server's writes back up

		// Big messages fill the socket buffers quickly; far more than the
		// hub's per-subscriber queue are sent.
		pad := strings.Repeat("x", 8000)
		const n = 600
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			for i := 0; i < n; i++ {
				send(t, ann, g, fmt.Sprintf("%04d %s", i, pad))
			}
		}()
		// The fast subscriber gets everything while the slow one sleeps.
		for i := 0; i < n; i++ {
			var out struct{ MessageAdded struct{ Text string } }
			fast.Next(wait).Decode(t, &out)
			if !strings.HasPrefix(out.MessageAdded.Text, fmt.Sprintf("%04d ", i)) {
				t.Fatalf("fast subscriber: message %d is %.10q", i, out.MessageAdded.Text)
			}
		}
		select {
		case <-sent:
		case <-time.After(wait):
			t.Fatal("the sender was held up by a slow subscriber")
		}
		if env.App.Hub.Drops() == 0 {
			t.Fatal("the slow subscriber was never dropped: this test did not test the catch-up path")
		}
		// When Bob's phone reads again, it catches up: all of it, in order.
		slowSock.Resume()
		for i := 0; i < n; i++ {
			var out struct{ MessageAdded struct{ Text string } }
			slow.Next(wait).Decode(t, &out)
			if !strings.HasPrefix(out.MessageAdded.Text, fmt.Sprintf("%04d ", i)) {
				t.Fatalf("slow subscriber: message %d is %.10q", i, out.MessageAdded.Text)
			}
		}
	})
}

// A BADGES_UPDATED shares the cursor of the change that moved the badges; a
// client that resumes from that cursor (having perhaps missed the badges)
// is told its badges again.
func TestResumingRestatesTheBadges(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		sock := bob.Connect()
		sub := sock.Subscribe(eventsQuery, nil)
		time.Sleep(100 * time.Millisecond)
		send(t, ann, c, "hi")
		added := nextEvent(t, sub, "MESSAGE_ADDED")
		nextEvent(t, sub, "BADGES_UPDATED")
		sock.Close()

		resumed := bob.Connect().Subscribe(eventsQuery, Vars{"s": added.Events.Cursor})
		e := nextEvent(t, resumed)
		if e.Events.Type != "BADGES_UPDATED" || e.Events.Badges == nil || *e.Events.Badges != (badgeSet{InternalUnread: 1, Total: 1}) {
			t.Fatalf("resuming began with %+v", e.Events)
		}
		if e.Events.Cursor != added.Events.Cursor {
			t.Fatalf("the restated badges carry cursor %s, want %s", e.Events.Cursor, added.Events.Cursor)
		}
	})
}

// Concurrent senders into one group: every subscriber — messageAdded,
// events, and an events stream dropped part-way and resumed from its
// cursor — receives each message exactly once, in the order the messages
// query lists them. (On PostgreSQL the log was once ordered by transaction
// id, which is not commit order: about 190 of the 480 arrived right after
// a message the list puts later.)
func TestConcurrentSendersReachEveryoneInTheListsOrder(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		const senders, each, beforeDrop = 8, 60, 100
		reader := env.NewUser("MEMBER", "Rea")
		clients := make([]*apitest.Client, senders)
		members := []string{reader.ID}
		for i := range clients {
			clients[i] = env.NewUser("MEMBER", fmt.Sprintf("Sender %d", i))
			if i > 0 {
				members = append(members, clients[i].ID)
			}
		}
		g := groupChat(t, clients[0], "Busy", members...)
		added := reader.Connect().Subscribe(`subscription($c:ID!){ messageAdded(conversationId:$c){ id } }`, Vars{"c": g})
		events := reader.Connect().Subscribe(eventsQuery, nil)
		dropSock := reader.Connect()
		dropping := dropSock.Subscribe(eventsQuery, nil)
		time.Sleep(100 * time.Millisecond)
		// Every stream is live once it has the first message.
		ready := send(t, clients[0], g, "ready")
		nextAdded := func() string {
			t.Helper()
			var out struct{ MessageAdded struct{ ID string } }
			added.Next(wait).Decode(t, &out)
			return out.MessageAdded.ID
		}
		nextAddedEvent := func(sub *apitest.Subscription) liveEvent {
			t.Helper()
			for {
				if e := nextEvent(t, sub, "MESSAGE_ADDED"); e.Events.Message.ID != ready {
					return e
				}
			}
		}
		if id := nextAdded(); id != ready {
			t.Fatalf("messageAdded began with %s", id)
		}

		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range each {
					if r := c.Do(`mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
						Vars{"c": g, "t": fmt.Sprintf("%d.%d", i, j)}); len(r.Errors) > 0 {
						t.Errorf("sender %d: %+v", i, r.Errors)
						return
					}
				}
			}()
		}
		// One device drops part-way through; it resumes once all is sent.
		var resumedIDs []string
		var cursor string
		for len(resumedIDs) < beforeDrop {
			e := nextAddedEvent(dropping)
			resumedIDs, cursor = append(resumedIDs, e.Events.Message.ID), e.Events.Cursor
		}
		dropSock.Close()
		wg.Wait()
		if t.Failed() {
			return
		}
		want := messageIDs(t, reader, g)
		want = want[slices.Index(want, ready)+1:] // what was sent concurrently
		if len(want) != senders*each {
			t.Fatalf("the list holds %d messages, want %d", len(want), senders*each)
		}
		var live, fromEvents []string
		for range want {
			live = append(live, nextAdded())
			fromEvents = append(fromEvents, nextAddedEvent(events).Events.Message.ID)
		}
		resumed := reader.Connect().Subscribe(eventsQuery, Vars{"s": cursor})
		for len(resumedIDs) < len(want) {
			resumedIDs = append(resumedIDs, nextAddedEvent(resumed).Events.Message.ID)
		}
		for name, got := range map[string][]string{"messageAdded": live, "events": fromEvents, "resumed events": resumedIDs} {
			if n := outOfOrder(want, got); n > 0 || jsonOf(got) != jsonOf(want) {
				t.Errorf("%s: %d of %d messages arrived out of the list's order (or twice, or not at all)", name, n, len(want))
			}
		}
		// Nothing more arrives: each message came once.
		added.Quiet(200 * time.Millisecond)
	})
}

// messageIDs lists every message of a conversation in the list's order.
func messageIDs(t *testing.T, c *apitest.Client, conv string) []string {
	t.Helper()
	var ids []string
	var after *string
	for {
		var out struct {
			Node struct {
				Messages struct {
					Edges    []struct{ Node struct{ ID string } }
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
		}
		c.MustDo(`query($id:ID!,$a:Cursor){ node(id:$id){ ... on Conversation { messages(first:100, after:$a){
			edges { node { id } } pageInfo { hasNextPage endCursor } } } } }`, Vars{"id": conv, "a": after}, &out)
		for _, e := range out.Node.Messages.Edges {
			ids = append(ids, e.Node.ID)
		}
		if !out.Node.Messages.PageInfo.HasNextPage {
			return ids
		}
		after = &out.Node.Messages.PageInfo.EndCursor
	}
}

// outOfOrder counts the messages received right after one the list puts
// later (or not in the list at all).
func outOfOrder(want, got []string) int {
	rank := make(map[string]int, len(want))
	for i, id := range want {
		rank[id] = i
	}
	n, prev := 0, -1
	for _, id := range got {
		r, ok := rank[id]
		if !ok || r < prev {
			n++
		}
		prev = r
	}
	return n
}

// Cursors handed out before the log's ids followed commit order read
// "e1.XID.ID". SQLite's (XID 0: its ids were already in commit order)
// still resume exactly; PostgreSQL's cannot be placed in the new order and
// resync. A pruned mark stored in the former "XID.ID" form still counts.
func TestCursorsOfTheFormerFormat(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		sub := bob.Connect().Subscribe(eventsQuery, nil)
		time.Sleep(100 * time.Millisecond)
		send(t, ann, c, "one")
		one, err := pubsub.ParseCursor(nextEvent(t, sub, "MESSAGE_ADDED").Events.Cursor)
		if err != nil {
			t.Fatal(err)
		}
		send(t, ann, c, "two")
		nextEvent(t, sub, "MESSAGE_ADDED")
		former := func(xid int64) string {
			return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "e1.%d.%d", xid, one.ID))
		}

		sqlite := bob.Connect().Subscribe(eventsQuery, Vars{"s": former(0)})
		if e := nextEvent(t, sqlite, "MESSAGE_ADDED", "RESYNC_REQUIRED"); e.Events.Type != "MESSAGE_ADDED" || e.Events.Message.Text != "two" {
			t.Fatalf("from a former SQLite cursor: %+v", e.Events)
		}
		postgres := bob.Connect().Subscribe(eventsQuery, Vars{"s": former(4242)})
		if e := nextEvent(t, postgres); e.Events.Type != "RESYNC_REQUIRED" {
			t.Fatalf("from a former PostgreSQL cursor: %+v", e.Events)
		}

		// Pruned through the entry after "one", recorded the former way.
		if err := env.App.DB.Setting.Create().SetKey(pubsub.PrunedSetting).SetValue(fmt.Sprintf("4242.%d", one.ID+1)).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
		if e := nextEvent(t, bob.Connect().Subscribe(eventsQuery, Vars{"s": former(0)})); e.Events.Type != "RESYNC_REQUIRED" {
			t.Fatalf("from before the pruned mark: %+v", e.Events)
		}
	})
}
