package presence

import (
	"context"
	"time"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/channel"
	"parley/server/history/events"
	"parley/server/pubsub"
	"parley/server/ratelimit"
)

// Typing's pace (README "Typing indicators"): one signal per person and
// conversation every TypingEvery, each shown for TypingFor; calls between
// are accepted and say nothing, and more than typingBurst calls faster
// than one per typingFloor are RATE_LIMITED.
const (
	TypingEvery = 2 * time.Second
	TypingFor   = 6 * time.Second
	typingBurst = 10
	typingFloor = 500 * time.Millisecond
)

// providerTimeout bounds telling a provider an agent is typing.
const providerTimeout = 10 * time.Second

type typingLimits struct {
	said, calls *ratelimit.Limiter
}

func newTypingLimits(now func() time.Time) typingLimits {
	return typingLimits{said: ratelimit.New(1, TypingEvery).SetClock(now),
		calls: ratelimit.New(typingBurst, typingFloor).SetClock(now)}
}

// Typing says the viewer is typing in the conversation to the others who
// see it (TYPING), and, for an agent in a session whose provider shows it,
// to the customer. It stores nothing.
func (s *Service) Typing(ctx context.Context, v *auth.Viewer, convID pulid.ID) (err error) {
	defer apperr.At("presence.Typing", &err)
	conv, err := s.access.Conversation(ctx, v, convID)
	if err != nil {
		return err
	}
	key := v.AuthorKey() + "|" + string(conv.ID)
	if !s.typing.calls.Allow(key) {
		wait := s.typing.calls.RetryAfter(key)
		return apperr.New(apperr.RateLimited, "typing is said too often; try again in %d seconds", wait).With("retryAfter", wait)
	}
	if !s.typing.said.Allow(key) {
		return nil // said a moment ago: still showing
	}
	sig := pubsub.Signal{Type: events.Typing, ConversationID: conv.ID, UserID: v.UserID,
		ExpiresAt: s.now().Add(TypingFor)}
	if conv.ChannelID != nil {
		sig.ChannelID = *conv.ChannelID
	}
	if v.IsVisitor() {
		sig.UserID, sig.ContactID = "", v.VisitorContactID
	}
	s.relay.Say(ctx, sig)
	if !v.IsVisitor() && conv.Kind == conversation.KindEXTERNAL {
		s.tellProvider(conv)
	}
	return nil
}

// tellProvider shows the customer, in the background, that an agent is
// typing, where the session's provider can (channel.Typer). A courtesy: a
// refusal is logged, never retried.
func (s *Service) tellProvider(conv *ent.Conversation) {
	if conv.ChannelID == nil || conv.ContactID == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), providerTimeout)
		defer cancel()
		ch, err := s.db.Channel.Get(ctx, *conv.ChannelID)
		if err != nil || !ch.Connected {
			return
		}
		t := s.Typers[channel.Kind(ch.Kind)]
		if t == nil {
			return
		}
		ct, err := s.db.Contact.Get(ctx, *conv.ContactID)
		if err != nil {
			return
		}
		seam := channel.Channel{ID: string(ch.ID), Kind: channel.Kind(ch.Kind), Name: ch.Name, Credentials: ch.Credentials}
		if ch.ExternalID != nil {
			seam.ExternalID = *ch.ExternalID
		}
		var phone string
		if ct.Phone != nil {
			phone = *ct.Phone
		}
		if err := t.Typing(ctx, seam, channel.Contact{ExternalID: ct.ExternalID, Phone: phone}); err != nil {
			s.log.Info("the provider was not told an agent is typing", "session", conv.ID, "err", err)
		}
	}()
}
