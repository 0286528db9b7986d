package chat

import (
	"context"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/message"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
)

// SendInput is a message as a client sends it.
type SendInput = history.Draft

// Send writes a colleague's message to a chat (sessions are inbox.Send's).
// A retry with the same clientMessageId returns the first message and
// writes nothing.
func (s *Service) Send(ctx context.Context, v *auth.Viewer, in SendInput) (_ *ent.Message, err error) {
	defer apperr.At("chat.Send", &err)
	conv, err := s.access.Conversation(ctx, v, in.ConversationID)
	if err != nil {
		return nil, err
	}
	if conv.Kind == conversation.KindEXTERNAL {
		return nil, apperr.Missing("no such chat")
	}
	before, err := s.access.Member(ctx, v, conv.ID)
	if err != nil {
		return nil, err
	}
	msg, _, err := s.history.Post(ctx, v, conv, in, s.limits.InternalText, func(spec *history.MessageSpec, text string) error {
		if in.Note {
			return apperr.BadInput("notes are for sessions with customers").With("field", "note")
		}
		if in.MessageTag != nil {
			return apperr.BadInput("message tags are for Messenger sessions").With("field", "messageTag")
		}
		spec.Direction, spec.Status = message.DirectionINTERNAL, message.StatusSENT
		spec.SenderID = &v.UserID
		// Sending moves the sender's read horizon to their message: what
		// they answered is read. A group's read mark goes with the message
		// itself (one statement fewer under the chat's lock).
		switch {
		case before == nil:
		case conv.Kind == conversation.KindGROUP:
			spec.ReadMark = &history.ReadMark{From: before.ReadSeq}
		default:
			spec.Then = func(ctx context.Context, tx *history.Tx, msg *ent.Message) error {
				return noteRead(ctx, tx, conv, v.UserID, before.ReadSeq, msg.Seq)
			}
		}
		if spec.Text != nil {
			mentions, err := s.mentionsIn(ctx, conv, v.UserID, text)
			if err != nil {
				return err
			}
			spec.Mentions = mentions
		}
		return nil
	})
	return msg, err
}
