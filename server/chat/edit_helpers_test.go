package chat_test

import (
	"testing"
	"time"

	"parley/server/apitest"
)

// messageView is a message as the edit, delete, reaction and read tests read it.
type messageView struct {
	ID                   string
	Kind                 string
	Text                 *string
	Status               string
	ReadAt               *time.Time
	FailureReason        *string
	EditedAt, DeletedAt  *time.Time
	DeletedAfterDelivery bool
	Attachments          []struct{ ID string }
	Mentions             []struct{ ID string }
	Reactions            []reactionView
	ReadBy               []struct {
		User   struct{ ID string }
		ReadAt time.Time
	}
}

type reactionView struct {
	Emoji       string
	Count       int
	ReactedByMe bool
	ByCustomer  bool
	Users       []struct{ ID string }
}

const messageViewFields = `id kind text status readAt failureReason editedAt deletedAt deletedAfterDelivery
	attachments { id } mentions { id } reactions { emoji count reactedByMe byCustomer users { id } }
	readBy { user { id } readAt }`

// viewOf reads a message as c sees it; it fails the test if c cannot.
func viewOf(t *testing.T, c *apitest.Client, id string) messageView {
	t.Helper()
	var out struct{ Node *messageView }
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Message { `+messageViewFields+` } } }`, Vars{"id": id}, &out)
	if out.Node == nil {
		t.Fatalf("message %s is not visible", id)
	}
	return *out.Node
}

const (
	editQ     = `mutation($id:ID!,$t:String!){ editMessage(id:$id, text:$t){ ` + messageViewFields + ` } }`
	deleteQ   = `mutation($id:ID!){ deleteMessage(id:$id){ ` + messageViewFields + ` } }`
	reactQ    = `mutation($id:ID!,$e:String!){ react(messageId:$id, emoji:$e){ ` + messageViewFields + ` } }`
	unreactQ  = `mutation($id:ID!,$e:String!){ unreact(messageId:$id, emoji:$e){ ` + messageViewFields + ` } }`
	markReadQ = `mutation($c:ID!,$m:ID){ markRead(conversationId:$c, messageId:$m){ id } }`
)

func edit(t *testing.T, c *apitest.Client, id, text string) messageView {
	t.Helper()
	var out struct{ EditMessage messageView }
	c.MustDo(editQ, Vars{"id": id, "t": text}, &out)
	return out.EditMessage
}

func deleteMsg(t *testing.T, c *apitest.Client, id string) messageView {
	t.Helper()
	var out struct{ DeleteMessage messageView }
	c.MustDo(deleteQ, Vars{"id": id}, &out)
	return out.DeleteMessage
}

func react(t *testing.T, c *apitest.Client, id, emoji string) messageView {
	t.Helper()
	var out struct{ React messageView }
	c.MustDo(reactQ, Vars{"id": id, "e": emoji}, &out)
	return out.React
}

func unreact(t *testing.T, c *apitest.Client, id, emoji string) messageView {
	t.Helper()
	var out struct{ Unreact messageView }
	c.MustDo(unreactQ, Vars{"id": id, "e": emoji}, &out)
	return out.Unreact
}

// systemMessage returns the id of the newest SYSTEM message of a conversation.
func systemMessage(t *testing.T, c *apitest.Client, conv string) string {
	t.Helper()
	var out struct {
		Node struct {
			Messages struct {
				Edges []struct{ Node struct{ ID, Kind string } }
			}
		}
	}
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Conversation { messages(last:20){ edges { node { id kind } } } } } }`,
		Vars{"id": conv}, &out)
	for i := len(out.Node.Messages.Edges) - 1; i >= 0; i-- {
		if e := out.Node.Messages.Edges[i].Node; e.Kind == "SYSTEM" {
			return e.ID
		}
	}
	t.Fatalf("no system message in %s", conv)
	return ""
}

func ids(xs []struct{ ID string }) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, x.ID)
	}
	return out
}
