package inbox

import (
	"context"

	"parley/ent"
	entchannel "parley/ent/channel"
	"parley/ent/message"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
)

// checkOutbound applies the channel's rules to an agent's message in a
// session, before anything is stored. A private note obeys none of them:
// it is never sent out.
func (s *Service) checkOutbound(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, in SendInput, spec *history.MessageSpec) error {
	if err := s.access.Agent(v); err != nil {
		return err
	}
	spec.SenderID = &v.UserID
	if in.Note {
		if in.MessageTag != nil {
			return apperr.BadInput("a note is never sent, so it takes no message tag").With("field", "messageTag")
		}
		// A note is a NOTE whatever it carries, so every client shows it as
		// private; its attachments keep their content types.
		spec.Kind = message.KindNOTE
		spec.Direction, spec.Status, spec.AgentsOnly = message.DirectionINTERNAL, message.StatusSENT, true
		return nil
	}
	ch, ct, err := s.channelAndContact(ctx, conv)
	if err != nil {
		return err
	}
	if in.MessageTag != nil && ch.Kind != entchannel.KindMESSENGER {
		return apperr.BadInput("message tags are for Messenger").With("field", "messageTag")
	}
	p, err := s.policy(ch, ct, conv, s.now())
	if err != nil {
		return err
	}
	if !p.CanReply && !(p.Reason == apperr.MessageTagRequired && in.MessageTag != nil) {
		return p.Err()
	}
	spec.Direction, spec.Status, spec.Outbox = message.DirectionOUTBOUND, message.StatusPENDING, true
	spec.ChannelID = &ch.ID
	return nil
}
