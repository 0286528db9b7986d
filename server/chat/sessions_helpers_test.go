package chat_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"parley/ent/schema/pulid"
	"parley/server/apitest"
	"parley/server/app"
	"parley/server/channel"
	"parley/server/inbox"
)

func createChannel(t *testing.T, env *apitest.Env, kind, name string, agents ...string) string {
	t.Helper()
	if agents == nil {
		agents = []string{}
	}
	var out struct{ CreateChannel struct{ ID string } }
	env.Admin.MustDo(`mutation($k:ChannelKind!,$n:String!,$a:[ID!]){ createChannel(input:{kind:$k, name:$n, agentIds:$a}){ id } }`,
		Vars{"k": kind, "n": name, "a": agents}, &out)
	return out.CreateChannel.ID
}

// customerWrites delivers a customer's message the way a provider webhook
// does, through the core's one inbound path. It returns the session and message.
func customerWrites(t *testing.T, env *apitest.Env, channelID, who, providerID, text string) (string, string) {
	t.Helper()
	m, err := receive(env, channelID, who, providerID, text)
	if err != nil {
		t.Fatalf("inbound: %v", err)
	}
	return string(m.ConversationID), string(m.ID)
}

func receive(env *apitest.Env, channelID, who, providerID, text string) (*messageRef, error) {
	name := "Customer " + who
	m, err := env.App.Inbox.Receive(context.Background(), inbox.Inbound{
		ChannelID: pulid.ID(channelID), ProviderMessageID: providerID, Text: &text,
		Contact: inbox.ContactInfo{ExternalID: who, DisplayName: &name, Phone: &who, Nickname: &who},
	})
	if err != nil {
		return nil, err
	}
	return &messageRef{ID: m.ID, ConversationID: m.ConversationID}, nil
}

type messageRef struct{ ID, ConversationID pulid.ID }

type sessionView struct {
	ID            string
	Status        string
	ReplyState    string
	UnreadCount   int
	Archived      bool
	ArchivedAt    *string
	ArchivedBy    *struct{ ID string }
	Assignee      *struct{ ID string }
	LastInboundAt *string
	ReplyPolicy   struct {
		CanReply    bool
		Reason      *string
		AllowedTags []string
		DeepLink    *string
	}
	Customer *struct{ ID, Name string }
}

const sessionFields = `id status replyState unreadCount archived archivedAt archivedBy { id } assignee { id } lastInboundAt
	replyPolicy { canReply reason allowedTags deepLink } customer { id name }`

// session reads a session as the client sees it; nil if it cannot.
func session(t *testing.T, c *apitest.Client, id string) *sessionView {
	t.Helper()
	var out struct{ Node *sessionView }
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Session { `+sessionFields+` } } }`, Vars{"id": id}, &out)
	return out.Node
}

// recorder stands in for a provider behind the adapter seam: it records what
// it is handed and answers as told.
type recorder struct {
	mu      sync.Mutex
	sent    []string // message ids, in the order handed over
	replyTo []string // the provider ids they answer, in the same order
	fails   func(attempt int) error
}

func (r *recorder) Send(_ context.Context, out channel.Outbound) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, out.MessageID)
	r.replyTo = append(r.replyTo, out.ReplyToProviderID)
	if r.fails != nil {
		if err := r.fails(len(r.sent)); err != nil {
			return "", err
		}
	}
	return "provider-" + out.MessageID, nil
}

func (r *recorder) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...)
}

var errProviderDown = errors.New("provider answered 503")

func pulidOf(s string) pulid.ID { return pulid.ID(s) }

// deliveringProviders hands every provider's replies to a recorder that
// takes them: for tests of the channels' rules, where the reply's own
// delivery (tested against each provider's wire in server/app) is beside
// the point and a channel without credentials would lose its sync.
func deliveringProviders() apitest.Options {
	rec := &recorder{}
	return apitest.Options{Configure: func(c *app.Config) {
		c.Senders = map[channel.Kind]channel.Sender{channel.SMS: rec, channel.WhatsApp: rec, channel.Messenger: rec, channel.Instagram: rec}
	}}
}
