package chat

import (
	"context"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
)

// markSessionRead reads a session's inbox (agents) or the agents' replies
// (the visitor). Filled in with the sessions work.
func (s *Service) markSessionRead(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, seq int64) (*ent.Conversation, error) {
	return nil, apperr.New(apperr.Internal, "sessions are not implemented yet")
}

// archiveSession archives or reopens a session for everyone.
func (s *Service) archiveSession(ctx context.Context, v *auth.Viewer, id pulid.ID, archived bool) (*ent.Conversation, error) {
	return nil, apperr.New(apperr.Internal, "sessions are not implemented yet")
}
