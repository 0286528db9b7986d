package access_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"parley/ent/schema/pulid"
	"parley/server/apitest"
	"parley/server/inbox"
)

// The visibility rule is written in several languages (visibility.go); a
// reader must find the same conversations through each. For every reader
// and conversation of a small world: node(id:) shows it exactly when a new
// message there is delivered live on `events`, and exactly when it is
// replayed by `events(since:)` from a cursor taken before.

type Vars = apitest.Vars

const wait = 5 * time.Second

const eventsQuery = `subscription($s:String){ events(since:$s){ cursor type message { id } conversation { id } } }`

func TestVisibilityAgreesEverywhere(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		admin := env.Admin
		alex, bea := env.NewUser("AGENT", "Alex"), env.NewUser("AGENT", "Bea")
		mia := env.NewUser("MEMBER", "Mia")
		site := createChannel(t, env, "LIVE_CHAT", "Site", alex.ID)
		sms := createChannel(t, env, "SMS", "Phone", bea.ID)
		// A session of Bea's channel, forwarded to Alex, who lacks it.
		forwarded := receive(t, env, sms, "c1", "p1", "hello")
		bea.MustDo(`mutation($s:ID!,$u:ID!){ forwardSession(input:{sessionId:$s, toUserId:$u}){ id } }`,
			Vars{"s": forwarded, "u": alex.ID}, nil)
		// A session of Bea's channel that stays hers.
		own := receive(t, env, sms, "c2", "p2", "hi")
		// A Live Chat visitor's session on Alex's channel.
		visitor, live := startLiveChat(t, env, site)
		send(t, visitor, live, "anyone there?")
		group := groupChat(t, admin, "Team", alex.ID, mia.ID)
		direct := directChat(t, bea, mia.ID)
		everyone := groupChat(t, admin, "Everyone", alex.ID, bea.ID, mia.ID)

		readers := map[string]*apitest.Client{"admin": admin, "alex": alex, "bea": bea, "mia": mia}
		convs := map[string]string{"forwarded": forwarded, "own": own, "live": live, "group": group, "direct": direct}
		// What the rule says, so the world is the one meant.
		want := map[string][]string{
			"admin": {"forwarded", "group", "live", "own"},
			"alex":  {"forwarded", "group", "live"},
			"bea":   {"direct", "forwarded", "own"},
			"mia":   {"direct", "group"},
		}

		// Each reader listens live, and takes a cursor from a message all hear.
		subs := map[string]*apitest.Subscription{}
		for name, c := range readers {
			subs[name] = c.Connect().Subscribe(eventsQuery, nil)
		}
		time.Sleep(150 * time.Millisecond)
		marker := send(t, admin, everyone, "marker")
		cursors := map[string]string{}
		for name, sub := range subs {
			cursors[name] = cursorOf(t, sub, marker)
		}

		// One new message in every conversation.
		byMessage := map[string]string{}
		byMessage[receive2(t, env, sms, "c1", "p3", "again")] = "forwarded"
		byMessage[receive2(t, env, sms, "c2", "p4", "again")] = "own"
		byMessage[send(t, visitor, live, "still there?")] = "live"
		byMessage[send(t, alex, group, "news")] = "group"
		byMessage[send(t, mia, direct, "psst")] = "direct"

		for name, c := range readers {
			var visible []string
			for label, id := range convs {
				if nodeVisible(t, c, id) {
					visible = append(visible, label)
				}
			}
			sort.Strings(visible)
			if fmt.Sprint(visible) != fmt.Sprint(want[name]) {
				t.Errorf("%s: node(id:) shows %v; the rule says %v", name, visible, want[name])
			}
			livePart := heard(t, subs[name], byMessage)
			if fmt.Sprint(livePart) != fmt.Sprint(visible) {
				t.Errorf("%s: node(id:) shows %v but events delivers live %v", name, visible, livePart)
			}
			replay := c.Connect().Subscribe(eventsQuery, Vars{"s": cursors[name]})
			replayed := heard(t, replay, byMessage)
			if fmt.Sprint(replayed) != fmt.Sprint(visible) {
				t.Errorf("%s: node(id:) shows %v but events(since:) replays %v", name, visible, replayed)
			}
		}

		// The visitor: only their own session, and in it no note for agents.
		for label, id := range convs {
			if got := nodeVisible(t, visitor, id); got != (label == "live") {
				t.Errorf("visitor: node(%s) visible = %v", label, got)
			}
		}
		visitorSub := visitor.Connect().Subscribe(`subscription($c:ID!){ messageAdded(conversationId:$c){ id } }`, Vars{"c": live})
		time.Sleep(150 * time.Millisecond)
		var note struct{ SendMessage struct{ ID string } }
		alex.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"between us", note:true}){ id } }`,
			Vars{"c": live}, &note)
		reply := send(t, alex, live, "yes, here")
		var got struct{ MessageAdded struct{ ID string } }
		visitorSub.Next(wait).Decode(t, &got)
		if got.MessageAdded.ID != reply {
			t.Errorf("the visitor received %s live, not the reply %s (the note is %s)", got.MessageAdded.ID, reply, note.SendMessage.ID)
		}
		if nodeVisible(t, visitor, note.SendMessage.ID) || !nodeVisible(t, visitor, reply) {
			t.Error("the visitor's node(id:) disagrees with what they receive live")
		}
		if nodeVisible(t, bea, note.SendMessage.ID) || !nodeVisible(t, alex, note.SendMessage.ID) {
			t.Error("agents without the session read its note, or agents with it do not")
		}
	})
}

// heard reads a stream until it is quiet and returns the labels of the
// conversations whose new message (one of byMessage) it delivered.
func heard(t *testing.T, sub *apitest.Subscription, byMessage map[string]string) []string {
	t.Helper()
	seen := map[string]bool{}
	for {
		select {
		case r, ok := <-sub.C:
			if !ok {
				t.Fatal("the stream ended")
			}
			if len(r.Errors) > 0 {
				t.Fatalf("events: %+v", r.Errors)
			}
			var e struct {
				Events struct {
					Type    string
					Message *struct{ ID string }
				}
			}
			r.Decode(t, &e)
			if e.Events.Type == "MESSAGE_ADDED" && e.Events.Message != nil {
				if label, ok := byMessage[e.Events.Message.ID]; ok {
					seen[label] = true
				}
			}
			continue
		case <-time.After(time.Second):
		}
		sub.Stop()
		out := []string{}
		for l := range seen {
			out = append(out, l)
		}
		sort.Strings(out)
		return out
	}
}

// cursorOf waits for the MESSAGE_ADDED of message id and returns its cursor.
func cursorOf(t *testing.T, sub *apitest.Subscription, id string) string {
	t.Helper()
	for {
		var e struct {
			Events struct {
				Cursor, Type string
				Message      *struct{ ID string }
			}
		}
		sub.Next(wait).Decode(t, &e)
		if e.Events.Type == "MESSAGE_ADDED" && e.Events.Message != nil && e.Events.Message.ID == id {
			return e.Events.Cursor
		}
	}
}

func nodeVisible(t *testing.T, c *apitest.Client, id string) bool {
	t.Helper()
	var out struct{ Node *struct{ ID string } }
	c.MustDo(`query($id:ID!){ node(id:$id){ id } }`, Vars{"id": id}, &out)
	return out.Node != nil
}

func createChannel(t *testing.T, env *apitest.Env, kind, name string, agents ...string) string {
	t.Helper()
	var out struct{ CreateChannel struct{ ID string } }
	env.Admin.MustDo(`mutation($k:ChannelKind!,$n:String!,$a:[ID!]){ createChannel(input:{kind:$k, name:$n, agentIds:$a}){ id } }`,
		Vars{"k": kind, "n": name, "a": agents}, &out)
	return out.CreateChannel.ID
}

// receive delivers a customer's message as a provider webhook does and
// returns its session.
func receive(t *testing.T, env *apitest.Env, channelID, who, providerID, text string) string {
	t.Helper()
	return string(inbound(t, env, channelID, who, providerID, text).ConversationID)
}

// receive2 is receive returning the message.
func receive2(t *testing.T, env *apitest.Env, channelID, who, providerID, text string) string {
	t.Helper()
	return string(inbound(t, env, channelID, who, providerID, text).ID)
}

type messageRef struct{ ID, ConversationID pulid.ID }

func inbound(t *testing.T, env *apitest.Env, channelID, who, providerID, text string) messageRef {
	t.Helper()
	m, err := env.App.Inbox.Receive(context.Background(), inbox.Inbound{
		ChannelID: pulid.ID(channelID), ProviderMessageID: providerID, Text: &text,
		Contact: inbox.ContactInfo{ExternalID: who, Phone: &who},
	})
	if err != nil {
		t.Fatalf("inbound: %v", err)
	}
	return messageRef{ID: m.ID, ConversationID: m.ConversationID}
}

func startLiveChat(t *testing.T, env *apitest.Env, channelID string) (*apitest.Client, string) {
	t.Helper()
	var out struct {
		StartLiveChat struct {
			Token   string
			Session struct{ ID string }
		}
	}
	env.Anonymous().MustDo(`mutation($c:ID!){ startLiveChat(channelId:$c, name:"Vera"){ token session { id } } }`,
		Vars{"c": channelID}, &out)
	return env.WithToken(out.StartLiveChat.Token), out.StartLiveChat.Session.ID
}

func send(t *testing.T, c *apitest.Client, conv, text string) string {
	t.Helper()
	var out struct{ SendMessage struct{ ID string } }
	c.MustDo(`mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
		Vars{"c": conv, "t": text}, &out)
	return out.SendMessage.ID
}

func groupChat(t *testing.T, admin *apitest.Client, title string, members ...string) string {
	t.Helper()
	var out struct{ CreateGroupChat struct{ ID string } }
	admin.MustDo(`mutation($t:String!,$m:[ID!]!){ createGroupChat(input:{title:$t, memberIds:$m}){ id } }`,
		Vars{"t": title, "m": members}, &out)
	return out.CreateGroupChat.ID
}

func directChat(t *testing.T, a *apitest.Client, other string) string {
	t.Helper()
	var out struct{ CreateDirectChat struct{ ID string } }
	a.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, Vars{"u": other}, &out)
	return out.CreateDirectChat.ID
}
