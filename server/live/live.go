// Package live owns Parley's WebSockets, from the upgrade to the close:
// GraphQL over graphql-transport-ws and the legacy graphql-ws (spoken as
// gqlgen's transport.Websocket speaks them, with no goroutine per idle
// socket: conn.go), the token in connection_init, the close codes (README
// "WebSocket close codes"), the operations one socket may run, who is
// online, and closing the sockets whose token ended and, at shutdown, all
// of them.
//
// It knows nothing of the schema, the core or the database: the wiring
// hands it an Auth and the error presenter, and adds its Transport to the
// GraphQL handler.
package live

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// WebSocket close codes of our own; the rest are graphql-transport-ws's.
const (
	// closeBadToken: the token is refused or was revoked; log in again.
	closeBadToken = 4403
	// closeTryLater (RFC 6455 "Try Again Later"): the database could not be
	// reached. graphql-ws retries it; it gives up on 1011 and 4500.
	closeTryLater = 1013
	// closeRestart (RFC 6455 "Service Restart"): the server is shutting
	// down. Clients reconnect; 1000 would tell them the stream is finished.
	closeRestart = 1012
)

// MaxSubscriptions is how many operations one socket may run at once; a
// subscribe beyond it gets an error for its id (LIMIT_EXCEEDED, limit
// "subscriptionsPerConnection"), and the socket stays open.
const MaxSubscriptions = 100

// Auth is what live asks of authentication.
type Auth interface {
	// Authenticate resolves a bearer token. The context it returns carries
	// the identity for the resolvers; userID is "" for a token that is not
	// a user's (a Live Chat visitor's); tokenID names the token for Ended
	// and Presence.Revoke. An error with the code INTERNAL means the
	// database could not say; any other, that the token is refused.
	Authenticate(ctx context.Context, bearer string) (_ context.Context, userID string, tokenID int, _ error)
	// Ended returns those of the tokens that are revoked or expired.
	Ended(ctx context.Context, tokenIDs []int) ([]int, error)
}

// Config is what Server is built with.
type Config struct {
	Auth Auth
	// ErrorPresenter turns an error into the GraphQL error clients see, as
	// for every other operation (the subscription limit's).
	ErrorPresenter graphql.ErrorPresenterFunc
	// Origins are the other origins browsers may open a socket from
	// (PARLEY_CORS_ORIGINS): like https://app.example.com or
	// https://*.example.com, or "*" for every origin. The server's own
	// origin always may.
	Origins []string
	// InitTimeout is how long a socket may wait before its connection_init
	// (15 seconds when 0).
	InitTimeout time.Duration
	// TokenCheck is how often Run checks the tokens of the open sockets
	// (10 seconds when 0).
	TokenCheck time.Duration
	// PresenceChanged, when set, hears of a user whose first socket on this
	// instance opened (online) or whose last one closed, in a goroutine of
	// its own; Presence.Online says the latest.
	PresenceChanged func(userID string, online bool)
	Log             *slog.Logger

	// keepAlive and pingInterval are keepAliveInterval and
	// pingPongInterval but in tests.
	keepAlive, pingInterval time.Duration
}

// Server holds the open WebSockets. Add its Transport to the GraphQL
// handler and call Run; CloseAll at shutdown.
type Server struct {
	cfg     Config
	sockets registry
	// Presence says who is online; its Revoke closes a token's sockets.
	Presence *Presence
}

// New returns a Server with no socket open.
func New(cfg Config) *Server {
	cfg.InitTimeout = cmp.Or(cfg.InitTimeout, 15*time.Second)
	cfg.TokenCheck = cmp.Or(cfg.TokenCheck, 10*time.Second)
	cfg.keepAlive = cmp.Or(cfg.keepAlive, keepAliveInterval)
	cfg.pingInterval = cmp.Or(cfg.pingInterval, pingPongInterval)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	p := newPresence()
	p.changed = cfg.PresenceChanged
	return &Server{cfg: cfg, Presence: p}
}

// Transport serves WebSocket upgrades; add it to the GraphQL handler before
// the transports that serve GET, which an upgrade also is.
func (s *Server) Transport() graphql.Transport { return socketTransport{s: s} }

// socketTransport runs each socket (conn.go) once the upgrade's origin is
// checked and the socket is one of the open ones.
type socketTransport struct{ s *Server }

// Supports is gqlgen's transport.Websocket's: any upgrade.
func (t socketTransport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

func (t socketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if !IsWebsocket(r) {
		transport.Websocket{}.Do(w, r, exec) // it refuses the upgrade
		return
	}
	if !originOK(r, t.s.cfg.Origins) {
		writeText(w, http.StatusForbidden, "origin not allowed")
		return
	}
	sock := &socket{upgradeAuth: r.Header.Get("Authorization"), done: make(chan struct{})}
	t.s.sockets.add(sock)
	t.s.serve(w, r, exec, sock, func() {
		t.s.sockets.remove(sock)
		close(sock.done)
	})
}

// Open returns how many WebSockets are open and how many operations
// (subscriptions, mostly) they run, for metrics.
func (s *Server) Open() (sockets, operations int) { return s.sockets.counts() }

// Opened counts the WebSockets opened since the server started.
func (s *Server) Opened() int64 { return s.sockets.opened.Load() }

// IsWebsocket reports whether r asks for a WebSocket: live authenticates
// it at its connection_init, not from the upgrade request.
func IsWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// CloseAll closes every open WebSocket with 1012 (service restart) and
// waits, until ctx ends, for them to close. Call it once no upgrade can
// still arrive (after http.Server.Shutdown, which leaves hijacked
// connections open).
func (s *Server) CloseAll(ctx context.Context) {
	s.sockets.closeAll(ctx, closeRestart, "service restart")
}

// Run closes, every TokenCheck until ctx ends, the sockets whose token has
// been revoked (by a logout through any instance) or has expired. A logout
// through this instance closes its own sockets at once (Presence.Revoke);
// this catches the rest.
func (s *Server) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.TokenCheck)
	defer t.Stop()
	for {
		s.closeEndedTokens(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) closeEndedTokens(ctx context.Context) {
	ended, err := s.cfg.Auth.Ended(ctx, s.Presence.Tokens())
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Log.Error("checking the tokens of open sockets", "err", err)
		}
		return
	}
	for _, id := range ended {
		s.Presence.Revoke(id)
	}
}
