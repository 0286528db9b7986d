package inbox

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"parley/ent"
	entchannel "parley/ent/channel"
	"parley/ent/contact"
	"parley/ent/message"
	entoutbox "parley/ent/outbox"
	"parley/ent/predicate"
	"parley/ent/reaction"
	"parley/ent/schema"
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
// Receive (its files fetched afterwards, in the background), each reaction,
// edit or removal on the message it names, each receipt moving its
// messages' status forward. Everything in it is idempotent, so a provider
// may deliver it again.
func (s *Service) StoreWebhook(ctx context.Context, b channel.Batch) (err error) {
	defer apperr.At("inbox.StoreWebhook", &err)
	ch, err := s.db.Channel.Get(ctx, pulid.ID(b.Channel.ID))
	if ent.IsNotFound(err) {
		return channel.ErrUnknownChannel
	}
	if err != nil {
		return err
	}
	for _, m := range b.Messages {
		switch {
		case m.Kind == channel.KindComment && !ch.ReceiveComments:
			// The channel does not take comments into the inbox.
		case m.Reaction != nil:
			err = s.storeReaction(ctx, ch, m)
		case m.Change != channel.ChangeNew:
			err = s.changeInbound(ctx, b.Channel, ch, m)
		default:
			err = s.storeInbound(ctx, b.Channel, ch, m)
		}
		if err != nil {
			return err
		}
	}
	for _, st := range b.Statuses {
		if err := s.applyStatus(ctx, ch.ID, st); err != nil {
			return err
		}
	}
	return nil
}

// storeInbound stores one new message of a webhook.
func (s *Service) storeInbound(ctx context.Context, seam channel.Channel, ch *ent.Channel, m channel.InboundMessage) error {
	if m.Echo {
		if known, err := s.ownEcho(ctx, ch.ID, m.ProviderID); known || err != nil {
			return err
		}
	}
	c := m.Contact
	in := Inbound{ChannelID: ch.ID, ProviderMessageID: m.ProviderID, Text: nonEmpty(m.Text), Kind: inboundKind(m),
		ProviderKind: nonEmpty(m.ProviderKind), Echo: m.Echo,
		Contact: ContactInfo{ExternalID: c.ExternalID, Phone: nonEmpty(c.Phone), DisplayName: nonEmpty(c.Name),
			Nickname: nonEmpty(c.Nickname), AvatarURL: nonEmpty(c.AvatarURL), PrivacyRestricted: c.PrivacyRestricted}}
	if p := m.Post; p != nil && p.ID != "" {
		in.Post = &schema.Post{ID: p.ID, URL: nonEmpty(p.URL), Text: nonEmpty(p.Text)}
	}
	if m.ReplyToProviderID != "" {
		r, err := s.byProviderID(ctx, ch.ID, m.ReplyToProviderID)
		if err != nil {
			return err
		}
		if r != nil {
			in.ReplyToID = &r.ID
		}
	}
	msg, created, err := s.receive(ctx, in)
	if err != nil || !created {
		return err
	}
	if err := s.setConsent(ctx, ch.ID, c.ExternalID, m.Consent); err != nil {
		return err
	}
	s.fetchMedia(seam, msg, m.Media)
	if !m.Echo {
		s.fetchProfile(seam, c.ExternalID)
	}
	return nil
}

// inboundKind is the kind a new message is stored as: what the provider
// said, else what its first file is, else TEXT.
func inboundKind(m channel.InboundMessage) message.Kind {
	switch {
	case m.Kind != "":
		return message.Kind(m.Kind)
	case len(m.Media) > 0 && m.Media[0].ContentType != "":
		return history.KindOf(m.Media[0].ContentType)
	case len(m.Media) > 0:
		return message.KindFILE
	}
	return message.KindTEXT
}

// ownEcho reports whether an echo is of a message Parley sent: one stored
// with its provider id. While a send is in flight on the channel, its id may
// not be stored yet: the echo waits for it, and if it is still unknown the
// provider is asked to deliver the echo again (ErrStatusEarly).
func (s *Service) ownEcho(ctx context.Context, channelID pulid.ID, providerID string) (bool, error) {
	if m, err := s.byProviderID(ctx, channelID, providerID); m != nil || err != nil {
		return m != nil, err
	}
	m, err := s.sentByProviderID(ctx, channelID, providerID)
	if errors.Is(err, errNotOurs) {
		return false, nil
	}
	return m != nil, err
}

