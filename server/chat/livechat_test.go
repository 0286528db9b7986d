package chat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/ent/outbox"
	"parley/graph"
	"parley/server/apitest"
	"parley/server/app"
	"parley/server/channel"
)

func startLiveChat(t *testing.T, env *apitest.Env, channelID, name string) (*apitest.Client, string) {
	t.Helper()
	var out struct {
		StartLiveChat struct {
			Token   string
			Session struct{ ID string }
		}
	}
	env.Anonymous().MustDo(`mutation($c:ID!,$n:String){ startLiveChat(channelId:$c, name:$n, email:"vera@example.com"){ token session { id } } }`,
		Vars{"c": channelID, "n": name}, &out)
	return env.WithToken(out.StartLiveChat.Token), out.StartLiveChat.Session.ID
}

func TestLiveChatVisitorAndAgentTalkLive(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		site := createChannel(t, env, "LIVE_CHAT", "Website", ann.ID)
		agentEvents := ann.Connect().Subscribe(eventsQuery, nil)
		visitor, s := startLiveChat(t, env, site, "Vera")
		// Nobody is bothered until the visitor writes.
		var list struct{ Sessions struct{ TotalCount int } }
		ann.MustDo(`{ sessions { totalCount } }`, nil, &list)
		if list.Sessions.TotalCount != 0 {
			t.Fatal("an empty visitor session is in the inbox")
		}
		visitorSub := visitor.Connect().Subscribe(`subscription($c:ID!){ messageAdded(conversationId:$c){ id text direction sender { name } } }`, Vars{"c": s})
		time.Sleep(100 * time.Millisecond)
		send(t, visitor, s, "Do you ship to Norway?")
		if e := nextEvent(t, agentEvents, "CONVERSATION_ADDED"); e.Events.Conversation.ID != s {
			t.Fatalf("agent was told of %+v", e.Events.Conversation)
		}
		if v := session(t, ann, s); v.ReplyState != "UNREAD" || v.Status != "OPEN" {
			t.Fatalf("agent sees %+v", v)
		}
		var title struct {
			Node struct {
				Title   string
				Contact struct{ DisplayName, PageName string }
			}
		}
		ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Session { title contact { displayName pageName } } } }`, Vars{"id": s}, &title)
		if title.Node.Title != "Vera" || title.Node.Contact.PageName != "Website" {
			t.Fatalf("agent sees %+v", title.Node)
		}
		// The agent answers; the answer reaches the visitor live. A note does not.
		ann.MustDo(sendQ, Vars{"c": s, "t": "private: check stock", "note": true}, nil)
		var reply struct{ SendMessage struct{ ID string } }
		ann.MustDo(sendQ, Vars{"c": s, "t": "Yes, we do!"}, &reply)
		var got struct {
			MessageAdded struct {
				Text, Direction string
				Sender          struct{ Name string }
			}
		}
		visitorSub.Next(wait).Decode(t, &got) // the visitor's own message
		visitorSub.Next(wait).Decode(t, &got)
		if got.MessageAdded.Text != "Yes, we do!" || got.MessageAdded.Direction != "OUTBOUND" || got.MessageAdded.Sender.Name != "Ann" {
			t.Fatalf("the visitor got %+v", got.MessageAdded)
		}
		visitorSub.Quiet(300 * time.Millisecond)
		// Handed over through the outbox, then READ once the visitor has seen it.
		waitStatus(t, ann, reply.SendMessage.ID, "SENT")
		visitor.MustDo(`mutation($c:ID!){ markRead(conversationId:$c){ id } }`, Vars{"c": s}, nil)
		waitStatus(t, ann, reply.SendMessage.ID, "READ")
		var readAt struct{ Node struct{ ReadAt *string } }
		ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Message { readAt } } }`, Vars{"id": reply.SendMessage.ID}, &readAt)
		if readAt.Node.ReadAt == nil {
			t.Fatal("no readAt")
		}
		// The visitor's history has no notes.
		if h := texts(t, visitor, s, 10); strings.Contains(jsonOf(h), "private") || len(h) != 2 {
			t.Fatalf("the visitor's history: %q", h)
		}
	})
}

