package chat

import (
	"context"
	"strings"
	"unicode/utf8"

	"parley/ent"
	"parley/ent/attachment"
	"parley/ent/conversation"
	"parley/ent/message"
	"parley/ent/outbox"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	provider "parley/server/channel"
	"parley/server/history"
	"parley/server/history/events"
)

// EditMessage changes the text of the viewer's own message: the limits are
// those of sending, mentions are found again in a chat, and everyone who
// sees the conversation hears MESSAGE_UPDATED. A deleted message, or a reply
// the customer already has, is CONFLICT; a system message, someone else's
// and any edit by a Live Chat visitor are FORBIDDEN.
func (s *Service) EditMessage(ctx context.Context, v *auth.Viewer, id pulid.ID, text string) (_ *ent.Message, err error) {
	defer apperr.At("chat.EditMessage", &err)
	m, conv, err := s.actOn(ctx, v, id)
	if err != nil {
		return nil, err
	}
	switch {
	case v.IsVisitor():
		return nil, apperr.Forbid("a visitor cannot edit messages")
	case m.Kind == message.KindSYSTEM:
		return nil, apperr.Forbid("system messages cannot be edited")
	case m.SenderID == nil || *m.SenderID != v.UserID:
		return nil, apperr.Forbid("only its sender can edit a message")
	case m.DeletedAt != nil:
		return nil, apperr.New(apperr.Conflict, "a deleted message cannot be edited")
	}
	reply := isReply(conv, m)
	if reply {
		if err := s.editableReply(ctx, conv, m); err != nil {
			return nil, err
		}
	}
	atts, err := m.QueryAttachments().All(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.checkEditText(ctx, conv, text, atts, reply); err != nil {
		return nil, err
	}
	var mentions []pulid.ID
	if conv.Kind != conversation.KindEXTERNAL {
		if mentions, err = s.mentionsIn(ctx, conv, v.UserID, text); err != nil {
			return nil, err
		}
	}
	var newText *string
	if strings.TrimSpace(text) != "" {
		newText = &text
	}
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		if conv.Kind != conversation.KindEXTERNAL {
			if _, err := s.lockConversation(ctx, tx, conv.ID); err != nil {
				return err
			}
		}
		if reply {
			// Only while the outbox still holds it: a worker that claimed it
			// meanwhile is handing it over (the row lock orders the two).
			n, err := tx.Outbox.Update().Where(outbox.MessageID(m.ID), outbox.StateEQ(outbox.StatePENDING)).
				SetUpdatedAt(tx.Now()).Save(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				return customerHasIt("edited")
			}
		}
		u := tx.Message.Update().Where(message.ID(m.ID), message.DeletedAtIsNil()).
			SetNillableText(newText).SetEditedAt(tx.Now()).SetUpdatedAt(tx.Now()).
			ClearMentions().AddMentionIDs(mentions...)
		if newText == nil {
			u.ClearText()
		}
		n, err := u.Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.Conflict, "a deleted message cannot be edited")
		}
		if err := s.recount(ctx, tx, conv, m.Seq); err != nil {
			return err
		}
		e := history.ConversationEvent(events.MessageUpdated, conv)
		e.MessageID, e.AgentsOnly = m.ID, m.AgentsOnly
		tx.Emit(e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.db.Message.Get(ctx, m.ID)
}

// customerHasIt refuses to change a reply the provider already has.
func customerHasIt(what string) error {
	return apperr.New(apperr.Conflict, "the customer already has this message: it can no longer be %s", what)
}

// editableReply refuses an edit of a reply that has left Parley, or that a
// Live Chat visitor may already have read.
func (s *Service) editableReply(ctx context.Context, conv *ent.Conversation, m *ent.Message) error {
	if handedOver(m) {
		return customerHasIt("edited")
	}
	live, err := s.liveChat(ctx, conv)
	if err != nil {
		return err
	}
	if live {
		return customerHasIt("edited")
	}
	return nil
}

// checkEditText applies the limits of sending to an edit: some text, or
// attachments to stand for it; at most the conversation's characters; for a
// reply, also the provider's own limits.
func (s *Service) checkEditText(ctx context.Context, conv *ent.Conversation, text string, atts []*ent.Attachment, reply bool) error {
	if strings.TrimSpace(text) == "" && len(atts) == 0 {
		return apperr.BadInput("a message needs text or attachments").With("field", "text")
	}
	max := s.limits.InternalText
	if reply {
		max = s.limits.ExternalText
	}
	if n := utf8.RuneCountInString(text); n > max {
		return apperr.New(apperr.TextTooLong, "the text is %d characters; this conversation takes at most %d", n, max).With("max", max)
	}
	if !reply || conv.ChannelID == nil {
		return nil
	}
	ch, err := s.db.Channel.Get(ctx, *conv.ChannelID)
	if err != nil {
		return err
	}
	p, err := s.providers.For(provider.Kind(ch.Kind))
	if err != nil {
		return err
	}
	c, ok := p.(provider.Checker)
	if !ok {
		return nil
	}
	files := make([]provider.Attachment, len(atts))
	for i, a := range atts {
		files[i] = provider.Attachment{ID: string(a.ID), Filename: a.Filename, ContentType: a.ContentType, Size: a.Size}
	}
	return c.CheckOutbound(text, files)
}

