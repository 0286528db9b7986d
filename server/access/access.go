// Package access decides who may see and do what: the roles, the plan, and
// the one visibility rule (visibility.go) every reader of conversations and
// events asks — queries, the event relay, the log catch-up and the badges.
package access

import (
	"context"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/predicate"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/apperr"
	"parley/server/auth"
)

// Plan is what the organisation's plan includes.
type Plan struct {
	// External says whether the plan includes external chat (sessions with
	// customers): every part of it is refused when it does not.
	External bool
}

// Service answers access questions that need the database.
type Service struct {
	db   *ent.Client
	Plan Plan
}

// New returns the access service.
func New(client *ent.Client, plan Plan) *Service { return &Service{db: client, Plan: plan} }

// PlanRequired is the error for external chat on a plan without it.
func PlanRequired() error {
	return apperr.New(apperr.PlanRequired, "external chat needs the Enterprise or Ultimate plan")
}

// External refuses everything external on a plan without external chat.
func (s *Service) External() (err error) {
	defer apperr.At("access.External", &err)
	if !s.Plan.External {
		return PlanRequired()
	}
	return nil
}

// Colleague refuses Live Chat visitors (and anonymous callers).
func Colleague(v *auth.Viewer) error {
	if v.IsVisitor() || v.UserID == "" {
		return apperr.Forbid("a visitor token can only use its own session")
	}
	return nil
}

// Agent refuses visitors and members: external chat is for agents and admins.
func (s *Service) Agent(v *auth.Viewer) (err error) {
	defer apperr.At("access.Agent", &err)
	if err := s.External(); err != nil {
		return err
	}
	if v.IsVisitor() || v.UserID == "" || (v.Role != user.RoleAGENT && v.Role != user.RoleADMIN) {
		return apperr.Forbid("external chat is for agents and admins")
	}
	return nil
}

// ChannelAdmin refuses anyone but an admin, and everything on a plan
// without external chat.
func (s *Service) ChannelAdmin(v *auth.Viewer) (err error) {
	defer apperr.At("access.ChannelAdmin", &err)
	if err := s.External(); err != nil {
		return err
	}
	if !v.IsAdmin() {
		return apperr.Forbid("only an admin can manage channels")
	}
	return nil
}

// Conversation loads a conversation the viewer may read (visibility.go).
// One query when they may; a second only to tell FORBIDDEN from NOT_FOUND
// when they may not.
func (s *Service) Conversation(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("access.Conversation", &err)
	var (
		kind, allowed predicate.Conversation
		what, denied  string
	)
	switch id.Prefix() {
	case "ch":
		if v.IsVisitor() {
			return nil, apperr.Forbid("a visitor token can only use its own session")
		}
		kind, allowed = chatKind(), VisibleChats(v)
		what, denied = "chat", "you are not a member of this chat"
	case "se":
		if err := s.External(); err != nil {
			return nil, err
		}
		kind, allowed = sessionKind(), VisibleSessions(v)
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

// Chat loads a chat the viewer is a member of.
func (s *Service) Chat(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("access.Chat", &err)
	if id.Prefix() != "ch" {
		return nil, apperr.Missing("no such chat")
	}
	return s.Conversation(ctx, v, id)
}

// Session loads a session the viewer may see.
func (s *Service) Session(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("access.Session", &err)
	if id.Prefix() != "se" {
		if err := s.External(); err != nil {
			return nil, err
		}
		return nil, apperr.Missing("no such session")
	}
	return s.Conversation(ctx, v, id)
}

// AgentSession loads a session an agent (not its visitor) may work on.
func (s *Service) AgentSession(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("access.AgentSession", &err)
	if err := s.Agent(v); err != nil {
		return nil, err
	}
	return s.Session(ctx, v, id)
}

// Message loads a message the viewer may read.
func (s *Service) Message(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Message, err error) {
	defer apperr.At("access.Message", &err)
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
	if !MessageVisible(v, m.AgentsOnly) {
		return nil, apperr.Missing("no such message")
	}
	return m, nil
}

// Member returns the viewer's own row of a conversation, or nil if none.
func (s *Service) Member(ctx context.Context, v *auth.Viewer, conversationID pulid.ID) (_ *ent.Member, err error) {
	defer apperr.At("access.Member", &err)
	if v.UserID == "" {
		return nil, nil
	}
	m, err := s.db.Member.Query().Where(member.ConversationID(conversationID), member.UserID(v.UserID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return m, err
}
