package inbox

import (
	"context"
	"errors"
	"time"

	"parley/ent"
	entchannel "parley/ent/channel"
	"parley/ent/contact"
	"parley/ent/message"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/history"
	"parley/server/history/events"
)

// Webhooks is how a provider's webhook finds its channel.
func (s *Service) Webhooks() channel.ChannelLookup { return lookup{s} }

type lookup struct{ s *Service }

func (l lookup) ByID(ctx context.Context, id string) (channel.Channel, error) {
	ch, err := l.s.db.Channel.Get(ctx, pulid.ID(id))
	return seamChannel(ch, err)
}

func (l lookup) ByExternalID(ctx context.Context, kind channel.Kind, externalID string) (channel.Channel, error) {
	if externalID == "" {
		return channel.Channel{}, channel.ErrUnknownChannel
	}
	ch, err := l.s.db.Channel.Query().
		Where(entchannel.KindEQ(entchannel.Kind(kind)), entchannel.ExternalID(externalID)).
		Order(ent.Asc(entchannel.FieldID)).First(ctx)
	return seamChannel(ch, err)
}

func (l lookup) OfKind(ctx context.Context, kind channel.Kind) ([]channel.Channel, error) {
	chs, err := l.s.db.Channel.Query().Where(entchannel.KindEQ(entchannel.Kind(kind))).
		Order(ent.Asc(entchannel.FieldID)).Limit(1000).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]channel.Channel, len(chs))
	for i, ch := range chs {
		out[i], _ = seamChannel(ch, nil)
	}
	return out, nil
}

func seamChannel(ch *ent.Channel, err error) (channel.Channel, error) {
	if ent.IsNotFound(err) {
		return channel.Channel{}, channel.ErrUnknownChannel
	}
	if err != nil {
		return channel.Channel{}, err
	}
	return channel.Channel{ID: string(ch.ID), Kind: channel.Kind(ch.Kind), Name: ch.Name,
		ExternalID: deref(ch.ExternalID), Credentials: ch.Credentials}, nil
}

// StatusWait bounds how long a receipt waits for its message's provider
// id: a callback can overtake the send's own answer, whose id the outbox
// stores a moment later.
var StatusWait = 5 * time.Second

// ErrStatusEarly is a receipt for a message not (yet) known by its
// provider id: the provider should deliver it again.
var ErrStatusEarly = errors.New("no message has this provider id yet")

// StoreWebhook stores what a webhook carried: each message through
// Receive (its files fetched afterwards, in the background), each receipt
// moving its message's status forward.
func (s *Service) StoreWebhook(ctx context.Context, b channel.Batch) (err error) {
	defer apperr.At("inbox.StoreWebhook", &err)
	id := pulid.ID(b.Channel.ID)
	for _, m := range b.Messages {
		in := Inbound{ChannelID: id, ProviderMessageID: m.ProviderID,
			Contact: ContactInfo{ExternalID: m.Contact.ExternalID, Phone: nonEmpty(m.Contact.Phone), DisplayName: nonEmpty(m.Contact.Name)}}
		in.Text = nonEmpty(m.Text)
		msg, created, err := s.receive(ctx, in)
		if err != nil {
			return err
		}
		if created {
			if err := s.setConsent(ctx, id, m.Contact.ExternalID, m.Consent); err != nil {
				return err
			}
			s.fetchMedia(b.Channel, msg, m.Media)
		}
	}
	for _, st := range b.Statuses {
		if err := s.applyStatus(ctx, id, st); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) applyStatus(ctx context.Context, channelID pulid.ID, st channel.StatusUpdate) error {
	m, err := s.sentByProviderID(ctx, channelID, st.ProviderMessageID)
	if err != nil {
		return err
	}
	return s.history.Write(ctx, func(tx *history.Tx) error {
		conv, err := tx.Conversation.Get(ctx, m.ConversationID)
		if err != nil {
			return err
		}
		if st.OptedOut && conv.ContactID != nil {
			if err := tx.Contact.UpdateOneID(*conv.ContactID).SetOptedOutAt(s.now()).Exec(ctx); err != nil {
				return err
			}
			tx.Emit(history.ConversationEvent(events.ConversationUpdated, conv)) // its replyPolicy changed
		}
		_, err = tx.Advance(ctx, conv, m.ID, message.Status(st.Status), st.Reason)
		return err
	})
}

// setConsent records what a customer's message said of being written to:
// an opt-out closes the session's replyPolicy until an opt-in.
func (s *Service) setConsent(ctx context.Context, channelID pulid.ID, externalID string, c channel.Consent) error {
	if c == channel.ConsentUnchanged {
		return nil
	}
	return s.history.Write(ctx, func(tx *history.Tx) error {
		u := tx.Contact.Update().Where(contact.ChannelID(channelID), contact.ExternalID(externalID))
		if c == channel.OptOut {
			u.SetOptedOutAt(s.now())
		} else {
			u.ClearOptedOutAt()
		}
		return u.Exec(ctx)
	})
}

// sentByProviderID finds an outbound message by its provider id, waiting
// up to StatusWait for the outbox to store it.
func (s *Service) sentByProviderID(ctx context.Context, channelID pulid.ID, id string) (*ent.Message, error) {
	deadline := time.Now().Add(StatusWait)
	for {
		m, err := s.db.Message.Query().Where(message.ChannelID(channelID), message.ProviderMessageID(id),
			message.DirectionEQ(message.DirectionOUTBOUND)).First(ctx)
		if !ent.IsNotFound(err) {
			return m, err
		}
		if time.Now().After(deadline) {
			return nil, ErrStatusEarly
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
