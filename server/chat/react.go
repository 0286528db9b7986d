package chat

import (
	"context"
	"slices"
	"unicode"
	"unicode/utf8"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/message"
	"parley/ent/predicate"
	"parley/ent/reaction"
	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
	"parley/server/history/events"
)

// Bounds of reactions.
const (
	maxEmojiRunes      = 16 // one emoji, with its modifiers and joiners
	MaxEmojiPerMessage = 20 // distinct emoji on one message
)

func reactionOf(id pulid.ID) predicate.Reaction { return reaction.MessageID(id) }

// checkEmoji accepts one short run of symbols: 1 to 16 characters, no
// spaces nor control characters.
func checkEmoji(emoji string) error {
	n := utf8.RuneCountInString(emoji)
	if n == 0 || n > maxEmojiRunes || !utf8.ValidString(emoji) {
		return apperr.BadInput("an emoji is 1 to %d characters", maxEmojiRunes).With("field", "emoji")
	}
	for _, r := range emoji {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return apperr.BadInput("an emoji has no spaces or control characters").With("field", "emoji")
		}
	}
	return nil
}

// React puts the viewer's emoji on a message, once: reacting again with the
// same emoji changes nothing. Colleagues only; in a session a reaction is
// the agents' own, never sent to the customer. A message takes at most
// MaxEmojiPerMessage different emoji (LIMIT_EXCEEDED); a deleted one none
// (CONFLICT).
func (s *Service) React(ctx context.Context, v *auth.Viewer, messageID pulid.ID, emoji string) (_ *ent.Message, err error) {
	defer apperr.At("chat.React", &err)
	return s.changeReaction(ctx, v, messageID, emoji, func(tx *history.Tx, m *ent.Message) (bool, error) {
		mine := reaction.And(reaction.MessageID(m.ID), reaction.AuthorKey(v.AuthorKey()), reaction.Emoji(emoji))
		if ok, err := tx.Reaction.Query().Where(mine).Exist(ctx); err != nil || ok {
			return false, err
		}
		used, err := tx.Reaction.Query().Where(reaction.MessageID(m.ID)).Unique(true).Select(reaction.FieldEmoji).Strings(ctx)
		if err != nil {
			return false, err
		}
		if len(used) >= MaxEmojiPerMessage && !slices.Contains(used, emoji) {
			return false, apperr.Limit("emojiPerMessage", MaxEmojiPerMessage, "a message takes at most %d different emoji", MaxEmojiPerMessage)
		}
		return true, tx.Reaction.Create().SetMessageID(m.ID).SetAuthorKey(v.AuthorKey()).SetUserID(v.UserID).
			SetEmoji(emoji).SetCreatedAt(tx.Now()).Exec(ctx)
	})
}

// Unreact takes the viewer's emoji off a message; if it was not there,
// nothing changes.
func (s *Service) Unreact(ctx context.Context, v *auth.Viewer, messageID pulid.ID, emoji string) (_ *ent.Message, err error) {
	defer apperr.At("chat.Unreact", &err)
	return s.changeReaction(ctx, v, messageID, emoji, func(tx *history.Tx, m *ent.Message) (bool, error) {
		n, err := tx.Reaction.Delete().Where(reaction.MessageID(m.ID), reaction.AuthorKey(v.AuthorKey()), reaction.Emoji(emoji)).Exec(ctx)
		return n > 0, err
	})
}

// changeReaction checks who reacts to what, then runs change on the
// message's locked row; if it changed anything, everyone who sees the
// conversation hears MESSAGE_UPDATED (in a session, the agents only).
func (s *Service) changeReaction(ctx context.Context, v *auth.Viewer, messageID pulid.ID, emoji string,
	change func(tx *history.Tx, m *ent.Message) (bool, error)) (*ent.Message, error) {
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	if err := checkEmoji(emoji); err != nil {
		return nil, err
	}
	m, conv, err := s.actOn(ctx, v, messageID)
	if err != nil {
		return nil, err
	}
	if m.DeletedAt != nil {
		return nil, apperr.New(apperr.Conflict, "a deleted message takes no reactions")
	}
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		// The lock makes concurrent reactions take turns: the emoji limit holds.
		cur, err := history.ForUpdate(tx, tx.Message.Query().Where(message.ID(m.ID))).Only(ctx)
		if err != nil {
			return err
		}
		if cur.DeletedAt != nil {
			return apperr.New(apperr.Conflict, "a deleted message takes no reactions")
		}
		changed, err := change(tx, cur)
		if err != nil || !changed {
			return err
		}
		e := history.ConversationEvent(events.MessageUpdated, conv)
		e.MessageID = m.ID
		e.AgentsOnly = m.AgentsOnly || conv.Kind == conversation.KindEXTERNAL
		tx.Emit(e)
		return nil
	})
	if ent.IsConstraintError(err) {
		err = nil // the same reaction, made concurrently: it is there
	}
	if err != nil {
		return nil, err
	}
	return s.db.Message.Get(ctx, m.ID)
}
