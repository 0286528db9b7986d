package channel

import (
	"context"

	"parley/server/apperr"
)

// Policy says whether an agent can write to a session's customer now, and how.
type Policy struct {
	CanReply bool
	// Reason is the error code a plain message gets when CanReply is false,
	// and Message what that error says.
	Reason  apperr.Code
	Message string
	// AllowedTags are the message tags the channel accepts (Messenger).
	AllowedTags []string
	// DeepLink continues the conversation in the provider's own app.
	DeepLink *string
}

// Open is the policy of a session an agent may answer now.
func Open(tags ...string) Policy { return Policy{CanReply: true, AllowedTags: tags} }

// Closed is a refusal with the code and what it says.
func Closed(reason apperr.Code, message string, tags ...string) Policy {
	return Policy{Reason: reason, Message: message, AllowedTags: tags}
}

// SyncLost is the policy of every kind once the channel lost its provider:
// it sends nothing but still receives.
func SyncLost(tags ...string) Policy {
	return Closed(apperr.ChannelSyncLost, "the channel lost its connection to the provider; an admin must reconnect it", tags...)
}

// Err is the error a send refused by the policy gets (nil if it may reply).
func (p Policy) Err() error {
	if p.CanReply {
		return nil
	}
	err := apperr.New(p.Reason, "%s", p.Message)
	if p.Reason == apperr.MessageTagRequired {
		err = err.With("allowedTags", p.AllowedTags)
	}
	if p.DeepLink != nil {
		err = err.With("deepLink", *p.DeepLink)
	}
	return err
}

// Sender sends a kind's messages: a provider, or a stand-in for its API.
type Sender interface {
	Send(ctx context.Context, out Outbound) (providerMessageID string, err error)
}

// WithSender returns p sending through s instead.
func WithSender(p Provider, s Sender) Provider { return withSender{Provider: p, s: s} }

type withSender struct {
	Provider
	s Sender
}

func (w withSender) Send(ctx context.Context, out Outbound) (string, error) {
	return w.s.Send(ctx, out)
}
