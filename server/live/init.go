package live

import (
	"cmp"
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"parley/server/apperr"
	"parley/server/logx"
)

// init authenticates a WebSocket from its connection_init payload, or else
// from its upgrade request's Authorization header. No token leaves the
// connection anonymous (introspection still works); a bad token closes it
// with 4403; a database that cannot be reached, with 1013 (try again).
func (s *Server) init(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	sock := socketOf(ctx)
	bearer := initToken(p)
	if bearer == "" && sock != nil {
		bearer = sock.upgradeAuth
	}
	if bearer == "" {
		return ctx, nil, nil
	}
	authed, userID, tokenID, err := s.cfg.Auth.Authenticate(ctx, bearer)
	switch {
	case err == nil:
		return s.track(authed, sock, userID, tokenID), nil, nil
	case apperr.CodeOf(err) == apperr.Internal:
		logx.From(ctx).Error("authenticating a websocket", "err", err)
		ctx = transport.WithWebsocketCloseCode(ctx, closeTryLater)
		return transport.AppendCloseReason(ctx, "internal error: try again later"), nil, errors.New("internal error")
	}
	ctx = transport.WithWebsocketCloseCode(ctx, closeBadToken)
	return transport.AppendCloseReason(ctx, "unauthenticated"), nil, errors.New("unauthenticated: the token is not valid")
}

// initToken finds the token in a connection_init payload under any of the
// keys clients use, also as graphql-ws users pass HTTP headers:
// {"headers": {"Authorization": "Bearer ..."}}.
func initToken(p transport.InitPayload) string {
	if t := cmp.Or(p.Authorization(), p.GetString("authToken")); t != "" {
		return t
	}
	if h, ok := p["headers"].(map[string]any); ok {
		return transport.InitPayload(h).Authorization()
	}
	return ""
}

// track marks the user online and lets a revoked token close the socket:
// the connection's context ends, and the socket closes with 4403.
func (s *Server) track(ctx context.Context, sock *socket, userID string, tokenID int) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	end := func(revoked bool) {
		switch {
		case sock == nil:
		case revoked:
			sock.setCloseCode(closeBadToken, "unauthenticated: the token was revoked")
		default: // Presence.Drop: reconnect, as after a restart
			sock.setCloseCode(closeRestart, "service restart: reconnect")
		}
		cancel()
	}
	disconnect := s.Presence.connect(userID, tokenID, end)
	if sock != nil {
		sock.mu.Lock()
		sock.disconnect = func() { cancel(); disconnect() }
		sock.mu.Unlock()
	}
	return ctx
}