func TestAVisitorTokenOpensOnlyItsOwnSession(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		site := createChannel(t, env, "LIVE_CHAT", "Website", ann.ID)
		vera, mine := startLiveChat(t, env, site, "Vera")
		otto, theirs := startLiveChat(t, env, site, "Otto")
		send(t, otto, theirs, "Otto's secret")
		send(t, vera, mine, "hello")
		var n struct{ Node *struct{ ID string } }
		vera.MustDo(`query($id:ID!){ node(id:$id){ id } }`, Vars{"id": theirs}, &n)
		if n.Node != nil {
			t.Fatal("a visitor reads another visitor's session")
		}
		vera.MustFail("FORBIDDEN", `mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"hi"}){ id } }`, Vars{"c": theirs})
		if r := vera.Connect().Subscribe(`subscription($c:ID!){ messageAdded(conversationId:$c){ id } }`, Vars{"c": theirs}).Next(wait); r.Code() != "FORBIDDEN" {
			t.Fatalf("messageAdded on another session: %+v", r.Errors)
		}
		for _, q := range []string{`{ me { id } }`, `{ chats { totalCount } }`, `{ sessions { totalCount } }`,
			`{ users { totalCount } }`, `{ searchMessages(query:"secret"){ totalCount } }`, `{ badges { total } }`,
			`mutation($c:ID!){ archiveConversation(id:$c){ id } }`} {
			vera.MustFail("FORBIDDEN", q, Vars{"c": mine})
		}
		// What a visitor sees of its own session leaves out the agents' side.
		var own struct {
			Node struct {
				Customer *struct{ ID string }
				Channel  struct{ Agents []struct{ ID string } }
			}
		}
		vera.MustDo(`query($id:ID!){ node(id:$id){ ... on Session { customer { id } channel { agents { id } } } } }`, Vars{"id": mine}, &own)
		if own.Node.Customer != nil || len(own.Node.Channel.Agents) != 0 {
			t.Fatalf("the visitor sees %+v", own.Node)
		}
		vera.MustFail("FORBIDDEN", `mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"x", note:true}){ id } }`, Vars{"c": mine})
	})
}

func TestStartingLiveChatsIsRateLimited(t *testing.T) {
	opts := apitest.Options{Configure: func(c *app.Config) { c.VisitorBurst = 2 }}
	apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
		site := createChannel(t, env, "LIVE_CHAT", "Website")
		q := `mutation($c:ID!){ startLiveChat(channelId:$c){ token } }`
		env.Anonymous().MustFail("NOT_FOUND", q, Vars{"c": createChannel(t, env, "SMS", "not a site")})
		env.Anonymous().MustDo(q, Vars{"c": site}, nil)
		r := env.Anonymous().MustFail("RATE_LIMITED", q, Vars{"c": site})
		if wait, _ := r.Errors[0].Extensions["retryAfter"].(float64); wait < 1 {
			t.Fatalf("retryAfter %v, want the seconds until the next try", r.Errors[0].Extensions["retryAfter"])
		}
	})
}

// One visitor sends (and uploads) at most a burst at once, then one a
// second; the agents answering, and other visitors, are not held back.
func TestAVisitorCannotFloodItsSession(t *testing.T) {
	// A minute, not a second: a slow machine must not refill the bucket
	// while the test sends the burst.
	const interval = time.Minute
	opts := apitest.Options{Configure: func(c *app.Config) { c.VisitorWriteInterval = interval }}
	apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
		if graph.VisitorWriteBurst != 20 || graph.VisitorWriteInterval != time.Second {
			t.Fatalf("README says a burst of 20, then one a second: %d, %v", graph.VisitorWriteBurst, graph.VisitorWriteInterval)
		}
		ann := env.NewUser("AGENT", "Ann")
		site := createChannel(t, env, "LIVE_CHAT", "Website", ann.ID)
		vera, mine := startLiveChat(t, env, site, "Vera")
		otto, theirs := startLiveChat(t, env, site, "Otto")
		q := `mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`
		for i := 0; i < graph.VisitorWriteBurst; i++ {
			send(t, vera, mine, fmt.Sprintf("v%d", i))
		}
		r := vera.MustFail("RATE_LIMITED", q, Vars{"c": mine, "t": "one too many"})
		if wait, _ := r.Errors[0].Extensions["retryAfter"].(float64); wait < 1 || wait > interval.Seconds() {
			t.Fatalf("retryAfter %v", r.Errors[0].Extensions["retryAfter"])
		}
		if r := vera.Upload(uploadQ, Vars{"c": mine}, apitest.BytesFile("f", "x.bin", randomBytes(100))); r.Code() != "RATE_LIMITED" {
			t.Fatalf("upload while limited: %+v", r.Errors)
		}
		for i := 0; i < 2*graph.VisitorWriteBurst; i++ {
			send(t, ann, mine, fmt.Sprintf("a%d", i))
		}
		send(t, otto, theirs, "hello")

		env.Clock.Advance(interval)
		send(t, vera, mine, "v later")
		vera.MustFail("RATE_LIMITED", q, Vars{"c": mine, "t": "and again"})

		// Nothing refused was stored.
		var fromVera []string
		for _, tx := range texts(t, ann, mine, 100) {
			if strings.HasPrefix(tx, "v") {
				fromVera = append(fromVera, tx)
			}
		}
		if len(fromVera) != graph.VisitorWriteBurst+1 || fromVera[len(fromVera)-1] != "v later" {
			t.Fatalf("the visitor's messages: %q", fromVera)
		}
	})
}

