package inbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"parley/ent"
	entchannel "parley/ent/channel"
	"parley/ent/contact"
	"parley/ent/conversation"
	"parley/ent/message"
	"parley/ent/schema"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
	"parley/server/history/events"
)

// ContactInfo is a customer as a channel describes them.
type ContactInfo struct {
	// ExternalID is the provider's identity: phone number, PSID, IGSID, visitor id.
	ExternalID        string
	DisplayName       *string
	Phone             *string
	Email             *string
	Nickname          *string
	AvatarURL         *string
	PrivacyRestricted bool
}

// Inbound is a customer's message as a channel delivers it.
type Inbound struct {
	ChannelID pulid.ID
	Contact   ContactInfo
	// ProviderMessageID is unique per channel: a webhook delivered twice stores one message.
	ProviderMessageID string
	Kind              message.Kind // TEXT when empty
	Text              *string
	Post              *schema.Post
	ClientMessageID   *string
	// ProviderKind is the provider's name for what Parley has no kind for.
	ProviderKind *string
	// ReplyToID is the message this one answers.
	ReplyToID *pulid.ID
	// Echo: the business wrote it from outside Parley (Meta's own inbox):
	// stored as an OUTBOUND message without a sender.
	Echo bool
}

// Receive is the one inbound path every channel calls. It finds or creates
// the contact and the session (one per channel and contact, also when two
// first messages race), drops a provider message id it already stored,
// reopens an archived session, marks it UNREAD, and tells every agent who
// may see it.
func (s *Service) Receive(ctx context.Context, in Inbound) (_ *ent.Message, err error) {
	defer apperr.At("inbox.Receive", &err)
	m, _, err := s.receive(ctx, in)
	return m, err
}

// receive is Receive, also saying whether the message is new (false: a
// provider message id already stored).
func (s *Service) receive(ctx context.Context, in Inbound) (_ *ent.Message, created bool, err error) {
	if err := s.access.External(); err != nil {
		return nil, false, err
	}
	if strings.TrimSpace(in.Contact.ExternalID) == "" || in.ProviderMessageID == "" {
		return nil, false, apperr.BadInput("an inbound message needs the customer's identity and the provider's message id")
	}
	ch, err := s.db.Channel.Get(ctx, in.ChannelID)
	if ent.IsNotFound(err) {
		return nil, false, apperr.Missing("no such channel")
	}
	if err != nil {
		return nil, false, err
	}
	if m, err := s.byProviderID(ctx, ch.ID, in.ProviderMessageID); m != nil || err != nil {
		return m, false, err
	}
	kind := in.Kind
	if kind == "" {
		kind = message.KindTEXT
	}
	var msg *ent.Message
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		ct, err := s.upsertContact(ctx, tx, ch.ID, in.Contact)
		if err != nil {
			return err
		}
		conv, created, err := s.findOrCreateSession(ctx, tx, ch.ID, ct.ID)
		if err != nil {
			return err
		}
		spec := history.MessageSpec{
			ID: pulid.MustNew("ms"), AuthorKey: "contact:" + string(ct.ID), Direction: message.DirectionINBOUND,
			Kind: kind, Text: in.Text, Post: in.Post, Status: message.StatusDELIVERED, ChannelID: &ch.ID,
			ProviderMessageID: &in.ProviderMessageID, ClientMessageID: in.ClientMessageID, CountsAsUnread: true,
			ProviderKind: in.ProviderKind, ReplyToID: in.ReplyToID,
		}
		if in.Echo {
			spec.AuthorKey, spec.Direction, spec.Status, spec.CountsAsUnread = "channel:"+string(ch.ID), message.DirectionOUTBOUND, message.StatusSENT, false
		}
		msg, err = tx.AppendMessage(ctx, conv, spec)
		if err != nil {
			return err
		}
		if created {
			tx.Emit(history.ConversationEvent(events.ConversationAdded, conv))
			return nil
		}
		return nil
	})
	if ent.IsConstraintError(err) { // the same provider message, delivered twice at once
		if m, ferr := s.byProviderID(ctx, ch.ID, in.ProviderMessageID); m != nil || ferr != nil {
			return m, false, ferr
		}
	}
	if err != nil {
		return nil, false, err
	}
	return msg.Unwrap(), true, nil
}

