// Package metrics owns Parley's Prometheus metrics: one registry per App
// (not the global one, so several servers can run in one process), the
// series' names and labels, and the bound on client-chosen label values.
// The other packages do not import it: the wiring hands them hooks, or
// reads their counters when scraped.
package metrics

import (
	"database/sql"
	"net/http"
	"regexp"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every series of Parley's own.
const Namespace = "parley"

// Metrics is one App's registry and the series it updates directly.
type Metrics struct {
	Registry *prometheus.Registry

	// HTTPRequests counts requests by route, GraphQL operation ("" off
	// /query) and outcome (ok, graphql_error, client_error, server_error).
	HTTPRequests *prometheus.CounterVec
	// HTTPDuration is how long requests take, by route and operation.
	HTTPDuration *prometheus.HistogramVec
	// GraphQLErrors counts the errors clients are shown, by API code.
	GraphQLErrors *prometheus.CounterVec
	// WebhookRequests counts providers' webhook calls by provider and the
	// HTTP status answered.
	WebhookRequests *prometheus.CounterVec
	// OutboxDeliveries counts delivery attempts by channel kind and
	// outcome (sent, retry, failed).
	OutboxDeliveries *prometheus.CounterVec
	// Transcriptions counts transcription attempts by outcome (done, retry, failed).
	Transcriptions *prometheus.CounterVec

	operations *bounded
}

// MaxOperations bounds the distinct operation names kept as labels; the
// rest are "other".
const MaxOperations = 200

// New returns a registry with the Go runtime and process collectors and
// Parley's series.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP requests by route, GraphQL operation and outcome."}, []string{"route", "operation", "outcome"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "HTTP request latency by route and GraphQL operation (WebSockets excluded).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route", "operation"}),
		GraphQLErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "graphql_errors_total",
			Help: "GraphQL errors returned to clients, by extensions.code."}, []string{"code"}),
		WebhookRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "webhook_requests_total",
			Help: "Provider webhook requests by provider and HTTP status answered."}, []string{"provider", "result"}),
		OutboxDeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "outbox_deliveries_total",
			Help: "Outbox delivery attempts by channel kind and outcome (sent, retry, failed)."}, []string{"channel", "outcome"}),
		Transcriptions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "transcriptions_total",
			Help: "Transcription attempts by outcome (done, retry, failed)."}, []string{"outcome"}),
		operations: &bounded{max: MaxOperations, seen: map[string]bool{}},
	}
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPRequests, m.HTTPDuration, m.GraphQLErrors, m.WebhookRequests, m.OutboxDeliveries, m.Transcriptions)
	return m
}

// Handler serves the registry in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Gauge registers a gauge read from f at each scrape.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, f))
}

// Counter registers a counter read from f (which must never decrease) at each scrape.
func (m *Metrics) Counter(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, f))
}

// DB registers the connection pool's statistics (go_sql_*{db_name="parley"}).
func (m *Metrics) DB(db *sql.DB) {
	m.Registry.MustRegister(collectors.NewDBStatsCollector(db, Namespace))
}

// Operation is the label for a client-chosen operation name: "anonymous"
// for none, "other" for one that is not a plain name or comes after
// MaxOperations others.
func (m *Metrics) Operation(name string) string {
	if name == "" {
		return "anonymous"
	}
	if !plainName.MatchString(name) {
		return "other"
	}
	return m.operations.label(name)
}

var plainName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// bounded keeps the first max values it is asked about.
type bounded struct {
	mu   sync.Mutex
	max  int
	seen map[string]bool
}

func (b *bounded) label(v string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen[v] {
		return v
	}
	if len(b.seen) >= b.max {
		return "other"
	}
	b.seen[v] = true
	return v
}
