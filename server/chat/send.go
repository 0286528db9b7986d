package chat

import (
	"context"
	"strings"

	"parley/ent"
	"parley/ent/attachment"
	"parley/ent/conversation"
	"parley/ent/message"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/files"
	"parley/server/history"
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
func (s *Service) Send(ctx context.Context, v *auth.Viewer, in SendInput) (_ *ent.Message, err error) {
	defer apperr.At("chat.Send", &err)
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
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		var err error
		msg, err = tx.AppendMessage(ctx, conv, spec)
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
func (s *Service) prepare(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, in SendInput) (history.MessageSpec, error) {
	spec := history.MessageSpec{
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
