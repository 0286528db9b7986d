package chat

import (
	"context"
	"fmt"
	"strings"
	"time"

	"parley/ent"
	"parley/ent/attachment"
	"parley/ent/conversation"
	"parley/ent/event"
	"parley/ent/message"
	"parley/ent/schema"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/files"
)

// SendInput is a message as a client sends it.
type SendInput struct {
	ConversationID  pulid.ID
	Text            *string
	AttachmentIDs   []pulid.ID
	ClientMessageID *string
	ReplyToID       *pulid.ID
	MessageTag      *message.MessageTag
	// Note makes a private note in a session: agents only, never sent out.
	Note bool
}

// maxClientMessageID bounds the idempotency key.
const maxClientMessageID = 128

// Send writes a message from a colleague or a Live Chat visitor. A retry
// with the same clientMessageId returns the first message and writes nothing.
func (s *Service) Send(ctx context.Context, v *auth.Viewer, in SendInput) (*ent.Message, error) {
	conv, err := s.access.Conversation(ctx, v, in.ConversationID)
	if err != nil {
		return nil, err
	}
	if in.ClientMessageID != nil {
		if n := textLen(*in.ClientMessageID); n == 0 || n > maxClientMessageID {
			return nil, apperr.BadInput("clientMessageId must be 1 to %d characters", maxClientMessageID).With("field", "clientMessageId")
		}
		if m, err := s.byClientID(ctx, conv.ID, v.AuthorKey(), *in.ClientMessageID); m != nil || err != nil {
			return m, err
		}
	}
	spec, err := s.prepare(ctx, v, conv, in)
	if err != nil {
		return nil, err
	}
	var msg *ent.Message
	err = s.write(ctx, func(tx *ent.Tx) error {
		var err error
		msg, err = s.appendMessage(ctx, tx, conv, spec)
		return err
	})
	if ent.IsConstraintError(err) && in.ClientMessageID != nil {
		// A concurrent retry won the race: answer with its message.
		if m, ferr := s.byClientID(ctx, conv.ID, v.AuthorKey(), *in.ClientMessageID); m != nil {
			return m, nil
		} else if ferr != nil {
			return nil, ferr
		}
	}
	if err != nil {
		return nil, err
	}
	if spec.Outbox {
		s.wakeOutbox()
	}
	return msg.Unwrap(), nil
}

func (s *Service) byClientID(ctx context.Context, convID pulid.ID, author, key string) (*ent.Message, error) {
	m, err := s.db.Message.Query().
		Where(message.ConversationID(convID), message.AuthorKey(author), message.ClientMessageID(key)).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return m, err
}

// prepare checks a client's message against the rules and turns it into
// what appendMessage writes. Nothing is written here.
func (s *Service) prepare(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, in SendInput) (messageSpec, error) {
	spec := messageSpec{
		ID: pulid.MustNew("ms"), AuthorKey: v.AuthorKey(), Kind: message.KindTEXT,
		ClientMessageID: in.ClientMessageID, MessageTag: in.MessageTag, CountsAsUnread: true,
	}
	text := ""
	if in.Text != nil {
		text = *in.Text
	}
	if strings.TrimSpace(text) == "" {
		if len(in.AttachmentIDs) == 0 {
			return spec, apperr.BadInput("a message needs text or attachments").With("field", "text")
		}
	} else {
		spec.Text = &text
	}
	external := conv.Kind == conversation.KindEXTERNAL
	max := s.limits.InternalText
	if external && !in.Note {
		max = s.limits.ExternalText
	}
	if n := textLen(text); n > max {
		return spec, apperr.New(apperr.TextTooLong, "the text is %d characters; this conversation takes at most %d", n, max).With("max", max)
	}
	if in.ReplyToID != nil {
		ok, err := s.db.Message.Query().Where(message.ID(*in.ReplyToID), message.ConversationID(conv.ID)).Exist(ctx)
		if err != nil {
			return spec, err
		}
		if !ok {
			return spec, apperr.BadInput("replyToId is not a message of this conversation").With("field", "replyToId")
		}
		spec.ReplyToID = in.ReplyToID
	}
	if len(in.AttachmentIDs) > 0 {
		kind, err := s.checkAttachments(ctx, v, conv, in.AttachmentIDs)
		if err != nil {
			return spec, err
		}
		spec.Kind, spec.AttachmentIDs = kind, in.AttachmentIDs
	}
	switch {
	case v.IsVisitor():
		if in.Note || in.MessageTag != nil {
			return spec, apperr.Forbid("a visitor cannot write notes or use message tags")
		}
		spec.Direction, spec.Status = message.DirectionINBOUND, message.StatusDELIVERED
		spec.ChannelID = conv.ChannelID
		spec.Announce = conv.LastSeq == 0
	case external:
		if err := s.checkOutbound(ctx, v, conv, in, &spec); err != nil {
			return spec, err
		}
	default:
		if in.Note {
			return spec, apperr.BadInput("notes are for sessions with customers").With("field", "note")
		}
		if in.MessageTag != nil {
			return spec, apperr.BadInput("message tags are for Messenger sessions").With("field", "messageTag")
		}
		spec.Direction, spec.Status = message.DirectionINTERNAL, message.StatusSENT
		spec.SenderID = &v.UserID
		if spec.Text != nil {
			mentions, err := s.mentionsIn(ctx, conv, v.UserID, text)
			if err != nil {
				return spec, err
			}
			spec.Mentions = mentions
		}
	}
	return spec, nil
}

