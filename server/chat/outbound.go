package chat

import (
	"context"

	"parley/ent"
	"parley/server/apperr"
	"parley/server/auth"
)

// checkOutbound applies the channel's rules to an agent's message in a
// session. (Filled in with the sessions work.)
func (s *Service) checkOutbound(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, in SendInput, spec *messageSpec) error {
	return apperr.New(apperr.Internal, "sessions are not implemented yet")
}
