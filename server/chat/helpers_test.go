package chat_test

import (
	"encoding/json"
	"testing"

	"parley/server/apitest"
	"parley/server/pubsub"
)

type Vars = apitest.Vars

func directChat(t *testing.T, a *apitest.Client, other string) string {
	t.Helper()
	var out struct{ CreateDirectChat struct{ ID string } }
	a.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, Vars{"u": other}, &out)
	return out.CreateDirectChat.ID
}

func groupChat(t *testing.T, admin *apitest.Client, title string, members ...string) string {
	t.Helper()
	if members == nil {
		members = []string{}
	}
	var out struct{ CreateGroupChat struct{ ID string } }
	admin.MustDo(`mutation($t:String!,$m:[ID!]!){ createGroupChat(input:{title:$t, memberIds:$m}){ id } }`,
		Vars{"t": title, "m": members}, &out)
	return out.CreateGroupChat.ID
}

func send(t *testing.T, c *apitest.Client, conv, text string) string {
	t.Helper()
	var out struct{ SendMessage struct{ ID string } }
	c.MustDo(`mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
		Vars{"c": conv, "t": text}, &out)
	return out.SendMessage.ID
}

type convState struct {
	ID           string
	Title        string
	UnreadCount  int
	MentionCount int
	Muted        bool
	Pinned       bool
	Archived     bool
	Badge        string
}

func state(t *testing.T, c *apitest.Client, conv string) convState {
	t.Helper()
	var out struct{ Node *convState }
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Conversation { id title unreadCount mentionCount muted pinned archived badge } } }`,
		Vars{"id": conv}, &out)
	if out.Node == nil {
		t.Fatalf("conversation %s is not visible", conv)
	}
	return *out.Node
}

type badgeSet struct {
	InternalUnread, Mentions, MutedWithUnread, ExternalUnread, ExternalUnanswered, Total int
}

const badgeFields = `internalUnread mentions mutedWithUnread externalUnread externalUnanswered total`

func badgesOf(t *testing.T, c *apitest.Client) badgeSet {
	t.Helper()
	var out struct{ Badges badgeSet }
	c.MustDo(`{ badges { `+badgeFields+` } }`, nil, &out)
	return out.Badges
}

// texts lists the texts of a conversation's last n messages, oldest first.
func texts(t *testing.T, c *apitest.Client, conv string, n int) []string {
	t.Helper()
	var out struct {
		Node struct {
			Messages struct {
				Edges []struct{ Node struct{ Text string } }
			}
		}
	}
	c.MustDo(`query($id:ID!,$n:Int){ node(id:$id){ ... on Conversation { messages(last:$n){ edges { node { text } } } } } }`,
		Vars{"id": conv, "n": n}, &out)
	var ts []string
	for _, e := range out.Node.Messages.Edges {
		ts = append(ts, e.Node.Text)
	}
	return ts
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// prunedThrough returns the stored form of the cursor a client holds, as
// the log retention records what it deleted.
func prunedThrough(t *testing.T, env *apitest.Env, cursor string) string {
	t.Helper()
	c, err := pubsub.ParseCursor(cursor)
	if err != nil {
		t.Fatal(err)
	}
	c.ID++ // everything up to and including the next entry is gone
	return pubsub.StoredCursor(c)
}