// checkAttachments makes sure every upload is the sender's own, in this
// conversation, and not yet sent, and returns the message kind they make.
func (s *Service) checkAttachments(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, ids []pulid.ID) (message.Kind, error) {
	const maxAttachments = 10
	if len(ids) > maxAttachments {
		return "", apperr.Limit("attachmentsPerMessage", maxAttachments, "at most %d attachments per message", maxAttachments)
	}
	atts, err := s.db.Attachment.Query().Where(
		attachment.IDIn(ids...), attachment.ConversationID(conv.ID),
		attachment.UploaderKey(v.AuthorKey()), attachment.MessageIDIsNil(),
	).All(ctx)
	if err != nil {
		return "", err
	}
	if len(atts) != len(uniqIDs(ids)) {
		return "", apperr.BadInput("attachmentIds must be your own unsent uploads to this conversation").With("field", "attachmentIds")
	}
	return KindOf(atts[0].ContentType), nil
}

// KindOf is the message kind a file of this (sniffed) content type makes:
// server/files' one rule, which also decides what is shown inline.
func KindOf(contentType string) message.Kind { return message.Kind(files.KindOf(contentType)) }

// messageSpec is a message ready to be written.
type messageSpec struct {
	ID                pulid.ID
	SenderID          *pulid.ID
	AuthorKey         string
	Direction         message.Direction
	Kind              message.Kind
	Text              *string
	Status            message.Status
	ClientMessageID   *string
	ChannelID         *pulid.ID
	ProviderMessageID *string
	ReplyToID         *pulid.ID
	MessageTag        *message.MessageTag
	Post              *schema.Post
	Template          *schema.Template
	Mentions          []pulid.ID
	AttachmentIDs     []pulid.ID
	// CountsAsUnread is false for SYSTEM messages: they inform, they do not badge.
	CountsAsUnread bool
	// AgentsOnly keeps it from a Live Chat visitor (a private note).
	AgentsOnly bool
	// Outbox hands it to the channel's provider after commit.
	Outbox bool
	// Announce tells agents of the session first, if this is its first
	// message: a Live Chat visitor's.
	Announce bool
}