func TestSessionsCloseAfterTheChannelsInactivityPeriod(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		wa := createChannel(t, env, "WHATSAPP", "WA", ann.ID)
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		waSession, _ := customerWrites(t, env, wa, "+15550400", "wamid.1", "hi")
		smsSession, _ := customerWrites(t, env, sms, "+15550401", "SM1", "hi")
		closeNow := func() {
			if _, err := env.App.Inbox.CloseInactive(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		env.Clock.Advance(24*time.Hour - time.Minute)
		closeNow()
		if v := session(t, ann, waSession); v.Status != "OPEN" {
			t.Fatal("closed before 24 hours")
		}
		env.Clock.Advance(2 * time.Minute)
		closeNow()
		v := session(t, ann, waSession)
		if v.Status != "ARCHIVED" || v.ArchivedAt == nil || v.ArchivedBy != nil {
			t.Fatalf("after 24 hours: %+v", v)
		}
		if v := session(t, ann, smsSession); v.Status != "OPEN" {
			t.Fatal("an SMS session without an inactivity period was closed")
		}
		env.Admin.MustDo(`mutation($id:ID!){ updateChannel(id:$id, input:{autoCloseAfterHours:24}){ id } }`, Vars{"id": sms}, nil)
		closeNow()
		if v := session(t, ann, smsSession); v.Status != "ARCHIVED" {
			t.Fatal("the SMS channel's new period was not applied")
		}
	})
}

// Whatever the path — the last message, a quoted reply, the history, a
// forwarding note — a visitor never reads what is for agents only, and sees
// the agents who answer by name only.
func TestAVisitorNeverSeesAgentsOnlyMessages(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bea := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Bea")
		site := createChannel(t, env, "LIVE_CHAT", "Website", ann.ID, bea.ID)
		visitor, s := startLiveChat(t, env, site, "Vera")
		hello := send(t, visitor, s, "hello")

		type view struct {
			Node struct {
				LastMessage *struct {
					ID, Kind string
					Text     *string
					ReplyTo  *struct{ ID string }
					Sender   *struct {
						Name, Email string
						Extension   *string
					}
				}
				Assignee *struct {
					Name, Email string
					Extension   *string
				}
				Messages struct {
					Edges []struct{ Node struct{ ID, Kind string } }
				}
			}
		}
		look := func() view {
			t.Helper()
			var out view
			visitor.MustDo(`query($id:ID!){ node(id:$id){ ... on Session {
				lastMessage { id kind text replyTo { id } sender { name email extension } }
				assignee { name email extension }
				messages(last: 50) { edges { node { id kind } } } } } }`, Vars{"id": s}, &out)
			for _, e := range out.Node.Messages.Edges {
				if e.Node.Kind == "NOTE" || e.Node.Kind == "SYSTEM" {
					t.Fatalf("the visitor's history holds a %s message", e.Node.Kind)
				}
			}
			return out
		}
		lastIs := func(v view, id string) {
			t.Helper()
			if v.Node.LastMessage == nil || v.Node.LastMessage.ID != id {
				t.Fatalf("the visitor's last message is %+v, want %s", v.Node.LastMessage, id)
			}
		}

		// A note: the visitor's last message stays the one before it.
		var note struct{ SendMessage struct{ ID string } }
		ann.MustDo(sendQ, Vars{"c": s, "t": "private: refund fraud suspected", "note": true}, &note)
		lastIs(look(), hello)

		// A note with a file is still a NOTE, for agents only.
		att := uploadTo(t, ann, s, "check.txt", []byte("INTERNAL CREDIT CHECK"))
		var fileNote struct{ SendMessage struct{ Kind string } }
		ann.MustDo(`mutation($c:ID!,$a:[ID!]){ sendMessage(input:{conversationId:$c, attachmentIds:$a, note:true}){ kind } }`,
			Vars{"c": s, "a": []string{att.ID}}, &fileNote)
		if fileNote.SendMessage.Kind != "NOTE" {
			t.Fatalf("a note with a file is a %s message", fileNote.SendMessage.Kind)
		}
		lastIs(look(), hello)

		// A reply quoting the note: the reply is seen, the quote is not.
		var reply struct{ SendMessage struct{ ID string } }
		ann.MustDo(`mutation($c:ID!,$r:ID){ sendMessage(input:{conversationId:$c, text:"We will get back to you", replyToId:$r}){ id } }`,
			Vars{"c": s, "r": note.SendMessage.ID}, &reply)
		v := look()
		lastIs(v, reply.SendMessage.ID)
		if v.Node.LastMessage.ReplyTo != nil {
			t.Fatal("the visitor reads the note a reply quotes")
		}
		if snd := v.Node.LastMessage.Sender; snd == nil || snd.Name != "Ann" || snd.Email != "" || snd.Extension != nil {
			t.Fatalf("the visitor sees the agent as %+v", snd)
		}

		// A forward with a note writes a SYSTEM message for agents only.
		ann.MustDo(`mutation($s:ID!,$u:ID!){ forwardSession(input:{sessionId:$s, toUserId:$u, note:"customer is rude, careful"}){ id } }`,
			Vars{"s": s, "u": bea.ID}, nil)
		v = look()
		lastIs(v, reply.SendMessage.ID)
		if a := v.Node.Assignee; a == nil || a.Name != "Bea" || a.Email != "" || a.Extension != nil {
			t.Fatalf("the visitor sees the assignee as %+v", a)
		}
		// The agents see it all.
		var agent struct {
			Node struct{ LastMessage struct{ Kind string } }
		}
		bea.MustDo(`query($id:ID!){ node(id:$id){ ... on Session { lastMessage { kind } } } }`, Vars{"id": s}, &agent)
		if agent.Node.LastMessage.Kind != "SYSTEM" {
			t.Fatalf("the agents' last message is a %s", agent.Node.LastMessage.Kind)
		}
	})
}

