package chat

import (
	"context"

	"parley/ent"
	"parley/ent/channel"
	"parley/ent/conversation"
	"parley/ent/message"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
)

// actOn loads a message the viewer may read, with its conversation, for
// an edit, a deletion or a reaction. A message of a conversation the viewer
// cannot see is NOT_FOUND, never FORBIDDEN: its id says nothing.
func (s *Service) actOn(ctx context.Context, v *auth.Viewer, id pulid.ID) (*ent.Message, *ent.Conversation, error) {
	m, err := s.db.Message.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil, apperr.Missing("no such message")
	}
	if err != nil {
		return nil, nil, err
	}
	conv, err := s.access.Conversation(ctx, v, m.ConversationID)
	if apperr.CodeOf(err) == apperr.Forbidden {
		return nil, nil, apperr.Missing("no such message")
	}
	if err != nil {
		return nil, nil, err
	}
	if v.IsVisitor() && m.AgentsOnly {
		return nil, nil, apperr.Missing("no such message")
	}
	return m, conv, nil
}

// isReply says whether m is an agent's reply to a customer: what a
// provider is handed (a note or a system message never is).
func isReply(conv *ent.Conversation, m *ent.Message) bool {
	return conv.Kind == conversation.KindEXTERNAL && m.Direction == message.DirectionOUTBOUND && !m.AgentsOnly
}

// liveChat says whether conv is a Live Chat session: there the visitor sees
// a reply the moment it is written, so it is the customer's at once.
func (s *Service) liveChat(ctx context.Context, conv *ent.Conversation) (bool, error) {
	if conv.ChannelID == nil {
		return false, nil
	}
	ch, err := s.db.Channel.Get(ctx, *conv.ChannelID)
	if err != nil {
		return false, err
	}
	return ch.Kind == channel.KindLIVE_CHAT, nil
}

// handedOver says whether the provider already has a reply.
func handedOver(m *ent.Message) bool {
	return m.ProviderMessageID != nil || m.Status != message.StatusPENDING
}