// DeleteMessage turns a message into a tombstone: it stays in history with
// deletedAt, without text, transcript, mentions, reactions or attachments
// (their files are removed from storage). Its sender may delete it, and an
// admin any colleague's message (in a chat they are in, or a note). A reply
// still waiting in the outbox is never sent; one the customer already has
// is deleted from Parley only (deletedAfterDelivery). Deleting a tombstone
// returns it unchanged.
func (s *Service) DeleteMessage(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Message, err error) {
	defer apperr.At("chat.DeleteMessage", &err)
	m, conv, err := s.actOn(ctx, v, id)
	if err != nil {
		return nil, err
	}
	own := m.SenderID != nil && *m.SenderID == v.UserID
	switch {
	case v.IsVisitor():
		return nil, apperr.Forbid("a visitor cannot delete messages")
	case m.Kind == message.KindSYSTEM:
		return nil, apperr.Forbid("system messages cannot be deleted")
	case !own && !(v.IsAdmin() && m.SenderID != nil && m.Direction == message.DirectionINTERNAL):
		return nil, apperr.Forbid("only its sender (or an admin, for an internal message) can delete a message")
	case m.DeletedAt != nil:
		return m, nil
	}
	reply := isReply(conv, m)
	live := false
	if reply {
		if live, err = s.liveChat(ctx, conv); err != nil {
			return nil, err
		}
	}
	var gone []*ent.Attachment
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		if conv.Kind != conversation.KindEXTERNAL {
			if _, err := s.lockConversation(ctx, tx, conv.ID); err != nil {
				return err
			}
		}
		afterDelivery := false
		if reply {
			// Take it out of the outbox unless a worker has it already.
			cancelled, err := tx.Outbox.Delete().Where(outbox.MessageID(m.ID), outbox.StateEQ(outbox.StatePENDING)).Exec(ctx)
			if err != nil {
				return err
			}
			switch {
			case live:
				afterDelivery = true
			case cancelled > 0:
				// Never sent: the customer got nothing (and the session
				// waits for an answer again).
				if _, err := tx.Advance(ctx, conv, m.ID, message.StatusFAILED, "deleted before it was sent"); err != nil {
					return err
				}
			default:
				afterDelivery = m.Status != message.StatusFAILED || m.ProviderMessageID != nil
			}
		}
		n, err := tx.Message.Update().Where(message.ID(m.ID), message.DeletedAtIsNil()).
			ClearText().ClearTranscription().ClearMentions().
			SetDeletedAt(tx.Now()).SetUpdatedAt(tx.Now()).SetDeletedAfterDelivery(afterDelivery).Save(ctx)
		if err != nil || n == 0 {
			return err // n == 0: deleted meanwhile
		}
		if gone, err = tx.Attachment.Query().Where(attachment.MessageID(m.ID)).All(ctx); err != nil {
			return err
		}
		if _, err := tx.Attachment.Delete().Where(attachment.MessageID(m.ID)).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.Reaction.Delete().Where(reactionOf(m.ID)).Exec(ctx); err != nil {
			return err
		}
		if err := s.recount(ctx, tx, conv, m.Seq); err != nil {
			return err
		}
		e := history.ConversationEvent(events.MessageUpdated, conv)
		e.MessageID, e.AgentsOnly = m.ID, m.AgentsOnly
		tx.Emit(e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.removeFiles(ctx, gone)
	return s.db.Message.Get(ctx, m.ID)
}

// removeFiles deletes the files of attachments whose rows are gone. A file
// that fails to go is logged and stays as an orphan: its row, and so every
// link to it, is gone already.
func (s *Service) removeFiles(ctx context.Context, atts []*ent.Attachment) {
	if s.Files.Store == nil {
		return
	}
	for _, a := range atts {
		if a.Expired {
			continue
		}
		if err := s.Files.Store.Delete(ctx, a.StorageKey); err != nil {
			s.log.Warn("chat: the file of a deleted message was left behind", "attachment", a.ID, "err", err)
		}
	}
}

// recount puts right the counters of a chat's members who had not read up
// to seq, after a message there changed; if there were any, they hear
// CONVERSATION_UPDATED (which moves their badges: MESSAGE_UPDATED does not).
func (s *Service) recount(ctx context.Context, tx *history.Tx, conv *ent.Conversation, seq int64) error {
	if conv.Kind == conversation.KindEXTERNAL {
		return nil
	}
	res, err := tx.ExecContext(ctx, s.db.Rebind(history.RecountSQL), string(conv.ID), seq)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		tx.Emit(history.ConversationEvent(events.ConversationUpdated, conv))
	}
	return nil
}
