package feed_test

import (
	"testing"
	"time"

	"parley/server/apitest"
)

// A stream's badges follow its reader's chats from what it is delivered:
// after every kind of change they come to be what the badges query says,
// and once the stream has read them it never asks the database for them
// again: each message moves them by the counter its send moved.
func TestStreamBadgesFollowTheCountersTheSendsMoved(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		var g struct{ CreateGroupChat struct{ ID string } }
		ann.MustDo(`mutation($m:[ID!]!){ createGroupChat(input:{title:"G", memberIds:$m}){ id } }`,
			apitest.Vars{"m": []string{bob.ID, cat.ID}}, &g)
		var d struct{ CreateDirectChat struct{ ID string } }
		cat.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, apitest.Vars{"u": bob.ID}, &d)
		group, direct := g.CreateGroupChat.ID, d.CreateDirectChat.ID
		send := func(c *apitest.Client, conv, text string) string {
			var out struct{ SendMessage struct{ ID string } }
			c.MustDo(`mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
				apitest.Vars{"c": conv, "t": text}, &out)
			return out.SendMessage.ID
		}

		sub := bob.Connect().Subscribe(`subscription { badgesUpdated { `+badgeFields+` } }`, nil)
		time.Sleep(100 * time.Millisecond)
		last := badgeSet{}
		// converge reads the stream until its badges are the query's, which
		// must differ from the step before's (or an old update would do).
		converge := func(step string) {
			t.Helper()
			var q struct{ Badges badgeSet }
			bob.MustDo(`{ badges { `+badgeFields+` } }`, nil, &q)
			if q.Badges == last {
				t.Fatalf("%s: the step left the badges as they were (%+v): it proves nothing", step, last)
			}
			deadline := time.After(10 * time.Second)
			var got badgeSet
			for got != q.Badges {
				select {
				case r := <-sub.C:
					var out struct{ BadgesUpdated badgeSet }
					r.Decode(t, &out)
					got = out.BadgesUpdated
				case <-deadline:
					t.Fatalf("%s: the stream's badges are %+v, the query's %+v", step, got, q.Badges)
				}
			}
			last = got
		}

		send(ann, group, "one")
		converge("a message")
		reads := env.App.Feed.BadgeReads()
		send(ann, group, "two")
		send(ann, group, "three")
		converge("more messages from others")
		send(cat, group, "@Bob have a look")
		converge("a mention")
		send(cat, direct, "psst")
		converge("a message in a chat with nothing unread")
		bob.MustDo(`mutation($c:ID!){ setMuted(conversationId:$c, muted:true){ id } }`, apitest.Vars{"c": direct}, nil)
		converge("muting")
		send(bob, group, "my own")
		converge("the reader's own message")
		send(ann, group, "four")
		doomed := send(ann, group, "five")
		converge("others again")
		ann.MustDo(`mutation($m:ID!){ deleteMessage(id:$m){ id } }`, apitest.Vars{"m": doomed}, nil)
		converge("a deleted unread message")
		bob.MustDo(`mutation($c:ID!){ markRead(conversationId:$c){ id } }`, apitest.Vars{"c": direct}, nil)
		converge("reading")
		send(cat, direct, "again")
		converge("a message in a muted chat")
		ann.MustDo(`mutation($c:ID!,$u:ID!){ removeChatMember(chatId:$c, userId:$u){ id } }`,
			apitest.Vars{"c": group, "u": bob.ID}, nil)
		converge("leaving a chat with unread messages")
		ann.MustDo(`mutation($c:ID!,$u:[ID!]!){ addChatMembers(chatId:$c, userIds:$u){ id } }`,
			apitest.Vars{"c": group, "u": []string{bob.ID}}, nil)
		send(ann, group, "welcome back")
		converge("joining again")

		if n := env.App.Feed.BadgeReads() - reads; n != 0 {
			t.Errorf("the stream read its badges from the database %d more times after the first", n)
		}
	})
}
