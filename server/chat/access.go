package chat

import (
	"context"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/apperr"
	"parley/server/auth"
)

// Conversation loads a conversation the viewer may read, with the viewer's
// own member row when there is one: a chat's member, or for a session an
// admin, an agent of its channel, its assignee, or its visitor.
func (s *Service) Conversation(ctx context.Context, v *auth.Viewer, id pulid.ID) (*ent.Conversation, *ent.Member, error) {
	switch id.Prefix() {
	case "ch":
		return s.chatFor(ctx, v, id)
	case "se":
		c, err := s.sessionFor(ctx, v, id)
		if err != nil {
			return nil, nil, err
		}
		return c, s.ownMember(ctx, v, id), nil
	}
	return nil, nil, apperr.Missing("no such conversation")
}

// chatFor loads a chat the viewer is a member of.
func (s *Service) chatFor(ctx context.Context, v *auth.Viewer, id pulid.ID) (*ent.Conversation, *ent.Member, error) {
	if v.IsVisitor() {
		return nil, nil, apperr.Forbid("a visitor token can only use its own session")
	}
	c, err := s.db.Conversation.Query().
		Where(conversation.ID(id), conversation.KindNEQ(conversation.KindEXTERNAL), conversation.EndedAtIsNil()).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, apperr.Missing("no such chat")
	}
	if err != nil {
		return nil, nil, err
	}
	m, err := s.db.Member.Query().Where(member.ConversationID(id), member.UserID(v.UserID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, apperr.Forbid("you are not a member of this chat")
	}
	if err != nil {
		return nil, nil, err
	}
	return c, m, nil
}

// sessionFor loads a session the viewer may see.
func (s *Service) sessionFor(ctx context.Context, v *auth.Viewer, id pulid.ID) (*ent.Conversation, error) {
	if !s.ExternalAllowed {
		return nil, planRequired()
	}
	c, err := s.db.Conversation.Query().Where(conversation.ID(id), conversation.KindEQ(conversation.KindEXTERNAL)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such session")
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.canSeeSession(ctx, v, c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apperr.Forbid("you have no access to this session's channel")
	}
	return c, nil
}

// canSeeSession applies the session rule: admins, agents granted the
// channel, the assignee, and the session's own visitor.
func (s *Service) canSeeSession(ctx context.Context, v *auth.Viewer, c *ent.Conversation) (bool, error) {
	switch {
	case v.IsVisitor():
		return v.VisitorSessionID == c.ID, nil
	case v.IsAdmin():
		return true, nil
	case c.AssigneeID != nil && *c.AssigneeID == v.UserID:
		return true, nil
	case v.Role != user.RoleAGENT || c.ChannelID == nil:
		return false, nil
	}
	return s.db.User.Query().Where(user.ID(v.UserID), user.HasChannelsWith(channelID(*c.ChannelID))).Exist(ctx)
}

// ownMember returns the viewer's own row of a conversation, or nil.
func (s *Service) ownMember(ctx context.Context, v *auth.Viewer, id pulid.ID) *ent.Member {
	if v.UserID == "" {
		return nil
	}
	m, _ := s.db.Member.Query().Where(member.ConversationID(id), member.UserID(v.UserID)).Only(ctx)
	return m
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
	if _, _, err := s.Conversation(ctx, v, m.ConversationID); err != nil {
		return nil, err
	}
	if v.IsVisitor() && m.AgentsOnly {
		return nil, apperr.Missing("no such message")
	}
	return m, nil
}
