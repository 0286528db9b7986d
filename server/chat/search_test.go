package chat_test

import (
	"os"
	"strings"
	"testing"

	"parley/server/chat"

	"parley/server/apitest"
)

func TestSearchFindsOnlyWhatTheCallerMayRead(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, eve := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("ADMIN", "Eve")
		ab := directChat(t, ann, bob.ID)
		ae := directChat(t, ann, eve.ID)
		g := groupChat(t, ann, "Team", bob.ID)
		send(t, ann, ab, "Budget meeting moved to Thursday")
		send(t, bob, g, "The budget is approved!")
		send(t, ann, ae, "Secret budget numbers")
		send(t, ann, ab, "Café Zoë at noon")
		search := func(c *apitest.Client, q string, conv any) []string {
			t.Helper()
			var out struct {
				SearchMessages struct {
					TotalCount int
					Edges      []struct{ Node struct{ Text string } }
				}
			}
			c.MustDo(`query($q:String!,$c:ID){ searchMessages(query:$q, conversationId:$c){ totalCount edges { node { text } } } }`,
				Vars{"q": q, "c": conv}, &out)
			var ts []string
			for _, e := range out.SearchMessages.Edges {
				ts = append(ts, e.Node.Text)
			}
			if out.SearchMessages.TotalCount != len(ts) {
				t.Fatalf("totalCount %d for %d results", out.SearchMessages.TotalCount, len(ts))
			}
			return ts
		}
		// Newest first; Bob never sees Ann's chat with Eve (nor does an admin see chats they are not in).
		if got := search(bob, "budget", nil); jsonOf(got) != jsonOf([]string{"The budget is approved!", "Budget meeting moved to Thursday"}) {
			t.Fatalf("Bob's search: %q", got)
		}
		if got := search(eve, "budget", nil); jsonOf(got) != jsonOf([]string{"Secret budget numbers"}) {
			t.Fatalf("Eve's search: %q", got)
		}
		// Word prefixes, several words, case and accents.
		if got := search(ann, "meet thurs", nil); len(got) != 1 {
			t.Fatalf("prefix search: %q", got)
		}
		if got := search(ann, "cafe zoe", nil); len(got) != 1 {
			t.Fatalf("accents: %q", got)
		}
		// In one conversation only; a conversation one cannot read is refused.
		if got := search(ann, "budget", g); len(got) != 1 {
			t.Fatalf("in the group: %q", got)
		}
		bob.MustFail("FORBIDDEN", `query($c:ID){ searchMessages(query:"budget", conversationId:$c){ totalCount } }`, Vars{"c": ae})
		// Query syntax is not passed through.
		if got := search(ann, `budget" OR "x`, nil); len(got) != 0 && got[0] == "" {
			t.Fatalf("syntax: %q", got)
		}
		ann.MustFail("BAD_USER_INPUT", `{ searchMessages(query:"*:\" & | ! (") { totalCount } }`, nil)
		ann.MustFail("BAD_USER_INPUT", `{ searchMessages(query:"  ") { totalCount } }`, nil)
	})
}

func TestSearchPages(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		for i := 0; i < 7; i++ {
			send(t, ann, c, "report number "+string(rune('a'+i)))
		}
		var seen []string
		var after any
		for {
			var out struct {
				SearchMessages struct {
					TotalCount int
					PageInfo   struct {
						HasNextPage bool
						EndCursor   string
					}
					Edges []struct{ Node struct{ Text string } }
				}
			}
			bob.MustDo(`query($a:Cursor){ searchMessages(query:"report", first:3, after:$a){ totalCount pageInfo { hasNextPage endCursor } edges { node { text } } } }`,
				Vars{"a": after}, &out)
			if out.SearchMessages.TotalCount != 7 {
				t.Fatalf("totalCount = %d", out.SearchMessages.TotalCount)
			}
			for _, e := range out.SearchMessages.Edges {
				seen = append(seen, e.Node.Text)
			}
			if !out.SearchMessages.PageInfo.HasNextPage {
				break
			}
			after = out.SearchMessages.PageInfo.EndCursor
		}
		if len(seen) != 7 || seen[0] != "report number g" || seen[6] != "report number a" {
			t.Fatalf("pages: %q", seen)
		}
	})
}

func TestSearchIndexFoldsAccentsLikeTheQuery(t *testing.T) {
	mig, err := os.ReadFile("../db/migrations/postgres/20261121100000_search.sql")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mig), "'"+chat.AccentFrom+"', '"+chat.AccentTo+"'") {
		t.Fatal("the PostgreSQL search index and server/chat/fold.go fold accents differently")
	}
}
