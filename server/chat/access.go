package chat

import (
	"context"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/predicate"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
)

// Conversation loads a conversation the viewer may read: a chat they are a
// member of, or a session they may see (visibleSessions). One query when
// they may; a second only to tell FORBIDDEN from NOT_FOUND when they may not.
func (s *Service) Conversation(ctx context.Context, v *auth.Viewer, id pulid.ID) (*ent.Conversation, error) {
	var (
		kind, allowed predicate.Conversation
		what, denied  string
	)
	switch id.Prefix() {
	case "ch":
		if v.IsVisitor() {
			return nil, apperr.Forbid("a visitor token can only use its own session")
		}
		kind = conversation.And(conversation.KindNEQ(conversation.KindEXTERNAL), conversation.EndedAtIsNil())
		allowed = conversation.HasMembersWith(member.UserID(v.UserID))
		what, denied = "chat", "you are not a member of this chat"
	case "se":
		if !s.ExternalAllowed {
			return nil, planRequired()
		}
		kind, allowed = conversation.KindEQ(conversation.KindEXTERNAL), s.visibleSessions(v)
		what, denied = "session", "you have no access to this session's channel"
	default:
		return nil, apperr.Missing("no such conversation")
	}
	c, err := s.db.Conversation.Query().Where(conversation.ID(id), kind, allowed).Only(ctx)
	if !ent.IsNotFound(err) {
		return c, err
	}
	exists, err := s.db.Conversation.Query().Where(conversation.ID(id), kind).Exist(ctx)
	switch {
	case err != nil:
		return nil, err
	case exists:
		return nil, apperr.Forbid("%s", denied)
	}
	return nil, apperr.Missing("no such %s", what)
}

// chatFor loads a chat the viewer is a member of.
func (s *Service) chatFor(ctx context.Context, v *auth.Viewer, id pulid.ID) (*ent.Conversation, error) {
	if id.Prefix() != "ch" {
		return nil, apperr.Missing("no such chat")
	}
	return s.Conversation(ctx, v, id)
}

// sessionFor loads a session the viewer may see.
func (s *Service) sessionFor(ctx context.Context, v *auth.Viewer, id pulid.ID) (*ent.Conversation, error) {
	if id.Prefix() != "se" {
		if !s.ExternalAllowed {
			return nil, planRequired()
		}
		return nil, apperr.Missing("no such session")
	}
	return s.Conversation(ctx, v, id)
}

// Member returns the viewer's own row of a conversation, or nil if none.
func (s *Service) Member(ctx context.Context, v *auth.Viewer, conversationID pulid.ID) (*ent.Member, error) {
	if v.UserID == "" {
		return nil, nil
	}
	m, err := s.db.Member.Query().Where(member.ConversationID(conversationID), member.UserID(v.UserID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return m, err
}

func planRequired() error {
	return apperr.New(apperr.PlanRequired, "external chat needs the Enterprise or Ultimate plan")
}

// Message loads a message the viewer may read.
func (s *Service) Message(ctx context.Context, v *auth.Viewer, id pulid.ID) (*ent.Message, error) {
	m, err := s.db.Message.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such message")
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.Conversation(ctx, v, m.ConversationID); err != nil {
		return nil, err
	}
	if v.IsVisitor() && m.AgentsOnly {
		return nil, apperr.Missing("no such message")
	}
	return m, nil
}