// blockingAdapter holds every send until released.
type blockingAdapter struct{ release chan struct{} }

func (b blockingAdapter) Send(ctx context.Context, out channel.Outbound) (string, error) {
	select {
	case <-b.release:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return "", nil
}

// A visitor who reads a reply while it is still PENDING in the outbox has
// read it: it ends READ, not SENT.
func TestAVisitorReadsAReplyBeforeTheOutboxSendsIt(t *testing.T) {
	t.Parallel()
	for _, b := range apitest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			hold := blockingAdapter{release: make(chan struct{})}
			env := apitest.Start(t, b, apitest.Options{Configure: func(c *app.Config) {
				c.Senders = map[channel.Kind]channel.Sender{channel.LiveChat: hold}
			}})
			ann := env.NewUser("AGENT", "Ann")
			site := createChannel(t, env, "LIVE_CHAT", "Website", ann.ID)
			visitor, s := startLiveChat(t, env, site, "Vera")
			send(t, visitor, s, "hello?")
			var reply struct{ SendMessage struct{ ID, Status string } }
			ann.MustDo(sendQ, Vars{"c": s, "t": "Hi Vera"}, &reply)
			if reply.SendMessage.Status != "PENDING" {
				t.Fatalf("reply is %s", reply.SendMessage.Status)
			}
			visitor.MustDo(`mutation($c:ID!){ markRead(conversationId:$c){ id } }`, Vars{"c": s}, nil)
			waitStatus(t, ann, reply.SendMessage.ID, "READ")
			close(hold.release)
			for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
				done, err := env.App.DB.Outbox.Query().Where(outbox.StateEQ(outbox.StateDONE)).Exist(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if done {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the outbox never finished")
				}
			}
			if st := statusOf(t, ann, reply.SendMessage.ID); st.Node.Status != "READ" {
				t.Fatalf("after the outbox sent it: %s", st.Node.Status)
			}
		})
	}
}

// Several first messages racing announce the new session once.
func TestRacingFirstMessagesAnnounceTheSessionOnce(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		site := createChannel(t, env, "LIVE_CHAT", "Website", ann.ID)
		events := ann.Connect().Subscribe(`subscription { events { type conversation { id } message { id } } }`, nil)
		time.Sleep(100 * time.Millisecond)
		visitor, s := startLiveChat(t, env, site, "Vera")
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				visitor.Do(`mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
					Vars{"c": s, "t": fmt.Sprintf("hello %d", i)})
			}()
		}
		wg.Wait()
		added, messages := 0, 0
		for messages < 5 {
			var e struct {
				Events struct {
					Type         string
					Conversation *struct{ ID string }
				}
			}
			events.Next(wait).Decode(t, &e)
			switch {
			case e.Events.Type == "CONVERSATION_ADDED" && e.Events.Conversation.ID == s:
				added++
			case e.Events.Type == "MESSAGE_ADDED":
				messages++
			}
		}
		if added != 1 {
			t.Fatalf("the session was announced %d times", added)
		}
	})
}
