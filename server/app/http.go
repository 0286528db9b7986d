package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"

	"parley"
	"parley/graph"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/chat"
	"parley/server/files"
	"parley/server/files/upload"
	"parley/server/livechat"
	"parley/server/logx"
	"parley/server/ratelimit"
)

// WebSocket close code for a refused token (API.md).
const closeBadToken = 4403

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	api := a.authenticate(ensureErrorCodes(a.websocketUpgrades(a.graphqlServer())))
	mux.Handle("/query", a.cors(api))
	// Any method: CORS answers a browser's preflight, the handler refuses
	// all but GET and HEAD.
	mux.Handle(files.DownloadPath+"{id}", a.downloads())
	mux.Handle("GET /{$}", a.playgroundHandler())
	mux.Handle("GET /playground/", playgroundAssets())
	mux.Handle(livechat.Path, livechat.Handler())
	mux.HandleFunc("GET /schema.graphql", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(parley.SchemaSDL)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.DB.Ping(ctx); err != nil {
			logx.From(r.Context()).Warn("readiness check failed", "err", err)
			writeText(w, http.StatusServiceUnavailable, "database unavailable")
			return
		}
		writeText(w, http.StatusOK, "ready")
	})
	return a.requestLog(a.recoverPanics(mux))
}

func (a *App) graphqlServer() http.Handler {
	res := &graph.Resolver{
		Log: a.log, OrgPlan: a.cfg.Plan, Auth: a.Auth, Directory: a.Users, Presence: a.Presence,
		Core: a.Chat, Settings: a.Settings, Downloads: a.Signer,
		VisitorLimit:  ratelimit.New(visitorBurst(a.cfg), 10*time.Second).SetClock(a.cfg.Now),
		VisitorWrites: ratelimit.New(graph.VisitorWriteBurst, cmp.Or(a.cfg.VisitorWriteInterval, graph.VisitorWriteInterval)).SetClock(a.cfg.Now),
	}
	srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: res, Complexity: graph.NewComplexity()}))
	srv.AddTransport(transport.Websocket{
		Implementation: closeCodeImplementation{transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			OriginPatterns: originHosts(a.cfg.CORSOrigins),
		}}},
		InitFunc:              a.websocketInit,
		InitTimeout:           cmp.Or(a.cfg.WebsocketInitTimeout, 15*time.Second),
		KeepAlivePingInterval: 15 * time.Second,
		PingPongInterval:      30 * time.Second,
		CloseFunc: func(ctx context.Context, _ int) {
			if done, ok := ctx.Value(disconnectKey{}).(func()); ok {
				done()
			}
		},
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	// Uploads stream to the resolver, which applies the conversation's own
	// (smaller or equal) limit; this is only the cap for any conversation.
	// A request without a valid token is refused before its files are read.
	srv.AddTransport(upload.Transport{
		MaxFileSize: max(chat.MaxFileSize, a.cfg.InternalFileLimit),
		Authorize:   graph.RequireToken,
	})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(extension.FixedComplexityLimit(graph.Complexity))
	srv.Use(graph.RejectNUL{})
	srv.AroundResponses(graph.ResponseTime(a.cfg.Now))
	srv.AroundFields(graph.Guard)
	srv.SetErrorPresenter(graph.ErrorPresenter)
	srv.SetRecoverFunc(graph.Recover(a.log))
	return srv
}

type disconnectKey struct{}

// websocketInit authenticates a WebSocket from its connection_init payload.
// No token leaves the connection anonymous (introspection still works); a
// bad token closes it with 4403.
func (a *App) websocketInit(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	bearer := p.Authorization()
	if bearer == "" {
		bearer = p.GetString("authToken")
	}
	if bearer == "" {
		if v := auth.FromContext(ctx); v != nil { // a header on the upgrade request
			return a.trackConnection(ctx, v), nil, nil
		}
		return ctx, nil, nil
	}
	v, err := a.Auth.Authenticate(ctx, bearer)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			logx.From(ctx).Error("authenticating a websocket", "err", err)
		}
		ctx = transport.WithWebsocketCloseCode(ctx, closeBadToken)
		return transport.AppendCloseReason(ctx, "unauthenticated"), nil, errors.New("unauthenticated: the token is not valid")
	}
	return a.trackConnection(auth.WithViewer(ctx, v), v), nil, nil
}

