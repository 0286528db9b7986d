package inbox

import (
	"context"
	"time"

	"parley/ent"
	"parley/server/apperr"
	"parley/server/channel"
)

// Policy says whether an agent can write to a session's customer now, and
// how: the channel kind's rules (server/channel/<kind>) applied to it.
type Policy = channel.Policy

// policy applies the channel's rules to a session at a moment.
func (s *Service) policy(ch *ent.Channel, ct *ent.Contact, conv *ent.Conversation, now time.Time) (Policy, error) {
	p, err := s.providers.For(channel.Kind(ch.Kind))
	if err != nil {
		return Policy{}, err
	}
	in := channel.Session{Connected: ch.Connected, LastInboundAt: conv.LastInboundAt}
	if ct != nil && ct.Nickname != nil {
		in.ContactNickname = *ct.Nickname
	}
	in.OptedOut = ct != nil && ct.OptedOutAt != nil
	return p.Policy(in, now), nil
}

// ReplyPolicy shows what the channel's rules allow the viewer now.
func (s *Service) ReplyPolicy(ctx context.Context, conv *ent.Conversation) (_ Policy, err error) {
	defer apperr.At("inbox.ReplyPolicy", &err)
	ch, ct, err := s.channelAndContact(ctx, conv)
	if err != nil {
		return Policy{}, err
	}
	return s.policy(ch, ct, conv, s.now())
}

// defaults is what a new channel of a kind starts with.
func (s *Service) defaults(kind string) (channel.Defaults, error) {
	p, err := s.providers.For(channel.Kind(kind))
	if err != nil {
		return channel.Defaults{}, apperr.BadInput("unknown channel kind").With("field", "kind")
	}
	return p.Defaults(), nil
}

// errSyncLost refuses to send through a channel that lost its provider.
func errSyncLost(ch *ent.Channel) error {
	return apperr.New(apperr.ChannelSyncLost, "the %s channel %q lost its connection to the provider; an admin must reconnect it", ch.Kind, ch.Name)
}

func (s *Service) channelAndContact(ctx context.Context, conv *ent.Conversation) (*ent.Channel, *ent.Contact, error) {
	if conv.ChannelID == nil || conv.ContactID == nil {
		return nil, nil, apperr.Missing("not a session")
	}
	ch, err := s.db.Channel.Get(ctx, *conv.ChannelID)
	if err != nil {
		return nil, nil, err
	}
	ct, err := s.db.Contact.Get(ctx, *conv.ContactID)
	return ch, ct, err
}
