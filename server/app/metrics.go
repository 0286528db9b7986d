package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"parley/graph"
	"parley/server/channel"
	"parley/server/live"
)

// instrument gives the services their metrics hooks and registers the
// series read at each scrape. Called once everything is built.
func (a *App) instrument() {
	m := a.metrics
	m.DB(a.DB.SQL)
	m.Gauge("websockets_open", "WebSockets open now.", func() float64 { n, _ := a.Live.Open(); return float64(n) })
	m.Counter("websockets_opened_total", "WebSockets opened since start.", func() float64 { return float64(a.Live.Opened()) })
	m.Gauge("subscriptions_open", "GraphQL operations (subscriptions) running on open WebSockets.",
		func() float64 { _, n := a.Live.Open(); return float64(n) })
	m.Gauge("pubsub_subscribers", "Event subscribers registered in the hub.", func() float64 { return float64(a.Hub.Subscribers()) })
	m.Counter("pubsub_deliveries_total", "Events handed to subscribers.", func() float64 { return float64(a.Hub.Delivered()) })
	m.Counter("pubsub_drops_total", "Subscribers dropped for falling behind (they resume from the log).",
		func() float64 { return float64(a.Hub.Drops()) })
	m.Gauge("relay_lag_entries", "Event log entries past the relay's position at its last read.",
		func() float64 { n, _ := a.Relay.Lag(); return float64(n) })
	m.Gauge("relay_lag_seconds", "How long the relay has been behind the event log's head (0 when caught up).",
		func() float64 { _, s := a.Relay.Lag(); return s })
	m.Gauge("outbox_depth", "Outbox entries waiting to be sent (PENDING).", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := a.Outbox.Depth(ctx)
		if err != nil {
			return -1 // the database did not answer
		}
		return float64(n)
	})
	a.Outbox.Observe = func(kind channel.Kind, outcome string) {
		m.OutboxDeliveries.WithLabelValues(a.kindLabel(kind), outcome).Inc()
	}
	a.Chat.Transcriptions.Observe = func(outcome string) { m.Transcriptions.WithLabelValues(outcome).Inc() }
}

// kindLabel is a channel kind as a label: one Parley knows, lower case
// (a webhook's kind comes from its URL).
func (a *App) kindLabel(k channel.Kind) string {
	switch k {
	case channel.SMS, channel.WhatsApp, channel.Messenger, channel.Instagram, channel.LiveChat:
		return strings.ToLower(string(k))
	}
	return "unknown"
}

// presentError is graph.ErrorPresenter, counting errors by code.
func (a *App) presentError(ctx context.Context, err error) *gqlerror.Error {
	e := graph.ErrorPresenter(ctx, err)
	code, _ := e.Extensions["code"].(string)
	a.metrics.GraphQLErrors.WithLabelValues(code).Inc()
	return e
}

// metricsRoute serves /metrics on the main port, unless PARLEY_METRICS_ADDR
// gives it an address of its own (kept off the public port).
func (a *App) metricsRoute(mux *http.ServeMux) {
	if a.cfg.MetricsAddr == "" {
		mux.Handle("GET /metrics", a.metrics.Handler())
	}
}

// listenMetrics opens PARLEY_METRICS_ADDR, if set, so a bad address fails at start.
func (a *App) listenMetrics() error {
	if a.cfg.MetricsAddr == "" {
		return nil
	}
	l, err := net.Listen("tcp", a.cfg.MetricsAddr)
	if err != nil {
		return err
	}
	a.metricsListener = l
	return nil
}

// MetricsAddr is the address /metrics is served on apart ("" on the main port).
func (a *App) MetricsAddr() string {
	if a.metricsListener == nil {
		return ""
	}
	return a.metricsListener.Addr().String()
}

// serveMetrics serves /metrics on its own address until ctx ends.
func (a *App) serveMetrics(ctx context.Context) {
	if a.metricsListener == nil {
		return
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(a.metricsListener); err != nil && !errors.Is(err, http.ErrServerClosed) && ctx.Err() == nil {
		a.log.Error("serving metrics", "err", err)
	}
}

// operationNote is where the GraphQL layer tells the HTTP middleware what
// the request ran.
type operationNote struct {
	mu     sync.Mutex
	name   string
	errors bool
}

type operationNoteKey struct{}

// noteMetricsOperation, a response middleware, records the operation's name (or
// its first root field's, when anonymous) and whether it answered errors.
func noteMetricsOperation(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	note, _ := ctx.Value(operationNoteKey{}).(*operationNote)
	if note == nil || !graphql.HasOperationContext(ctx) {
		return resp
	}
	name := operationName(graphql.GetOperationContext(ctx))
	note.mu.Lock()
	note.name = name
	note.errors = note.errors || (resp != nil && len(resp.Errors) > 0)
	note.mu.Unlock()
	return resp
}

// measure counts and times requests by route (the mux's pattern) and, on
// /query, operation, and counts webhooks by provider and status. It wraps
// the mux directly, which sets the pattern on the request it is handed.
// WebSockets are counted by live (their request lasts as long as they do).
func (a *App) measure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if live.IsWebsocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		note := &operationNote{}
		r = r.WithContext(context.WithValue(r.Context(), operationNoteKey{}, note))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		note.mu.Lock()
		operation, gqlErrors := "", note.errors
		if note.name != "" || strings.HasSuffix(route, "/query") {
			operation = a.metrics.Operation(note.name)
		}
		note.mu.Unlock()
		outcome := "ok"
		switch {
		case rec.status >= 500:
			outcome = "server_error"
		case rec.status >= 400:
			outcome = "client_error"
		case gqlErrors:
			outcome = "graphql_error"
		}
		a.metrics.HTTPRequests.WithLabelValues(route, operation, outcome).Inc()
		a.metrics.HTTPDuration.WithLabelValues(route, operation).Observe(time.Since(start).Seconds())
		if strings.Contains(route, "/webhooks/{kind}") {
			a.metrics.WebhookRequests.WithLabelValues(a.kindLabel(channel.Kind(strings.ToUpper(r.PathValue("kind")))),
				strconv.Itoa(rec.status)).Inc()
		}
	})
}

var _ graphql.ResponseMiddleware = noteMetricsOperation
