package chat_test

import (
	"net/http"
	"strings"
	"testing"

	"parley/server/apitest"
)

func TestEditMessageRules(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Team", bob.ID)
		m := send(t, ann, g, "helo")

		got := edit(t, ann, m, "hello")
		if got.Text == nil || *got.Text != "hello" || got.EditedAt == nil || got.DeletedAt != nil {
			t.Fatalf("edited: %+v", got)
		}
		if v := viewOf(t, bob, m); v.Text == nil || *v.Text != "hello" || v.EditedAt == nil {
			t.Fatalf("Bob sees %+v", v)
		}
		// Someone else's message; one the caller cannot see; one that is not there.
		bob.MustFail("FORBIDDEN", editQ, Vars{"id": m, "t": "mine now"})
		cat.MustFail("NOT_FOUND", editQ, Vars{"id": m, "t": "x"})
		ann.MustFail("NOT_FOUND", editQ, Vars{"id": "ms_nope", "t": "x"})
		// The limits of sending.
		ann.MustFail("BAD_USER_INPUT", editQ, Vars{"id": m, "t": "  "})
		ann.MustFail("TEXT_TOO_LONG", editQ, Vars{"id": m, "t": strings.Repeat("é", 10_001)})
		edit(t, ann, m, strings.Repeat("é", 10_000))
		// A system message is nobody's to change.
		ann.MustDo(`mutation($c:ID!,$u:[ID!]!){ addChatMembers(chatId:$c, userIds:$u){ id } }`, Vars{"c": g, "u": []string{cat.ID}}, nil)
		sys := systemMessage(t, ann, g)
		ann.MustFail("FORBIDDEN", editQ, Vars{"id": sys, "t": "rewritten"})
		ann.MustFail("FORBIDDEN", deleteQ, Vars{"id": sys})
		// A tombstone cannot be edited (CONFLICT) nor take reactions.
		deleteMsg(t, ann, m)
		ann.MustFail("CONFLICT", editQ, Vars{"id": m, "t": "back"})
		ann.MustFail("CONFLICT", reactQ, Vars{"id": m, "e": "👍"})
	})
}

func TestEditFindsMentionsAgain(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Team", bob.ID, cat.ID)
		m := send(t, ann, g, "ask @bob")
		if s := state(t, bob, g); s.MentionCount != 1 {
			t.Fatalf("Bob before the edit: %+v", s)
		}
		got := edit(t, ann, m, "ask @cat")
		if jsonOf(ids(got.Mentions)) != jsonOf([]string{cat.ID}) {
			t.Fatalf("mentions after the edit: %v", ids(got.Mentions))
		}
		if s := state(t, bob, g); s.MentionCount != 0 || s.UnreadCount != 1 {
			t.Fatalf("Bob, no longer mentioned: %+v", s)
		}
		if s := state(t, cat, g); s.MentionCount != 1 {
			t.Fatalf("Cat, now mentioned: %+v", s)
		}
		// Deleted, it is unread and mentions nobody.
		deleteMsg(t, ann, m)
		if s := state(t, cat, g); s.MentionCount != 0 || s.UnreadCount != 0 {
			t.Fatalf("Cat after the deletion: %+v", s)
		}
	})
}

func TestDeleteMessageLeavesATombstone(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		eve, cat := env.NewUser("ADMIN", "Eve"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Team", bob.ID, eve.ID)
		data := randomBytes(500)
		up := uploadTo(t, ann, g, "notes.bin", data)
		var sent struct{ SendMessage struct{ ID string } }
		ann.MustDo(`mutation($c:ID!,$a:[ID!]){ sendMessage(input:{conversationId:$c, text:"see the file", attachmentIds:$a}){ id } }`,
			Vars{"c": g, "a": []string{up.ID}}, &sent)
		m := sent.SendMessage.ID
		react(t, bob, m, "👀")
		link := signedAs(t, bob, m)
		if resp, _ := env.FetchAnonymously(*link.URL); resp.StatusCode != http.StatusOK {
			t.Fatalf("the link before deletion: %d", resp.StatusCode)
		}
		files := len(blobs(t, env))

		bob.MustFail("FORBIDDEN", deleteQ, Vars{"id": m})
		cat.MustFail("NOT_FOUND", deleteQ, Vars{"id": m})
		got := deleteMsg(t, ann, m)
		if got.DeletedAt == nil || got.Text != nil || len(got.Attachments) != 0 || len(got.Reactions) != 0 || got.DeletedAfterDelivery {
			t.Fatalf("tombstone: %+v", got)
		}
		// Still in history, for everyone.
		if v := viewOf(t, bob, m); v.DeletedAt == nil || v.Text != nil {
			t.Fatalf("Bob sees %+v", v)
		}
		// The file is gone from storage, and its link with it.
		if n := len(blobs(t, env)); n != files-1 {
			t.Fatalf("%d files in storage, want %d", n, files-1)
		}
		if resp, body := env.FetchAnonymously(*link.URL); resp.StatusCode != http.StatusNotFound || len(body) == len(data) {
			t.Fatalf("the link after deletion: %d", resp.StatusCode)
		}
		// Deleting again changes nothing.
		if again := deleteMsg(t, ann, m); !again.DeletedAt.Equal(*got.DeletedAt) {
			t.Fatalf("deleted again: %+v", again)
		}
		// An admin may delete a colleague's message, but not edit it.
		b := send(t, bob, g, "oops")
		eve.MustFail("FORBIDDEN", editQ, Vars{"id": b, "t": "x"})
		if d := deleteMsg(t, eve, b); d.DeletedAt == nil {
			t.Fatalf("admin's deletion: %+v", d)
		}
		// Not in a chat the admin is not in.
		d := directChat(t, ann, bob.ID)
		eve.MustFail("NOT_FOUND", deleteQ, Vars{"id": send(t, ann, d, "between us")})
	})
}

func TestSearchDoesNotFindDeletedOrReplacedText(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		m := send(t, ann, c, "the zebra crossing")
		n := send(t, ann, c, "a zebra again")
		search := func(q string) int {
			var out struct{ SearchMessages struct{ TotalCount int } }
			bob.MustDo(`query($q:String!){ searchMessages(query:$q){ totalCount } }`, Vars{"q": q}, &out)
			return out.SearchMessages.TotalCount
		}
		if got := search("zebra"); got != 2 {
			t.Fatalf("before: %d found", got)
		}
		edit(t, ann, n, "a giraffe again")
		deleteMsg(t, ann, m)
		if got := search("zebra"); got != 0 {
			t.Fatalf("deleted or replaced text found: %d", got)
		}
		if got := search("giraffe"); got != 1 {
			t.Fatalf("the edited text: %d found", got)
		}
	})
}
