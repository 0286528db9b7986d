package inbox

import (
	"context"

	"parley/ent"
	"parley/ent/attachment"
	entchannel "parley/ent/channel"
	"parley/ent/message"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/channel"
	"parley/server/history"
)

// checkOutbound applies the channel's rules to an agent's message in a
// session, before anything is stored. A private note obeys none of them:
// it is never sent out.
func (s *Service) checkOutbound(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, in SendInput, spec *history.MessageSpec, text string) error {
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
	if err := s.providerLimits(ctx, ch, text, spec.AttachmentIDs); err != nil {
		return err
	}
	spec.Direction, spec.Status, spec.Outbox = message.DirectionOUTBOUND, message.StatusPENDING, true
	spec.ChannelID = &ch.ID
	return nil
}

// providerLimits asks the channel's provider whether it takes this text
// and these files (its own text limit, WhatsApp's per-type file limits),
// before anything is stored.
func (s *Service) providerLimits(ctx context.Context, ch *ent.Channel, text string, attachmentIDs []pulid.ID) error {
	p, err := s.providers.For(channel.Kind(ch.Kind))
	if err != nil {
		return err
	}
	c, ok := p.(channel.Checker)
	if !ok {
		return nil
	}
	var files []channel.Attachment
	if len(attachmentIDs) > 0 {
		atts, err := s.db.Attachment.Query().Where(attachment.IDIn(attachmentIDs...)).All(ctx)
		if err != nil {
			return err
		}
		for _, a := range atts {
			files = append(files, channel.Attachment{ID: string(a.ID), Filename: a.Filename, ContentType: a.ContentType, Size: a.Size})
		}
	}
	return c.CheckOutbound(text, files)
}
