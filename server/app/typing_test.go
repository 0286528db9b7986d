package app_test

import (
	"testing"
	"time"

	"parley/server/apitest"
)

// typingOns are the sender_action typing_on calls posted to the account.
func typingOns(g *fakeGraph, account string) []graphCall {
	var out []graphCall
	for _, c := range g.sends("/" + account + "/messages") {
		if c.Body["sender_action"] == "typing_on" {
			out = append(out, c)
		}
	}
	return out
}

func TestAnAgentTypingShowsOnMessengerAndInstagram(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		for _, p := range []struct{ kind, account, customer, webhook, fixture string }{
			{"MESSENGER", fbPageID, fbCustomer, "/webhooks/messenger", "messenger/text.json"},
			{"INSTAGRAM", igAccountID, igCustomer, "/webhooks/instagram", "instagram/text.json"},
		} {
			metaChannel(t, env, p.kind, p.account, ann.ID)
			mustPostMeta(t, env, p.webhook, metaFixture(t, p.fixture))
			s := onlySession(t, ann, p.kind)
			ann.MustDo(`mutation($c:ID!){ typing(conversationId:$c) }`, apitest.Vars{"c": s.ID}, nil)
			deadline := time.Now().Add(10 * time.Second)
			for len(typingOns(g, p.account)) == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("%s: typing sent no typing_on", p.kind)
				}
				time.Sleep(20 * time.Millisecond)
			}
			on := typingOns(g, p.account)[0]
			if r, _ := on.Body["recipient"].(map[string]any); r["id"] != p.customer || on.Auth != "Bearer "+metaToken {
				t.Fatalf("%s: typing_on %+v", p.kind, on)
			}
			// Typing again at once is accepted and tells the provider nothing more.
			ann.MustDo(`mutation($c:ID!){ typing(conversationId:$c) }`, apitest.Vars{"c": s.ID}, nil)
			env.Clock.Advance(3 * time.Second)
			ann.MustDo(`mutation($c:ID!){ typing(conversationId:$c) }`, apitest.Vars{"c": s.ID}, nil)
			deadline = time.Now().Add(10 * time.Second)
			for len(typingOns(g, p.account)) < 2 {
				if time.Now().After(deadline) {
					t.Fatalf("%s: renewed typing sent no typing_on", p.kind)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if n := len(typingOns(g, p.account)); n != 2 {
				t.Fatalf("%s: %d typing_on, want 2 (one per accepted typing)", p.kind, n)
			}
		}
	})
}
