package inbox

import (
	"context"
	"fmt"
	"strings"

	"parley/ent"
	entchannel "parley/ent/channel"
	"parley/ent/contact"
	"parley/ent/customerlink"
	"parley/ent/message"
	"parley/ent/schema"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/channel"
	"parley/server/history"
	"parley/server/history/events"
)

// StartInput is the "+ Chat" button: write to a customer first.
type StartInput struct {
	ChannelID  pulid.ID
	CustomerID *pulid.ID
	// To is the address itself: a phone number for SMS and WhatsApp.
	To       *string
	Text     *string
	Template *channel.Template
}

// StartSession writes to a customer on a channel, obeying its rules:
// SMS and WhatsApp reach a phone number (WhatsApp only with a template);
// Messenger, Instagram and Live Chat can only answer customers who wrote
// first. It returns the session (the existing one, if there is one).
func (s *Service) StartSession(ctx context.Context, v *auth.Viewer, in StartInput) (_ *ent.Conversation, err error) {
	defer apperr.At("inbox.StartSession", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	ch, err := s.Channel(ctx, v, in.ChannelID)
	if err != nil {
		return nil, err
	}
	if !ch.Connected {
		return nil, errSyncLost(ch)
	}
	hasText := in.Text != nil && strings.TrimSpace(*in.Text) != ""
	if hasText == (in.Template != nil) {
		return nil, apperr.BadInput("give either text or a template").With("field", "text")
	}
	if in.Template != nil && ch.Kind != entchannel.KindWHATSAPP {
		return nil, apperr.BadInput("templates are for WhatsApp").With("field", "template")
	}
	if in.Template != nil {
		if err := checkTemplate(in.Template); err != nil {
			return nil, err
		}
	}
	text := ""
	if hasText {
		text = *in.Text
		if n := textLen(text); n > s.limits.ExternalText {
			return nil, apperr.New(apperr.TextTooLong, "the text is %d characters; a customer gets at most %d", n, s.limits.ExternalText).With("max", s.limits.ExternalText)
		}
		if err := s.providerLimits(ctx, ch, text, nil); err != nil {
			return nil, err
		}
	}
	var cust *ent.Customer
	if in.CustomerID != nil {
		if cust, err = s.Customer(ctx, v, *in.CustomerID); err != nil {
			return nil, err
		}
	}
	contactInfo, existing, err := s.recipient(ctx, ch, cust, in.To)
	if err != nil {
		return nil, err
	}
	// The channel's rules, as they stand for the session this would continue.
	var conv *ent.Conversation
	if existing != nil {
		if conv, err = s.sessionOf(ctx, ch.ID, existing.ID); err != nil {
			return nil, err
		}
	}
	probe := conv
	if probe == nil {
		probe = &ent.Conversation{}
	}
	p, err := s.policy(ch, existing, probe, s.now())
	if err != nil {
		return nil, err
	}
	if !p.CanReply && !(in.Template != nil && p.Reason != apperr.ChannelSyncLost) {
		return nil, p.Err()
	}
	spec := history.MessageSpec{
		ID: pulid.MustNew("ms"), SenderID: &v.UserID, AuthorKey: v.AuthorKey(), Direction: message.DirectionOUTBOUND,
		Kind: message.KindTEXT, Status: message.StatusPENDING, ChannelID: &ch.ID, Outbox: true, CountsAsUnread: true,
	}
	if in.Template != nil {
		t := &schema.Template{Name: strings.TrimSpace(in.Template.Name), Language: in.Template.Language, Parameters: in.Template.Parameters}
		if t.Language == "" {
			t.Language = "en"
		}
		spec.Template = t
		text = fmt.Sprintf("Template %q (%s)", t.Name, t.Language)
		if len(t.Parameters) > 0 {
			text += ": " + strings.Join(t.Parameters, ", ")
		}
	}
	spec.Text = &text
	var sessionID pulid.ID
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		ct, err := s.upsertContact(ctx, tx, ch.ID, contactInfo)
		if err != nil {
			return err
		}
		conv, created, err := s.findOrCreateSession(ctx, tx, ch.ID, ct.ID)
		if err != nil {
			return err
		}
		sessionID = conv.ID
		if created {
			if err := tx.Conversation.UpdateOneID(conv.ID).SetAssigneeID(v.UserID).Exec(ctx); err != nil {
				return err
			}
			tx.Emit(history.ConversationEvent(events.ConversationAdded, conv))
		}
		if cust != nil {
			if err := s.link(ctx, tx, v, ct.ID, cust.ID); err != nil {
				return err
			}
		}
		_, err = tx.AppendMessage(ctx, conv, spec)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.wakeOutbox()
	return s.db.Conversation.Get(ctx, sessionID)
}

// recipient works out whom to write to on the channel: a contact the
// customer already has there, or a phone number.
func (s *Service) recipient(ctx context.Context, ch *ent.Channel, cust *ent.Customer, to *string) (ContactInfo, *ent.Contact, error) {
	if cust != nil && to == nil {
		linked, err := s.db.Contact.Query().Where(contact.ChannelID(ch.ID),
			contact.HasLinkWith(customerlink.CustomerID(cust.ID))).First(ctx)
		if err == nil {
			return ContactInfo{ExternalID: linked.ExternalID}, linked, nil
		}
		if !ent.IsNotFound(err) {
			return ContactInfo{}, nil, err
		}
	}
	if ch.Kind != entchannel.KindSMS && ch.Kind != entchannel.KindWHATSAPP {
		return ContactInfo{}, nil, apperr.New(apperr.CannotInitiate,
			"on %s the customer starts the conversation; answer them in their session", ch.Kind)
	}
	var raw string
	switch {
	case to != nil:
		raw = *to
	case cust != nil && len(cust.Phones) > 0:
		raw = cust.Phones[0]
	default:
		return ContactInfo{}, nil, apperr.BadInput("give a phone number (to) or a customer with one").With("field", "to")
	}
	phone, ok := NormalizePhone(raw, s.Region)
	if !ok {
		return ContactInfo{}, nil, apperr.BadInput("to is not a phone number (international form +49 …, or national with PARLEY_DEFAULT_REGION)").With("field", "to")
	}
	// WhatsApp names a customer by their number without the plus (wa_id):
	// the contact a template starts is the one whose answers arrive.
	external := phone
	if ch.Kind == entchannel.KindWHATSAPP {
		external = strings.TrimPrefix(phone, "+")
	}
	info := ContactInfo{ExternalID: external, Phone: &phone}
	if cust != nil {
		info.DisplayName = &cust.Name
	}
	existing, err := s.db.Contact.Query().Where(contact.ChannelID(ch.ID), contact.ExternalID(external)).Only(ctx)
	if ent.IsNotFound(err) {
		return info, nil, nil
	}
	return info, existing, err
}

func (s *Service) sessionOf(ctx context.Context, channelID, contactID pulid.ID) (*ent.Conversation, error) {
	c, err := s.db.Conversation.Query().Where(conversationOf(channelID, contactID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

// ReplyToComment answers a customer's comment under a post, in public.
func (s *Service) ReplyToComment(ctx context.Context, v *auth.Viewer, commentID pulid.ID, text string) (_ *ent.Message, err error) {
	defer apperr.At("inbox.ReplyToComment", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	c, err := s.access.Message(ctx, v, commentID)
	if err != nil {
		return nil, err
	}
	if c.Kind != message.KindCOMMENT || c.Direction != message.DirectionINBOUND {
		return nil, apperr.BadInput("that message is not a customer's comment").With("field", "messageId")
	}
	conv, err := s.access.AgentSession(ctx, v, c.ConversationID)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, apperr.BadInput("a reply needs text").With("field", "text")
	}
	if n := textLen(text); n > s.limits.ExternalText {
		return nil, apperr.New(apperr.TextTooLong, "the text is %d characters; a customer gets at most %d", n, s.limits.ExternalText).With("max", s.limits.ExternalText)
	}
	ch, _, err := s.channelAndContact(ctx, conv)
	if err != nil {
		return nil, err
	}
	if !ch.Connected {
		return nil, errSyncLost(ch)
	}
	if err := s.providerLimits(ctx, ch, text, nil); err != nil {
		return nil, err
	}
	spec := history.MessageSpec{
		ID: pulid.MustNew("ms"), SenderID: &v.UserID, AuthorKey: v.AuthorKey(), Direction: message.DirectionOUTBOUND,
		Kind: message.KindCOMMENT, Text: &text, Status: message.StatusPENDING, ChannelID: &ch.ID,
		ReplyToID: &c.ID, Post: c.Post, Outbox: true, CountsAsUnread: true,
	}
	var m *ent.Message
	if err := s.history.Write(ctx, func(tx *history.Tx) (err error) {
		m, err = tx.AppendMessage(ctx, conv, spec)
		return err
	}); err != nil {
		return nil, err
	}
	s.wakeOutbox()
	return m.Unwrap(), nil
}

// checkTemplate bounds a WhatsApp template as the provider does: a name of
// up to 512 characters, a language code, and at most 100 parameters of up
// to 1,024 characters each.
func checkTemplate(t *channel.Template) error {
	switch {
	case strings.TrimSpace(t.Name) == "":
		return apperr.BadInput("a template needs a name").With("field", "template")
	case textLen(t.Name) > 512:
		return apperr.BadInput("a template's name is at most 512 characters").With("field", "template")
	case textLen(t.Language) > 35:
		return apperr.BadInput("a template's language is a code such as en or pt_BR").With("field", "template")
	case len(t.Parameters) > 100:
		return apperr.BadInput("a template takes at most 100 parameters").With("field", "template")
	}
	for _, p := range t.Parameters {
		if textLen(p) > 1024 {
			return apperr.BadInput("a template parameter is at most 1,024 characters").With("field", "template")
		}
	}
	return nil
}
