package app

import (
	"context"

	"parley/server/auth"
	"parley/server/live"
	"parley/server/logx"
)

// MaxSubscriptions is live's: how many operations one WebSocket may run at
// once (the tests name it here).
const MaxSubscriptions = live.MaxSubscriptions

// socketAuth authenticates live's WebSockets with auth: the viewer goes in
// the connection's context, as in a request's.
type socketAuth struct{ *auth.Service }

func (s socketAuth) Authenticate(ctx context.Context, bearer string) (context.Context, string, int, error) {
	v, err := s.Service.Authenticate(ctx, bearer)
	if err != nil {
		return ctx, "", 0, err
	}
	logx.NoteUser(ctx, viewerName(v)) // on the socket's request line
	return auth.WithViewer(ctx, v), string(v.UserID), v.TokenID, nil
}
