package inbox

import (
	"context"

	"parley/ent"
	"parley/ent/message"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
)

// SendInput is a message as a client sends it.
type SendInput = history.Draft

// Send writes an agent's reply or note, or a Live Chat visitor's message,
// to a session. A retry with the same clientMessageId returns the first
// message and writes nothing.
func (s *Service) Send(ctx context.Context, v *auth.Viewer, in SendInput) (_ *ent.Message, err error) {
	defer apperr.At("inbox.Send", &err)
	conv, err := s.access.Session(ctx, v, in.ConversationID)
	if err != nil {
		return nil, err
	}
	max := s.limits.ExternalText
	if in.Note {
		max = s.limits.InternalText
	}
	msg, spec, err := s.history.Post(ctx, v, conv, in, max, func(spec *history.MessageSpec, text string) error {
		if v.IsVisitor() {
			if in.Note || in.MessageTag != nil {
				return apperr.Forbid("a visitor cannot write notes or use message tags")
			}
			spec.Direction, spec.Status = message.DirectionINBOUND, message.StatusDELIVERED
			spec.ChannelID = conv.ChannelID
			spec.Announce = conv.LastSeq == 0
			return nil
		}
		return s.checkOutbound(ctx, v, conv, in, spec, text)
	})
	if err == nil && spec.Outbox {
		s.wakeOutbox()
	}
	return msg, err
}
