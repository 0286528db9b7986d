package live

import (
	"cmp"
	"context"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"parley/server/apperr"
	"parley/server/logx"
)

// initFailure is why init refused a socket: the connection_error's
// message (graphql-ws) and the close code and reason.
type initFailure struct {
	message string
	code    websocket.StatusCode
	reason  string
}

// init authenticates a WebSocket from its connection_init payload, or else
// from its upgrade request's Authorization header. No token leaves the
// connection anonymous (introspection still works); a bad token closes it
// with 4403; a database that cannot be reached, with 1013 (try again).
//
// cancel ends ctx: the socket's, which a revoked token ends.
func (s *Server) init(ctx context.Context, cancel context.CancelFunc, sock *socket, p transport.InitPayload) (context.Context, *initFailure) {
	bearer := initToken(p)
	if bearer == "" && sock != nil {
		bearer = sock.upgradeAuth
	}
	if bearer == "" {
		return ctx, nil
	}
	authed, userID, tokenID, err := s.cfg.Auth.Authenticate(ctx, bearer)
	switch {
	case err == nil:
		s.track(sock, userID, tokenID, cancel)
		return authed, nil
	case apperr.CodeOf(err) == apperr.Internal:
		logx.From(ctx).Error("authenticating a websocket", "err", err)
		return ctx, &initFailure{"internal error", closeTryLater, "internal error: try again later"}
	}
	return ctx, &initFailure{"unauthenticated: the token is not valid", closeBadToken, "unauthenticated"}
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
// cancel ends the connection's context, and the socket closes with 4403.
func (s *Server) track(sock *socket, userID string, tokenID int, cancel context.CancelFunc) {
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
}
