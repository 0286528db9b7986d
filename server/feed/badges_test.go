package feed_test

import (
	"fmt"
	"testing"

	"parley/server/apitest"
	"parley/server/auth"
)

// The badges agree with each user's own lists (the counters of their chats,
// and the sessions they can see in each state), also when computed for many
// users at once in chunks, as the streams' badge batcher does.
func TestBadgesAgreeWithTheLists(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		if _, err := env.App.SeedDemo(t.Context()); err != nil {
			t.Fatal(err)
		}
		alex := env.Login("alex@demo.parley", "parley-demo")
		// A session forwarded to an agent outside its channel, and one muted chat.
		outsider := env.NewUser("AGENT", "Olga")
		var s struct {
			Sessions struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		alex.MustDo(`{ sessions(replyState: UNREAD) { edges { node { id } } } }`, nil, &s)
		alex.MustDo(`mutation($s:ID!,$u:ID!){ forwardSession(input:{sessionId:$s, toUserId:$u}){ id } }`,
			apitest.Vars{"s": s.Sessions.Edges[0].Node.ID, "u": outsider.ID}, nil)
		var chats struct {
			Chats struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		alex.MustDo(`{ chats { edges { node { id } } } }`, nil, &chats)
		alex.MustDo(`mutation($c:ID!){ setMuted(conversationId:$c, muted:true){ id } }`, apitest.Vars{"c": chats.Chats.Edges[0].Node.ID}, nil)

		users := []*apitest.Client{env.Admin, alex, outsider}
		for _, email := range []string{"admin@demo.parley", "bea@demo.parley", "mo@demo.parley", "nia@demo.parley"} {
			users = append(users, env.Login(email, "parley-demo"))
		}
		single := map[*apitest.Client]badgeSet{}
		for _, u := range users {
			var got struct {
				Badges badgeSet
				Me     struct{ Role string }
			}
			u.MustDo(`{ me { role } badges { `+badgeFields+` } }`, nil, &got)
			want := got.Badges
			want.InternalUnread, want.Mentions, want.MutedWithUnread = 0, 0, 0
			for _, archived := range []bool{false, true} {
				var out struct {
					Chats struct {
						Edges []struct {
							Node struct {
								UnreadCount, MentionCount int
								Muted                     bool
							}
						}
					}
				}
				u.MustDo(`query($a:Boolean){ chats(archived:$a, first:100){ edges { node { unreadCount mentionCount muted } } } }`,
					apitest.Vars{"a": archived}, &out)
				for _, e := range out.Chats.Edges {
					want.Mentions += e.Node.MentionCount
					switch {
					case e.Node.Muted && e.Node.UnreadCount > 0:
						want.MutedWithUnread++
					case !e.Node.Muted:
						want.InternalUnread += e.Node.UnreadCount
					}
				}
			}
			want.ExternalUnread, want.ExternalUnanswered = 0, 0
			if got.Me.Role != "MEMBER" {
				count := func(state string) int {
					var out struct{ Sessions struct{ TotalCount int } }
					u.MustDo(fmt.Sprintf(`{ sessions(replyState: %s) { totalCount } }`, state), nil, &out)
					return out.Sessions.TotalCount
				}
				want.ExternalUnread, want.ExternalUnanswered = count("UNREAD"), count("UNANSWERED")
			}
			want.Total = want.InternalUnread + want.ExternalUnread + want.ExternalUnanswered
			if got.Badges != want {
				t.Errorf("%s (%s): badges %+v, lists say %+v", u.Email, got.Me.Role, got.Badges, want)
			}
			single[u] = want
		}

		// All at once, in chunks of two users: admins, agents and members mixed.
		var viewers []*auth.Viewer
		for _, u := range users {
			v, err := env.App.Auth.Authenticate(t.Context(), u.Token)
			if err != nil {
				t.Fatal(err)
			}
			viewers = append(viewers, v)
		}
		all, err := env.App.Feed.BadgesInChunks(t.Context(), viewers, 2)
		if err != nil {
			t.Fatal(err)
		}
		for i, u := range users {
			b := all[viewers[i].UserID]
			got := badgeSet{b.InternalUnread, b.Mentions, b.MutedWithUnread, b.ExternalUnread, b.ExternalUnanswered, b.Total()}
			if got != single[u] {
				t.Errorf("%s: badges computed with others %+v, alone %+v", u.Email, got, single[u])
			}
		}
	})
}

type badgeSet struct {
	InternalUnread, Mentions, MutedWithUnread, ExternalUnread, ExternalUnanswered, Total int
}

const badgeFields = `internalUnread mentions mutedWithUnread externalUnread externalUnanswered total`