func (s *Service) byProviderID(ctx context.Context, channelID pulid.ID, id string) (*ent.Message, error) {
	m, err := s.db.Message.Query().Where(message.ChannelID(channelID), message.ProviderMessageID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return m, err
}

// upsertContact finds the contact by its provider identity, refreshing what
// the channel now says about them, or creates it.
func (s *Service) upsertContact(ctx context.Context, tx *history.Tx, channelID pulid.ID, in ContactInfo) (*ent.Contact, error) {
	c := tx.Contact.Create().SetID(pulid.MustNew("ct")).SetChannelID(channelID).SetExternalID(in.ExternalID).
		SetNillableDisplayName(in.DisplayName).SetNillablePhone(in.Phone).SetNillableEmail(in.Email).
		SetNillableNickname(in.Nickname).SetNillableAvatarURL(in.AvatarURL)
	if in.PrivacyRestricted { // only ever said, never unsaid, by a message: a profile lookup unsays it
		c.SetPrivacyRestricted(true)
	}
	// On conflict the new values win, but not a column's default: a message
	// that says nothing of privacy must not reset privacy_restricted.
	id, err := c.OnConflict(sql.ConflictColumns(contact.FieldChannelID, contact.FieldExternalID), sql.ResolveWithNewValues(),
		sql.ResolveWith(func(u *sql.UpdateSet) {
			u.SetIgnore(contact.FieldID)
			u.SetIgnore(contact.FieldCreatedAt)
			if !in.PrivacyRestricted {
				u.SetIgnore(contact.FieldPrivacyRestricted)
			}
		})).ID(ctx)
	if err != nil {
		return nil, err
	}
	return tx.Contact.Get(ctx, id)
}

// findOrCreateSession returns the session of a contact on a channel. Two
// first messages racing make one session: the unique (channel, contact)
// index decides, and the loser reads the winner's.
func (s *Service) findOrCreateSession(ctx context.Context, tx *history.Tx, channelID, contactID pulid.ID) (*ent.Conversation, bool, error) {
	newID := pulid.MustNew("se")
	now := s.now()
	id, err := tx.Conversation.Create().SetID(newID).SetKind(conversation.KindEXTERNAL).
		SetChannelID(channelID).SetContactID(contactID).SetStatus(conversation.StatusOPEN).
		SetReplyState(conversation.ReplyStateANSWERED).SetLastMessageAt(now).
		OnConflictColumns(conversation.FieldChannelID, conversation.FieldContactID).Ignore().
		ID(ctx)
	if err != nil {
		return nil, false, err
	}
	conv, err := tx.Conversation.Get(ctx, id)
	return conv, id == newID, err
}

// agent refuses visitors and members: external chat is for agents and admins.
func (s *Service) agent(v *auth.Viewer) error {
	if err := s.access.External(); err != nil {
		return err
	}
	if v.IsVisitor() || v.UserID == "" || (v.Role != user.RoleAGENT && v.Role != user.RoleADMIN) {
		return apperr.Forbid("external chat is for agents and admins")
	}
	return nil
}

// MarkRead marks a session read up to a message (or to the end).
func (s *Service) MarkRead(ctx context.Context, v *auth.Viewer, id pulid.ID, messageID *pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("inbox.MarkRead", &err)
	conv, err := s.access.Session(ctx, v, id)
	if err != nil {
		return nil, err
	}
	seq, err := s.history.ReadUpTo(ctx, conv, messageID)
	if err != nil {
		return nil, err
	}
	return s.markSessionRead(ctx, v, conv, seq)
}

// Archive archives a session for everyone, recording who and when, or
// reopens it.
func (s *Service) Archive(ctx context.Context, v *auth.Viewer, id pulid.ID, archived bool) (_ *ent.Conversation, err error) {
	defer apperr.At("inbox.Archive", &err)
	return s.archiveSession(ctx, v, id, archived)
}

// markSessionRead: an agent reads the shared inbox (UNREAD becomes
// UNANSWERED while the customer's last message has no answer); the visitor
// reads the agents' replies, which become READ.
func (s *Service) markSessionRead(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, seq int64) (*ent.Conversation, error) {
	if v.IsVisitor() {
		return s.visitorRead(ctx, conv, seq)
	}
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	newlyRead := 0
	err := s.history.Write(ctx, func(tx *history.Tx) error {
		cur, err := s.lockSession(ctx, tx, conv.ID)
		if err != nil {
			return err
		}
		now := s.now()
		if newlyRead, err = tx.Message.Update().Where(message.ConversationID(conv.ID), message.SeqLTE(seq),
			message.DirectionEQ(message.DirectionINBOUND), message.StatusNEQ(message.StatusREAD)).
			SetStatus(message.StatusREAD).SetReadAt(now).Save(ctx); err != nil {
			return err
		}
		// What stays unread is what nobody has read yet: reading up to an
		// older message never brings back what was read before.
		left, err := tx.Message.Query().Where(message.ConversationID(conv.ID),
			message.DirectionEQ(message.DirectionINBOUND), message.StatusNEQ(message.StatusREAD)).Count(ctx)
		if err != nil {
			return err
		}
		u := tx.Conversation.UpdateOneID(conv.ID).SetSessionUnread(left)
		if left == 0 && cur.ReplyState != nil && *cur.ReplyState == conversation.ReplyStateUNREAD {
			u.SetReplyState(conversation.ReplyStateUNANSWERED)
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
		tx.Emit(history.ConversationEvent(events.ConversationUpdated, cur))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if newlyRead > 0 {
		s.tellRead(conv, seq)
	}
	return s.db.Conversation.Get(ctx, conv.ID)
}

// visitorRead marks the agents' replies the visitor has seen as READ.
func (s *Service) visitorRead(ctx context.Context, conv *ent.Conversation, seq int64) (*ent.Conversation, error) {
	ids, err := s.db.Message.Query().Where(message.ConversationID(conv.ID), message.SeqLTE(seq),
		message.DirectionEQ(message.DirectionOUTBOUND), message.AgentsOnly(false),
		// A reply still PENDING in the outbox may already be on the visitor's
		// screen (Live Chat shows it live): seen is seen.
		message.StatusIn(message.StatusPENDING, message.StatusSENT, message.StatusDELIVERED)).IDs(ctx)
	if err != nil || len(ids) == 0 {
		return conv, err
	}
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		for _, id := range ids {
			if _, err := tx.Advance(ctx, conv, id, message.StatusREAD, ""); err != nil {
				return err
			}
		}
		return nil
	})
	return conv, err
}

// archiveSession archives a session for everyone, recording who and when,
// or reopens it.
func (s *Service) archiveSession(ctx context.Context, v *auth.Viewer, id pulid.ID, archived bool) (*ent.Conversation, error) {
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	if _, err := s.access.Session(ctx, v, id); err != nil {
		return nil, err
	}
	err := s.history.Write(ctx, func(tx *history.Tx) error {
		cur, err := s.lockSession(ctx, tx, id)
		if err != nil {
			return err
		}
		u := tx.Conversation.UpdateOneID(id)
		if archived {
			if cur.Status != nil && *cur.Status == conversation.StatusARCHIVED {
				return nil
			}
			u.SetStatus(conversation.StatusARCHIVED).SetArchivedAt(s.now()).SetArchivedByID(v.UserID)
		} else {
			if cur.Status != nil && *cur.Status == conversation.StatusOPEN {
				return nil
			}
			u.SetStatus(conversation.StatusOPEN).ClearArchivedAt().ClearArchivedByID()
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
		tx.Emit(history.ConversationEvent(events.ConversationUpdated, cur))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.db.Conversation.Get(ctx, id)
}

func (s *Service) lockSession(ctx context.Context, tx *history.Tx, id pulid.ID) (*ent.Conversation, error) {
	c, err := history.ForUpdate(tx, tx.Conversation.Query().Where(conversation.ID(id), conversation.KindEQ(conversation.KindEXTERNAL))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such session")
	}
	return c, err
}

// Forward makes a colleague the session's assignee, with a note only agents
// see. The colleague sees the whole history from then on, and is told.
func (s *Service) Forward(ctx context.Context, v *auth.Viewer, id, to pulid.ID, note *string) (_ *ent.Conversation, err error) {
	defer apperr.At("inbox.Forward", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	if _, err := s.access.Session(ctx, v, id); err != nil {
		return nil, err
	}
	target, err := s.db.User.Get(ctx, to)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such user").With("field", "toUserId")
	}
	if err != nil {
		return nil, err
	}
	if target.Role == user.RoleMEMBER {
		return nil, apperr.BadInput("%s is a member: external chat is for agents and admins", target.Name).With("field", "toUserId")
	}
	if !target.Active {
		return nil, apperr.BadInput("%s is deactivated", target.Name).With("field", "toUserId")
	}
	text := ""
	if note != nil {
		text = strings.TrimSpace(*note)
	}
	if textLen(text) > s.limits.InternalText {
		return nil, apperr.New(apperr.TextTooLong, "the note is too long").With("max", s.limits.InternalText)
	}
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		cur, err := s.lockSession(ctx, tx, id)
		if err != nil {
			return err
		}
		me, err := tx.User.Get(ctx, v.UserID)
		if err != nil {
			return err
		}
		if err := tx.Conversation.UpdateOneID(id).SetAssigneeID(to).Exec(ctx); err != nil {
			return err
		}
		prev := cur.AssigneeID
		cur.AssigneeID = &to
		// The colleague hears of the session before its first new message.
		tx.Emit(history.UserEvent(events.ConversationAdded, to, cur))
		msg := fmt.Sprintf("%s forwarded this chat to %s", me.Name, target.Name)
		if text != "" {
			msg += ": " + text
		}
		if _, err := tx.System(ctx, cur, msg, true); err != nil {
			return err
		}
		evs := []history.Event{history.ConversationEvent(events.ConversationUpdated, cur)}
		if prev != nil && *prev != to {
			// The one it was forwarded to before may have seen it only as its assignee.
			still, err := tx.User.Query().Where(user.ID(*prev), user.Or(user.RoleEQ(user.RoleADMIN),
				user.HasChannelsWith(channelID(*cur.ChannelID)))).Exist(ctx)
			if err != nil {
				return err
			}
			if !still {
				evs = append(evs, history.UserEvent(events.ConversationRemoved, *prev, cur))
			}
		}
		tx.Emit(evs...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.db.Conversation.Get(ctx, id)
}

// CloseInactive archives open sessions of channels with an inactivity
// period once nothing has happened in them for that long.
func (s *Service) CloseInactive(ctx context.Context) (_ int, err error) {
	defer apperr.At("inbox.CloseInactive", &err)
	chans, err := s.db.Channel.Query().Where(entchannel.AutoCloseAfterHoursNotNil(), entchannel.AutoCloseAfterHoursGT(0)).All(ctx)
	if err != nil {
		return 0, err
	}
	closed := 0
	for _, ch := range chans {
		idle := time.Duration(*ch.AutoCloseAfterHours) * time.Hour
		ids, err := s.db.Conversation.Query().Where(conversation.ChannelID(ch.ID), conversation.StatusEQ(conversation.StatusOPEN),
			conversation.LastMessageAtLTE(s.now().Add(-idle))).IDs(ctx)
		if err != nil {
			return closed, err
		}
		for _, id := range ids {
			err := s.history.Write(ctx, func(tx *history.Tx) error {
				cur, err := s.lockSession(ctx, tx, id)
				if err != nil {
					return err
				}
				// Re-check under the lock: a message may have just arrived.
				if *cur.Status != conversation.StatusOPEN || cur.LastMessageAt == nil || cur.LastMessageAt.After(s.now().Add(-idle)) {
					return nil
				}
				if err := tx.Conversation.UpdateOneID(id).SetStatus(conversation.StatusARCHIVED).SetArchivedAt(s.now()).
					ClearArchivedByID().Exec(ctx); err != nil {
					return err
				}
				closed++
				if _, err := tx.System(ctx, cur, fmt.Sprintf("Closed after %d hours without activity", *ch.AutoCloseAfterHours), true); err != nil {
					return err
				}
				tx.Emit(history.ConversationEvent(events.ConversationUpdated, cur))
				return nil
			})
			if err != nil {
				return closed, err
			}
		}
	}
	return closed, nil
}