// trackConnection marks the user online and lets a revoked token close the socket.
func (a *App) trackConnection(ctx context.Context, v *auth.Viewer) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	end := func(revoked bool) {
		if revoked {
			setCloseCode(ctx, closeBadToken)
		}
		cancel()
	}
	disconnect := a.Presence.Connect(v.UserID, v.TokenID, end)
	return context.WithValue(ctx, disconnectKey{}, func() { cancel(); disconnect() })
}

// authenticate resolves the bearer token of an HTTP request. A missing or bad
// token is not refused here: the GraphQL guard answers UNAUTHENTICATED for
// the fields that need one, so clients see a GraphQL error, not a 401.
func (a *App) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		v, err := a.Auth.Authenticate(ctx, h)
		switch {
		case err == nil:
			ctx = auth.WithViewer(ctx, v)
		case apperr.CodeOf(err) == apperr.Internal:
			logx.From(ctx).Error("authenticating a request", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		default:
			ctx = auth.WithBadToken(ctx)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (a *App) cors(next http.Handler) http.Handler {
	return cors.New(cors.Options{
		AllowedOrigins: a.cfg.CORSOrigins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept", "X-Request-Id",
			"Apollo-Require-Preflight", "X-Apollo-Operation-Name", "GraphQL-Preflight"},
		ExposedHeaders: []string{"X-Request-Id"},
		MaxAge:         600,
	}).Handler(next)
}

// websocketUpgrades refuses a browser's WebSocket upgrade from an origin
// that is neither this server nor one of PARLEY_CORS_ORIGINS, compared as
// CORS compares them: scheme, host and port. (Clients that send no Origin,
// such as mobile apps, are not browsers and pass.) An upgrade it lets
// through gets the slot for its close code (withCloseCode).
func (a *App) websocketUpgrades(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			u, err := url.Parse(origin)
			if err != nil || (!strings.EqualFold(u.Host, r.Host) && !originAllowed(a.cfg.CORSOrigins, origin)) {
				writeText(w, http.StatusForbidden, "origin not allowed")
				return
			}
		}
		next.ServeHTTP(w, withCloseCode(r))
	})
}

// originAllowed matches an Origin header against the configured origins,
// which may hold a wildcard (https://*.example.com) as rs/cors allows.
func originAllowed(allowed []string, origin string) bool {
	origin = strings.ToLower(origin)
	for _, o := range allowed {
		if ok, _ := path.Match(strings.ToLower(o), origin); ok {
			return true
		}
	}
	return false
}

// originHosts turns configured origins into coder/websocket's host patterns.
func originHosts(origins []string) []string {
	var hosts []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		}
	}
	return hosts
}

// requestLog gives every request an id (kept from X-Request-Id when sane) and
// a logger that names it, and logs the request when it ends. Headers and
// bodies are never logged: they carry tokens and passwords.
func (a *App) requestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if len(id) == 0 || len(id) > 64 || strings.ContainsAny(id, " \t\r\n\"") {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		log := a.log.With("request_id", id)
		r = r.WithContext(ratelimit.WithClientIP(r.Context(), clientIP(r, a.cfg.TrustedProxies)))
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(logx.With(r.Context(), log)))
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Float64("ms", float64(time.Since(start).Microseconds())/1000))
	})
}

func (a *App) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logx.From(r.Context()).Error("panic", "panic", p, "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the real writer (WebSocket hijack, flush).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

func visitorBurst(c Config) int {
	if c.VisitorBurst > 0 {
		return c.VisitorBurst
	}
	return 20
}
