package history

import (
	"context"
	"strings"
	"unicode/utf8"

	"parley/ent"
	"parley/ent/attachment"
	"parley/ent/message"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/files"
)

// Draft is a message as a client sends it, to a chat or a session.
type Draft struct {
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

// Post writes v's draft into conv, which the caller has loaded for v: the
// checks every message passes (the idempotency key, text or attachments,
// the text against maxText, the reply, the attachments), then complete for
// what the kind of conversation decides, then AppendMessage. Nothing is
// written before complete returns. A retry with the same clientMessageId
// returns the first message and writes nothing.
func (w *Writer) Post(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, in Draft, maxText int,
	complete func(spec *MessageSpec, text string) error) (*ent.Message, MessageSpec, error) {
	if in.ClientMessageID != nil {
		if n := utf8.RuneCountInString(*in.ClientMessageID); n == 0 || n > maxClientMessageID {
			return nil, MessageSpec{}, apperr.BadInput("clientMessageId must be 1 to %d characters", maxClientMessageID).With("field", "clientMessageId")
		}
		if m, err := w.byClientID(ctx, conv.ID, v.AuthorKey(), *in.ClientMessageID); m != nil || err != nil {
			return m, MessageSpec{}, err
		}
	}
	spec, text, err := w.prepare(ctx, v, conv, in, maxText)
	if err != nil {
		return nil, spec, err
	}
	if err := complete(&spec, text); err != nil {
		return nil, spec, err
	}
	var msg *ent.Message
	err = w.Write(ctx, func(tx *Tx) error {
		var err error
		if msg, err = tx.AppendMessage(ctx, conv, spec); err != nil || spec.Then == nil {
			return err
		}
		return spec.Then(ctx, tx, msg)
	})
	if ent.IsConstraintError(err) && in.ClientMessageID != nil {
		// A concurrent retry won the race: answer with its message.
		if m, ferr := w.byClientID(ctx, conv.ID, v.AuthorKey(), *in.ClientMessageID); m != nil {
			return m, spec, nil
		} else if ferr != nil {
			return nil, spec, ferr
		}
	}
	if err != nil {
		return nil, spec, err
	}
	return msg.Unwrap(), spec, nil
}

func (w *Writer) byClientID(ctx context.Context, convID pulid.ID, author, key string) (*ent.Message, error) {
	m, err := w.db.Message.Query().
		Where(message.ConversationID(convID), message.AuthorKey(author), message.ClientMessageID(key)).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return m, err
}

// prepare makes the checks every message passes and returns what is known
// of it so far, and its text.
func (w *Writer) prepare(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, in Draft, maxText int) (MessageSpec, string, error) {
	spec := MessageSpec{
		ID: pulid.MustNew("ms"), AuthorKey: v.AuthorKey(), Kind: message.KindTEXT,
		ClientMessageID: in.ClientMessageID, MessageTag: in.MessageTag, CountsAsUnread: true,
	}
	text := ""
	if in.Text != nil {
		text = *in.Text
	}
	if strings.TrimSpace(text) == "" {
		if len(in.AttachmentIDs) == 0 {
			return spec, text, apperr.BadInput("a message needs text or attachments").With("field", "text")
		}
	} else {
		spec.Text = &text
	}
	if n := utf8.RuneCountInString(text); n > maxText {
		return spec, text, apperr.New(apperr.TextTooLong, "the text is %d characters; this conversation takes at most %d", n, maxText).With("max", maxText)
	}
	if in.ReplyToID != nil {
		ok, err := w.db.Message.Query().Where(message.ID(*in.ReplyToID), message.ConversationID(conv.ID)).Exist(ctx)
		if err != nil {
			return spec, text, err
		}
		if !ok {
			return spec, text, apperr.BadInput("replyToId is not a message of this conversation").With("field", "replyToId")
		}
		spec.ReplyToID = in.ReplyToID
	}
	if len(in.AttachmentIDs) > 0 {
		kind, err := w.checkAttachments(ctx, v, conv, in.AttachmentIDs)
		if err != nil {
			return spec, text, err
		}
		spec.Kind, spec.AttachmentIDs = kind, in.AttachmentIDs
	}
	return spec, text, nil
}

// checkAttachments makes sure every upload is the sender's own, in this
// conversation, and not yet sent, and returns the message kind they make.
func (w *Writer) checkAttachments(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, ids []pulid.ID) (message.Kind, error) {
	const maxAttachments = 10
	if len(ids) > maxAttachments {
		return "", apperr.Limit("attachmentsPerMessage", maxAttachments, "at most %d attachments per message", maxAttachments)
	}
	atts, err := w.db.Attachment.Query().Where(
		attachment.IDIn(ids...), attachment.ConversationID(conv.ID),
		attachment.UploaderKey(v.AuthorKey()), attachment.MessageIDIsNil(),
	).All(ctx)
	if err != nil {
		return "", err
	}
	if len(atts) != len(pulid.Uniq(ids)) {
		return "", apperr.BadInput("attachmentIds must be your own unsent uploads to this conversation").With("field", "attachmentIds")
	}
	return KindOf(atts[0].ContentType), nil
}

// KindOf is the message kind a file of this (sniffed) content type makes:
// server/files' one rule, which also decides what is shown inline.
func KindOf(contentType string) message.Kind { return message.Kind(files.KindOf(contentType)) }

// ReadUpTo is the number of the message a reader marks read up to in conv:
// messageID's, or the last one.
func (w *Writer) ReadUpTo(ctx context.Context, conv *ent.Conversation, messageID *pulid.ID) (int64, error) {
	if messageID == nil {
		return conv.LastSeq, nil
	}
	msg, err := w.db.Message.Query().Where(message.ID(*messageID), message.ConversationID(conv.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		return 0, apperr.BadInput("messageId is not a message of this conversation").With("field", "messageId")
	}
	if err != nil {
		return 0, err
	}
	return msg.Seq, nil
}
