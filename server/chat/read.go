package chat

import (
	"context"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/message"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
	"parley/server/history/events"
)

// MarkRead moves the viewer's read horizon in a chat up to a message (or to
// the end). The horizon only moves forward.
func (s *Service) MarkRead(ctx context.Context, v *auth.Viewer, convID pulid.ID, messageID *pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("chat.MarkRead", &err)
	conv, err := s.access.Conversation(ctx, v, convID)
	if err != nil {
		return nil, err
	}
	if conv.Kind == conversation.KindEXTERNAL {
		return nil, apperr.Missing("no such chat") // sessions are read through inbox.MarkRead
	}
	seq, err := s.history.ReadUpTo(ctx, conv, messageID)
	if err != nil {
		return nil, err
	}
	m, err := s.access.Member(ctx, v, conv.ID)
	if err != nil {
		return nil, err
	}
	if m == nil || seq <= m.ReadSeq {
		return conv, nil // already read (or just left)
	}
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		// Read the newest state under the row lock: messages may have arrived.
		cur, err := s.lockConversation(ctx, tx, conv.ID)
		if err != nil {
			return err
		}
		upd := tx.Member.Update().Where(member.ConversationID(conv.ID), member.UserID(v.UserID), member.ReadSeqLT(seq)).
			SetReadSeq(seq)
		if seq >= cur.LastSeq {
			upd.SetUnreadBase(cur.Counted).SetMentionCount(0)
		} else {
			// Part-way: what stays unread is what comes after the horizon.
			unread, err := tx.Message.Query().Where(message.ConversationID(conv.ID), message.SeqGT(seq),
				message.KindNEQ(message.KindSYSTEM), message.AuthorKeyNEQ(string(v.UserID)), message.DeletedAtIsNil()).Count(ctx)
			if err != nil {
				return err
			}
			mentions, err := tx.Message.Query().Where(message.ConversationID(conv.ID), message.SeqGT(seq),
				message.HasMentionsWith(user.ID(v.UserID))).Count(ctx)
			if err != nil {
				return err
			}
			upd.SetUnreadBase(cur.Counted - int64(unread)).SetMentionCount(mentions)
		}
		n, err := upd.Save(ctx)
		if err != nil {
			return err
		}
		tx.Emit(history.UserEvent(events.ConversationUpdated, v.UserID, conv))
		if n > 0 {
			if err := noteRead(ctx, tx, cur, v.UserID, m.ReadSeq, seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.db.Conversation.Get(ctx, conv.ID)
}

// Unread is how many of a chat's messages a member has not read
// (history.Unread).
func Unread(conv *ent.Conversation, m *ent.Member) int {
	return history.Unread(conv.Counted, m.UnreadBase)
}

// SetMuted mutes or unmutes a conversation for the viewer.
func (s *Service) SetMuted(ctx context.Context, v *auth.Viewer, convID pulid.ID, muted bool) (_ *ent.Conversation, err error) {
	defer apperr.At("chat.SetMuted", &err)
	return s.setOwn(ctx, v, convID, func(u *ent.MemberUpdate) { u.SetMuted(muted) }, func(c *ent.MemberCreate) { c.SetMuted(muted) })
}

// SetPinned pins or unpins a conversation for the viewer.
func (s *Service) SetPinned(ctx context.Context, v *auth.Viewer, convID pulid.ID, pinned bool) (_ *ent.Conversation, err error) {
	defer apperr.At("chat.SetPinned", &err)
	return s.setOwn(ctx, v, convID, func(u *ent.MemberUpdate) { u.SetPinned(pinned) }, func(c *ent.MemberCreate) { c.SetPinned(pinned) })
}

// setOwn changes the viewer's own row of a conversation. In a session, where
// agents are not members, the row is made on first use.
func (s *Service) setOwn(ctx context.Context, v *auth.Viewer, convID pulid.ID, update func(*ent.MemberUpdate), create func(*ent.MemberCreate)) (*ent.Conversation, error) {
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	conv, err := s.access.Conversation(ctx, v, convID)
	if err != nil {
		return nil, err
	}
	change := func(tx *history.Tx) error {
		u := tx.Member.Update().Where(member.ConversationID(conv.ID), member.UserID(v.UserID))
		update(u)
		n, err := u.Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			c := tx.Member.Create().SetConversationID(conv.ID).SetUserID(v.UserID).SetActivityAt(s.now())
			create(c)
			if err := c.Exec(ctx); err != nil {
				return err
			}
		}
		tx.Emit(history.UserEvent(events.ConversationUpdated, v.UserID, conv))
		return nil
	}
	err = s.history.Write(ctx, change)
	if ent.IsConstraintError(err) {
		// A concurrent call made the row (an agent's first mute of a
		// session): now it is there to update.
		err = s.history.Write(ctx, change)
	}
	if err != nil {
		return nil, err
	}
	return conv, nil
}

// Archive hides a chat for the viewer until its next message (a session is
// archived for everyone: inbox.Archive).
func (s *Service) Archive(ctx context.Context, v *auth.Viewer, convID pulid.ID, archived bool) (_ *ent.Conversation, err error) {
	defer apperr.At("chat.Archive", &err)
	if _, err := s.access.Chat(ctx, v, convID); err != nil {
		return nil, err
	}
	return s.setOwn(ctx, v, convID, func(u *ent.MemberUpdate) { u.SetArchived(archived) }, func(c *ent.MemberCreate) { c.SetArchived(archived) })
}
