package chat

import (
	"context"
	"time"

	"parley/ent"
	entchannel "parley/ent/channel"
	"parley/ent/message"
	"parley/server/apperr"
	"parley/server/channel"
)

// Policy says whether an agent can write to a session's customer now, and how.
type Policy struct {
	CanReply bool
	// Reason is the error code a plain message would get when CanReply is false.
	Reason apperr.Code
	// AllowedTags are the message tags the channel accepts (Messenger).
	AllowedTags []message.MessageTag
	// DeepLink continues the conversation in the provider's own app.
	DeepLink *string
}

// policy applies the channel's rules to a session at a moment. It is the
// one place the rules live: ReplyPolicy shows them, sends obey them.
func policy(ch *ent.Channel, ct *ent.Contact, conv *ent.Conversation, now time.Time) Policy {
	p := Policy{CanReply: true}
	if ch.Kind == entchannel.KindMESSENGER {
		p.AllowedTags = channel.MessengerTags
	}
	if !ch.Connected {
		return Policy{Reason: apperr.ChannelSyncLost, AllowedTags: p.AllowedTags}
	}
	since := time.Duration(-1) // no customer message yet
	if conv.LastInboundAt != nil {
		since = now.Sub(*conv.LastInboundAt)
	}
	switch ch.Kind {
	case entchannel.KindWHATSAPP:
		switch {
		case since < 0:
			p.CanReply, p.Reason = false, apperr.CannotInitiate
		case since >= channel.WhatsAppWindow:
			p.CanReply, p.Reason = false, apperr.ReplyWindowClosed
		}
	case entchannel.KindMESSENGER:
		if since < 0 || since >= channel.MessengerWindow {
			p.CanReply, p.Reason = false, apperr.MessageTagRequired
		}
	case entchannel.KindINSTAGRAM:
		if since < 0 || since >= channel.InstagramWindow {
			p.CanReply, p.Reason = false, apperr.ReplyWindowClosed
			p.DeepLink = instagramLink(ct)
		}
	}
	return p
}

// instagramLink opens the conversation in Instagram.
func instagramLink(ct *ent.Contact) *string {
	if ct != nil && ct.Nickname != nil && *ct.Nickname != "" {
		return ptr("https://ig.me/m/" + *ct.Nickname)
	}
	return ptr("https://www.instagram.com/direct/inbox/")
}

// ruleError is the error for a send the policy refuses.
func ruleError(p Policy, ch *ent.Channel) error {
	switch p.Reason {
	case apperr.ChannelSyncLost:
		return apperr.New(apperr.ChannelSyncLost, "the %s channel %q lost its connection to the provider; an admin must reconnect it", ch.Kind, ch.Name)
	case apperr.CannotInitiate:
		return apperr.New(apperr.CannotInitiate, "WhatsApp does not allow starting a conversation with free text: send a template")
	case apperr.MessageTagRequired:
		tags := make([]string, len(p.AllowedTags))
		for i, t := range p.AllowedTags {
			tags[i] = string(t)
		}
		return apperr.New(apperr.MessageTagRequired, "the customer last wrote more than 7 days ago: Messenger needs a message tag").
			With("allowedTags", tags)
	case apperr.ReplyWindowClosed:
		if ch.Kind == entchannel.KindINSTAGRAM {
			return apperr.New(apperr.ReplyWindowClosed, "the customer last wrote more than 7 days ago: continue in Instagram").
				With("deepLink", *p.DeepLink)
		}
		return apperr.New(apperr.ReplyWindowClosed, "the customer last wrote more than 24 hours ago: WhatsApp only takes a template now")
	}
	return nil
}

// ReplyPolicy shows what the channel's rules allow the viewer now.
func (s *Service) ReplyPolicy(ctx context.Context, conv *ent.Conversation) (Policy, error) {
	ch, ct, err := s.channelAndContact(ctx, conv)
	if err != nil {
		return Policy{}, err
	}
	return policy(ch, ct, conv, s.now()), nil
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