// storeReaction puts a customer's emoji on the message it names (a
// customer has one reaction per message: a new one replaces it, an empty
// one takes it off). A reaction to a message Parley does not know is dropped.
func (s *Service) storeReaction(ctx context.Context, ch *ent.Channel, m channel.InboundMessage) error {
	target, err := s.byProviderID(ctx, ch.ID, m.Reaction.ToProviderID)
	if err != nil || target == nil {
		return err
	}
	ct, err := s.db.Contact.Query().Where(contact.ChannelID(ch.ID), contact.ExternalID(m.Contact.ExternalID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	emoji := m.Reaction.Emoji
	if utf8.RuneCountInString(emoji) > 16 {
		return apperr.BadInput("a reaction is one emoji")
	}
	author := "contact:" + string(ct.ID)
	return s.history.Write(ctx, func(tx *history.Tx) error {
		conv, err := tx.Conversation.Get(ctx, target.ConversationID)
		if err != nil {
			return err
		}
		if _, err := tx.Reaction.Delete().Where(reaction.MessageID(target.ID), reaction.AuthorKey(author)).Exec(ctx); err != nil {
			return err
		}
		if emoji != "" {
			if err := tx.Reaction.Create().SetMessageID(target.ID).SetAuthorKey(author).SetEmoji(emoji).SetCreatedAt(s.now()).Exec(ctx); err != nil {
				return err
			}
		}
		e := history.ConversationEvent(events.MessageUpdated, conv)
		e.MessageID = target.ID
		tx.Emit(e)
		return nil
	})
}

// changeInbound edits or removes a message the provider sent before (a
// comment edited or deleted on the page). An edit of a message Parley
// never got is stored as new; a removal of one is dropped.
func (s *Service) changeInbound(ctx context.Context, seam channel.Channel, ch *ent.Channel, m channel.InboundMessage) error {
	target, err := s.byProviderID(ctx, ch.ID, m.ProviderID)
	if err != nil {
		return err
	}
	if target == nil {
		if m.Change == channel.ChangeEdit {
			m.Change = channel.ChangeNew
			return s.storeInbound(ctx, seam, ch, m)
		}
		return nil
	}
	if target.DeletedAt != nil || target.SenderID != nil {
		return nil // removed already, or an agent's own: not the provider's to change
	}
	return s.history.Write(ctx, func(tx *history.Tx) error {
		conv, err := tx.Conversation.Get(ctx, target.ConversationID)
		if err != nil {
			return err
		}
		u := tx.Message.UpdateOneID(target.ID).SetUpdatedAt(s.now())
		if m.Change == channel.ChangeRemove {
			u.ClearText().SetDeletedAt(s.now())
		} else {
			u.SetNillableText(nonEmpty(m.Text)).SetEditedAt(s.now())
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
		e := history.ConversationEvent(events.MessageUpdated, conv)
		e.MessageID = target.ID
		tx.Emit(e)
		return nil
	})
}

func (s *Service) applyStatus(ctx context.Context, channelID pulid.ID, st channel.StatusUpdate) error {
	if !st.Watermark.IsZero() {
		return s.applyWatermark(ctx, channelID, st)
	}
	m, err := s.sentByProviderID(ctx, channelID, st.ProviderMessageID)
	if errors.Is(err, errNotOurs) {
		return nil // a receipt for a message Parley did not send (another app on the number)
	}
	if err != nil {
		return err
	}
	if st.AndEarlier && st.Status != channel.StatusFailed {
		return s.advanceSent(ctx, m.ConversationID, st.Status, message.SeqLTE(m.Seq))
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

// applyWatermark moves every message sent to a customer up to a moment
// (Messenger's delivery and read receipts name no message, only a time).
func (s *Service) applyWatermark(ctx context.Context, channelID pulid.ID, st channel.StatusUpdate) error {
	if st.Status == channel.StatusFailed {
		return nil
	}
	ct, err := s.db.Contact.Query().Where(contact.ChannelID(channelID), contact.ExternalID(st.Contact)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	conv, err := s.sessionOf(ctx, channelID, ct.ID)
	if err != nil || conv == nil {
		return err
	}
	return s.advanceSent(ctx, conv.ID, st.Status, message.CreatedAtLTE(st.Watermark))
}

// advanceSent moves the messages of a session already handed to the
// provider (and matching where) forward to a status.
func (s *Service) advanceSent(ctx context.Context, convID pulid.ID, st channel.Status, where predicate.Message) error {
	ids, err := s.db.Message.Query().Where(message.ConversationID(convID), message.DirectionEQ(message.DirectionOUTBOUND),
		message.ProviderMessageIDNotNil(), message.StatusIn(message.StatusSENT, message.StatusDELIVERED), where).
		Order(ent.Asc(message.FieldSeq)).Limit(1000).IDs(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	return s.history.Write(ctx, func(tx *history.Tx) error {
		conv, err := tx.Conversation.Get(ctx, convID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.Advance(ctx, conv, id, message.Status(st), ""); err != nil {
				return err
			}
		}
		return nil
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

// errNotOurs is a provider id no message has while nothing is being sent:
// no wait will make it one of Parley's.
var errNotOurs = errors.New("no message of Parley's has this provider id")

// sentByProviderID finds an outbound message by its provider id. While a
// send is in flight on the channel its id may not be stored yet: it waits
// up to StatusWait for the outbox to store it (ErrStatusEarly after that,
// so the provider delivers the receipt again); with nothing in flight an
// unknown id is errNotOurs at once.
func (s *Service) sentByProviderID(ctx context.Context, channelID pulid.ID, id string) (*ent.Message, error) {
	deadline := time.Now().Add(StatusWait)
	for first := true; ; first = false {
		m, err := s.db.Message.Query().Where(message.ChannelID(channelID), message.ProviderMessageID(id),
			message.DirectionEQ(message.DirectionOUTBOUND)).First(ctx)
		if !ent.IsNotFound(err) {
			return m, err
		}
		if first {
			sending, err := s.db.Outbox.Query().Where(entoutbox.ChannelID(channelID), entoutbox.StateEQ(entoutbox.StateSENDING)).Exist(ctx)
			if err != nil {
				return nil, err
			}
			if !sending {
				return nil, errNotOurs
			}
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
