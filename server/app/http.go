package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"parley"
	"parley/graph"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/chat"
	"parley/server/files"
	"parley/server/files/upload"
	"parley/server/live"
	"parley/server/livechat"
	"parley/server/logx"
	"parley/server/ratelimit"
)

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	api := a.authenticate(ensureErrorCodes(a.graphqlServer()))
	mux.Handle("/query", a.withCORS(api, queryCORS))
	// Any method: CORS answers a browser's preflight, the handler refuses
	// all but GET and HEAD.
	mux.Handle(files.DownloadPath+"{id}", a.downloads())
	mux.Handle(AvatarPath+"{id}", a.avatars())
	mux.Handle("GET /{$}", a.playgroundHandler())
	mux.Handle("GET /playground/", playgroundAssets())
	mux.Handle(livechat.Path, livechat.Handler())
	a.webhookRoutes(mux)
	a.metricsRoute(mux)
	mux.HandleFunc("GET /schema.graphql", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(parley.SchemaSDL)
	})
	// A web app fetches it like /query (a simple GET: no preflight), under the same CORS rule.
	mux.Handle("GET "+PossibleTypesPath, a.withCORS(possibleTypesHandler(graph.NewExecutableSchema(graph.Config{}).Schema()), queryCORS))
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
	return a.requestLog(withGzip(a.recoverPanics(a.measure(mux))))
}

func (a *App) graphqlServer() http.Handler {
	res := &graph.Resolver{
		Log: a.log, OrgPlan: a.cfg.Plan, Auth: a.Auth, Directory: a.Users, Presence: a.Online,
		ChatService: a.Chat, Inbox: a.Inbox, Access: a.Access, Feed: a.Feed, Calls: a.Calls, Settings: a.Settings, Downloads: a.Signer, Avatars: a.AvatarSigner,
		VisitorLimit:  ratelimit.New(visitorBurst(a.cfg), 10*time.Second).SetClock(a.cfg.Now),
		VisitorWrites: ratelimit.New(graph.VisitorWriteBurst, cmp.Or(a.cfg.VisitorWriteInterval, graph.VisitorWriteInterval)).SetClock(a.cfg.Now),
	}
	srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: res, Complexity: graph.NewComplexity()}))
	srv.AddTransport(a.Live.Transport()) // first: an upgrade is a GET
	srv.AddTransport(transport.Options{})
	srv.AddTransport(limitedGET{})
	srv.AddTransport(limitedPOST{maxBody: cmp.Or(a.cfg.MaxBodyBytes, DefaultMaxBody)})
	// Uploads stream to the resolver, which applies the conversation's own
	// (smaller or equal) limit; this is only the cap for any conversation.
	// A request without a valid token is refused before its files are read.
	srv.AddTransport(upload.Transport{
		MaxFileSize: max(chat.MaxFileSize, a.cfg.InternalFileLimit),
		Authorize:   graph.RequireToken,
	})
	queries := smallQueries[*ast.QueryDocument]{lru.New[*ast.QueryDocument](1000), func(q string, _ *ast.QueryDocument) string { return q }}
	srv.SetQueryCache(queries)
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: smallQueries[string]{lru.New[string](1000), func(_, q string) string { return q }}})
	srv.Use(graph.DocumentLimits{Checked: queries}) // after APQ, which fills in the query
	srv.Use(extension.FixedComplexityLimit(graph.Complexity))
	srv.Use(graph.RejectNUL{})
	srv.Use(a.Fanout)
	srv.AroundOperations(noteOperation)
	srv.AroundResponses(graph.ResponseTime(a.cfg.Now))
	srv.AroundResponses(noteMetricsOperation)
	srv.AroundFields(graph.Guard)
	srv.AroundFields(res.SealLost)
	srv.AroundFields(graph.HideAgentsAid)
	srv.SetErrorPresenter(a.presentError)
	srv.SetRecoverFunc(graph.Recover(a.log))
	return srv
}

// authenticate resolves the bearer token of an HTTP request. A missing or bad
// token is not refused here: the GraphQL guard answers UNAUTHENTICATED for
// the fields that need one, so clients see a GraphQL error, not a 401. A
// WebSocket is authenticated at its connection_init, by live.
func (a *App) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" || live.IsWebsocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		v, err := a.Auth.Authenticate(ctx, h)
		switch {
		case err == nil:
			ctx = auth.WithViewer(ctx, v)
			logx.NoteUser(ctx, viewerName(v))
		case apperr.CodeOf(err) == apperr.Internal:
			logx.From(ctx).Error("authenticating a request", "err", err)
			logx.NoteCode(ctx, string(apperr.Internal))
			writeInternal(w, r)
			return
		default:
			ctx = auth.WithBadToken(ctx)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// writeInternal answers a request that failed before GraphQL could run it
// (the database is unreachable) with GraphQL's INTERNAL error, with the
// status GraphQL over HTTP asks for: 200 for application/json, so clients
// read it as a GraphQL error (and keep their login), 500 for
// application/graphql-response+json.
func writeInternal(w http.ResponseWriter, r *http.Request) {
	status, ctype := http.StatusOK, "application/json"
	if !wantsPlainJSON(r) {
		status = http.StatusInternalServerError
		if strings.Contains(r.Header.Get("Accept"), "application/graphql-response+json") {
			ctype = "application/graphql-response+json"
		}
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}` + "\n"))
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
		client := clientIP(r, a.cfg.TrustedProxies)
		info := &logx.Request{}
		ctx := logx.WithRequest(logx.With(ratelimit.WithClientIP(r.Context(), client), log), info)
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(ctx))
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Float64("ms", logx.MS(time.Since(start))), slog.String("client", client)}
		op, user, codes := info.Fields()
		if op != "" {
			attrs = append(attrs, slog.String("operation", op))
		}
		if user != "" {
			attrs = append(attrs, slog.String("user", user))
		}
		if len(codes) > 0 {
			attrs = append(attrs, slog.Any("errors", codes))
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// viewerName is who a request line names: a colleague's user id, or a
// Live Chat visitor's session.
func viewerName(v *auth.Viewer) string {
	if v.UserID != "" {
		return string(v.UserID)
	}
	return "visitor:" + string(v.VisitorSessionID)
}

// noteOperation names the GraphQL operation on the request line.
func noteOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if oc := graphql.GetOperationContext(ctx); oc != nil {
		logx.NoteOperation(ctx, operationName(oc))
	}
	return next(ctx)
}

// operationName is what request lines and metrics call an operation: the
// name in the document that ran, else (anonymous) its first root field,
// which validation made one of the schema's, else its type.
func operationName(oc *graphql.OperationContext) string {
	op := oc.Operation
	if op == nil {
		return oc.OperationName
	}
	if op.Name != "" {
		return op.Name
	}
	if len(op.SelectionSet) > 0 {
		if f, ok := op.SelectionSet[0].(*ast.Field); ok {
			return f.Name
		}
	}
	return string(op.Operation)
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
