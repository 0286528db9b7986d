package chat_test

import (
	"strings"
	"testing"
	"time"

	"parley/server/apitest"
)

// Everything an event carries is authorised for its reader now, not when it
// happened: a reader who lost access and resumes from an older cursor sees
// the conversation's identity (to drop it) and none of what was written since.

const lostAccessEvents = `subscription($s:String){ events(since:$s){ cursor type
	conversation { id kind title unreadCount lastMessage { text attachments { url } }
		messages(last: 20) { totalCount edges { node { text attachments { url } } } }
		... on Chat { members { name } admin { name } }
		... on Session { assignee { id } customer { name } replyPolicy { canReply } contact { displayName } } }
	message { text conversation { id messages(last: 20) { edges { node { text } } } } } } }`

// cursorAfterFirstEvent opens an events stream for c, waits for the first
// event of one of the types, and returns its cursor.
func cursorAfterFirstEvent(t *testing.T, c *apitest.Client, trigger func(), types ...string) string {
	t.Helper()
	sub := c.Connect().Subscribe(eventsQuery, nil)
	time.Sleep(100 * time.Millisecond)
	trigger()
	e := nextEvent(t, sub, types...)
	sub.Stop()
	return e.Events.Cursor
}

// replayFor resumes c's events from cursor until the stream is quiet and
// returns every response's raw data, failing on any "secret" in it.
func replayFor(t *testing.T, c *apitest.Client, cursor string, removed string) {
	t.Helper()
	sub := c.Connect().Subscribe(lostAccessEvents, Vars{"s": cursor})
	sawRemoved := false
	for {
		select {
		case r, ok := <-sub.C:
			if !ok {
				t.Fatal("the stream ended")
			}
			data := string(r.Data)
			if strings.Contains(data, "secret") {
				t.Fatalf("a reader who lost access read later content: %s", data)
			}
			if strings.Contains(data, `"CONVERSATION_REMOVED"`) && strings.Contains(data, removed) {
				sawRemoved = true
			}
			continue
		case <-time.After(1500 * time.Millisecond):
		}
		break
	}
	if !sawRemoved {
		t.Fatalf("the replay did not say the conversation %s was removed", removed)
	}
}

func TestRemovedMemberReplayReadsNothingWrittenAfter(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		g := groupChat(t, ann, "Plans", bob.ID)
		cursor := cursorAfterFirstEvent(t, bob, func() { send(t, ann, g, "before the removal") }, "MESSAGE_ADDED")
		ann.MustDo(`mutation($c:ID!,$u:ID!){ removeChatMember(chatId:$c, userId:$u){ id } }`, Vars{"c": g, "u": bob.ID}, nil)
		send(t, ann, g, "secret plan after the removal")
		ann.MustDo(`mutation($c:ID!,$t:String!){ renameChat(chatId:$c, title:$t){ id } }`, Vars{"c": g, "t": "Plans 2"}, nil)
		replayFor(t, bob, cursor, g)
	})
}

func TestAgentTakenOffChannelReplayReadsNothingWrittenAfter(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		alex := env.NewUser("AGENT", "Alex")
		ch := createChannel(t, env, "LIVE_CHAT", "Site", alex.ID)
		var s string
		cursor := cursorAfterFirstEvent(t, alex, func() { s, _ = customerWrites(t, env, ch, "c1", "p1", "hello") },
			"MESSAGE_ADDED")
		env.Admin.MustDo(`mutation($c:ID!){ setChannelAgents(channelId:$c, userIds:[]){ id } }`, Vars{"c": ch}, nil)
		customerWrites(t, env, ch, "c1", "p2", "secret customer message")
		env.Admin.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"secret note", note:true}){ id } }`,
			Vars{"c": s}, nil)
		replayFor(t, alex, cursor, s)
	})
}

func TestAssigneeForwardedAwayReplayReadsNothingWrittenAfter(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		// Alex sees the session only as its assignee; forwarded on to Bea, he loses it.
		alex, bea := env.NewUser("AGENT", "Alex"), env.NewUser("AGENT", "Bea")
		ch := createChannel(t, env, "LIVE_CHAT", "Site", bea.ID)
		s, _ := customerWrites(t, env, ch, "c1", "p1", "hello")
		fwd := `mutation($s:ID!,$u:ID!){ forwardSession(input:{sessionId:$s, toUserId:$u}){ id } }`
		cursor := cursorAfterFirstEvent(t, alex, func() { env.Admin.MustDo(fwd, Vars{"s": s, "u": alex.ID}, nil) },
			"CONVERSATION_ADDED")
		alex.MustDo(fwd, Vars{"s": s, "u": bea.ID}, nil)
		customerWrites(t, env, ch, "c1", "p2", "secret customer message")
		bea.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"secret note", note:true}){ id } }`,
			Vars{"c": s}, nil)
		replayFor(t, alex, cursor, s)
	})
}
