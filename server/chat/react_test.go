package chat_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"parley/ent/channel"
	"parley/server/apitest"
)

func TestReactionsOnePerUserPerEmoji(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Team", bob.ID)
		m := send(t, bob, g, "lunch?")

		react(t, ann, m, "👍")
		got := react(t, ann, m, "👍") // again: nothing changes
		if len(got.Reactions) != 1 || got.Reactions[0].Count != 1 || !got.Reactions[0].ReactedByMe {
			t.Fatalf("after reacting twice: %+v", got.Reactions)
		}
		react(t, bob, m, "👍")
		got = react(t, bob, m, "🍕")
		if len(got.Reactions) != 2 || got.Reactions[0].Count != 2 || jsonOf(ids(got.Reactions[0].Users)) != jsonOf([]string{ann.ID, bob.ID}) {
			t.Fatalf("two users: %+v", got.Reactions)
		}
		got = unreact(t, ann, m, "👍")
		got = unreact(t, ann, m, "👍") // again: nothing changes
		if got.Reactions[0].Count != 1 || got.Reactions[0].ReactedByMe {
			t.Fatalf("after unreacting: %+v", got.Reactions)
		}
		unreact(t, ann, m, "🎉") // never there

		// Bounded: one emoji, 1 to 16 characters, no spaces or control characters.
		for _, bad := range []string{"", " ", "👍 👍", "a\nb", "\u0000", strings.Repeat("x", 17)} {
			ann.MustFail("BAD_USER_INPUT", reactQ, Vars{"id": m, "e": bad})
		}
		react(t, ann, m, strings.Repeat("x", 16))
		// Members only; a message not there is NOT_FOUND.
		cat.MustFail("NOT_FOUND", reactQ, Vars{"id": m, "e": "👍"})
		cat.MustFail("NOT_FOUND", unreactQ, Vars{"id": m, "e": "👍"})
		ann.MustFail("NOT_FOUND", reactQ, Vars{"id": "ms_nope", "e": "👍"})
	})
}

func TestAMessageTakesAtMost20Emoji(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		m := send(t, ann, c, "vote")
		for i := 0; i < 20; i++ {
			react(t, ann, m, fmt.Sprintf("e%d", i))
		}
		r := bob.MustFail("LIMIT_EXCEEDED", reactQ, Vars{"id": m, "e": "one"})
		if r.Errors[0].Extensions["max"] != float64(20) {
			t.Fatalf("extensions: %+v", r.Errors[0].Extensions)
		}
		// One already there may still be added to.
		if got := react(t, bob, m, "e7"); got.Reactions[7].Count != 2 {
			t.Fatalf("e7: %+v", got.Reactions[7])
		}
	})
}

func TestReactionsInSessionsStayWithTheAgents(t *testing.T) {
	apitest.RunWith(t, deliveringProviders(), func(t *testing.T, env *apitest.Env) {
		ann, dan := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Dan")
		wa := createChannel(t, env, string(channel.KindWHATSAPP), "WA", ann.ID, dan.ID)
		s, inbound := customerWrites(t, env, wa, "+15550800", "wamid.in", "thanks!")
		reply := send(t, ann, s, "you're welcome")
		// The customer's own reaction, as the webhook stores it.
		err := env.App.DB.Reaction.Create().SetMessageID(pulidOf(reply)).SetAuthorKey("contact:ct_someone").
			SetEmoji("❤️").Exec(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		react(t, dan, reply, "❤️")
		got := react(t, ann, inbound, "👍")
		if len(got.Reactions) != 1 || !got.Reactions[0].ReactedByMe || got.Reactions[0].ByCustomer {
			t.Fatalf("agent's reaction: %+v", got.Reactions)
		}
		v := viewOf(t, ann, reply)
		if len(v.Reactions) != 1 || v.Reactions[0].Count != 2 || !v.Reactions[0].ByCustomer ||
			jsonOf(ids(v.Reactions[0].Users)) != jsonOf([]string{dan.ID}) {
			t.Fatalf("the customer's and Dan's: %+v", v.Reactions)
		}
		// Colleagues without the session cannot see the message at all.
		member := env.NewUser("MEMBER", "Max")
		member.MustFail("NOT_FOUND", reactQ, Vars{"id": reply, "e": "👍"})
	})
}