// appendMessage is the one path every message takes, whoever sends it:
// inside the caller's transaction it numbers the message, stores it, moves
// the counters of every member, and records the event. Subscribers hear of
// it after commit.
func (s *Service) appendMessage(ctx context.Context, tx *ent.Tx, conv *ent.Conversation, spec messageSpec) (*ent.Message, error) {
	now := s.now()
	// Taking the next number locks the conversation's row until commit, so
	// numbers follow commit order within a conversation.
	seq, err := s.nextSeq(ctx, tx, conv.ID, spec.ID, now)
	if err != nil {
		return nil, err
	}
	create := tx.Message.Create().
		SetID(spec.ID).SetConversationID(conv.ID).SetSeq(seq).
		SetNillableSenderID(spec.SenderID).SetAuthorKey(spec.AuthorKey).
		SetDirection(spec.Direction).SetKind(spec.Kind).SetNillableText(spec.Text).SetStatus(spec.Status).
		SetNillableClientMessageID(spec.ClientMessageID).
		SetNillableChannelID(spec.ChannelID).SetNillableProviderMessageID(spec.ProviderMessageID).
		SetNillableReplyToID(spec.ReplyToID).SetNillableMessageTag(spec.MessageTag).
		AddMentionIDs(spec.Mentions...).SetAgentsOnly(spec.AgentsOnly).
		SetCreatedAt(now).SetUpdatedAt(now)
	if spec.Post != nil {
		create.SetPost(spec.Post)
	}
	if spec.Template != nil {
		create.SetTemplate(spec.Template)
	}
	m, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	if len(spec.AttachmentIDs) > 0 {
		n, err := tx.Attachment.Update().
			Where(attachment.IDIn(spec.AttachmentIDs...), attachment.MessageIDIsNil()).
			SetMessageID(m.ID).Save(ctx)
		if err != nil {
			return nil, err
		}
		if n != len(uniqIDs(spec.AttachmentIDs)) {
			return nil, apperr.New(apperr.Conflict, "an attachment was sent meanwhile")
		}
	}
	if conv.Kind != conversation.KindEXTERNAL {
		if err := s.countMessage(ctx, tx, conv, spec, seq, now); err != nil {
			return nil, err
		}
	} else if err := sessionChange(ctx, tx, conv, spec, now); err != nil {
		return nil, err
	}
	if spec.Outbox && conv.ChannelID != nil {
		if err := tx.Outbox.Create().SetMessageID(m.ID).SetChannelID(*conv.ChannelID).SetNextAttemptAt(now).Exec(ctx); err != nil {
			return nil, err
		}
	}
	e := conversationEvent(event.TypeMESSAGE_ADDED, conv)
	e.MessageID, e.AgentsOnly = m.ID, spec.AgentsOnly
	evs := []ev{e}
	if spec.Announce && seq == 1 {
		// Decided on the number taken under the row lock: of several first
		// messages racing, only the one numbered 1 announces the session.
		evs = []ev{conversationEvent(event.TypeCONVERSATION_ADDED, conv), e}
	}
	s.emit(tx, evs...)
	return m, nil
}

// nextSeq numbers a new message and makes it the conversation's last, in one statement.
func (s *Service) nextSeq(ctx context.Context, tx *ent.Tx, convID, msgID pulid.ID, now time.Time) (int64, error) {
	rows, err := tx.QueryContext(ctx, s.db.Rebind(`UPDATE conversations
		SET last_seq = last_seq + 1, last_message_id = $1, last_message_at = $2, updated_at = $2
		WHERE id = $3 RETURNING last_seq`), string(msgID), now, string(convID))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var seq int64
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, apperr.Missing("no such conversation")
	}
	if err := rows.Scan(&seq); err != nil {
		return 0, err
	}
	return seq, rows.Close()
}

// countMessage moves the members' counters of a chat in one statement:
// everyone else gets one more unread (and mention, if named) and sees the
// chat again if they had archived it; the sender has read everything up to
// their own message. A SYSTEM message only moves the chat's activity.
func (s *Service) countMessage(ctx context.Context, tx *ent.Tx, conv *ent.Conversation, spec messageSpec, seq int64, now time.Time) error {
	sender := ""
	if spec.SenderID != nil {
		sender = string(*spec.SenderID)
	}
	args := []any{string(conv.ID), now, sender, spec.CountsAsUnread, seq}
	mentioned := "false"
	if len(spec.Mentions) > 0 {
		marks := make([]string, len(spec.Mentions))
		for i, id := range spec.Mentions {
			args = append(args, string(id))
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		mentioned = "user_id IN (" + strings.Join(marks, ", ") + ")"
	}
	_, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE members SET
		activity_at = $2,
		unread_count = CASE WHEN user_id = $3 THEN 0 WHEN $4 THEN unread_count + 1 ELSE unread_count END,
		mention_count = CASE WHEN user_id = $3 THEN 0 WHEN `+mentioned+` THEN mention_count + 1 ELSE mention_count END,
		read_seq = CASE WHEN user_id = $3 THEN $5 ELSE read_seq END,
		archived = CASE WHEN user_id = $3 OR $4 THEN false ELSE archived END
		WHERE conversation_id = $1`), args...)
	return err
}

// system writes a SYSTEM message (membership changes, forwarding notes) in
// the caller's transaction.
func (s *Service) system(ctx context.Context, tx *ent.Tx, conv *ent.Conversation, text string, agentsOnly bool) (*ent.Message, error) {
	return s.appendMessage(ctx, tx, conv, messageSpec{
		ID: pulid.MustNew("ms"), AuthorKey: "system", Direction: message.DirectionINTERNAL,
		Kind: message.KindSYSTEM, Text: &text, Status: message.StatusSENT, AgentsOnly: agentsOnly,
	})
}

func uniqIDs(ids []pulid.ID) []pulid.ID {
	seen := map[pulid.ID]bool{}
	var out []pulid.ID
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
