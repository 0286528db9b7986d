// Package apitest runs Parley for tests: a real HTTP server over a fresh
// database — embedded SQLite, and PostgreSQL when one is reachable — with
// clients that speak GraphQL over HTTP and WebSocket as real clients do.
package apitest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/lib/pq"
	"golang.org/x/crypto/bcrypt"

	"parley/graph/model"
	"parley/server/app"
)

// DefaultPostgres is where the PostgreSQL suite looks unless PARLEY_TEST_POSTGRES says otherwise.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Env is one running server with its own database.
type Env struct {
	T       testing.TB
	Backend string // "sqlite" or "postgres"
	App     *app.App
	Server  *httptest.Server
	URL     string // http://127.0.0.1:port
	Clock   *Clock
	Admin   *Client

	cancel  context.CancelFunc
	users   atomic.Int64
	dbProxy *tcpProxy
	stop    func()
}

// Stop stops the server now (as a restart would), not at the end of the
// test: its background work ends, the database stays.
func (e *Env) Stop() { e.stop() }

// Options change how the server is configured.
type Options struct {
	Plan        model.Plan
	CORSOrigins []string
	// AdminEmail and AdminPassword configure the bootstrap admin, and are
	// what Env.Admin logs in with.
	AdminEmail    string
	AdminPassword string
	// Configure may change the configuration last.
	Configure func(*app.Config)
	// DatabaseURL runs the server on an existing database (another instance's).
	DatabaseURL string
	// SmallSendBuffers gives the server's connections small, fixed socket
	// send buffers, so a client that stops reading backs the server up at
	// once instead of after megabytes.
	SmallSendBuffers bool
	// BreakableDatabase lets the test make the database unreachable
	// (BreakDatabase): on PostgreSQL the server reaches it through a proxy.
	BreakableDatabase bool
}

// TrustLoopback is an Options.Configure that trusts the test's own
// address as a proxy, so that Client.From can name the client address.
func TrustLoopback(c *app.Config) {
	c.TrustedProxies = append(c.TrustedProxies, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
}

// Backends are the databases every API test runs against.
var Backends = []string{"sqlite", "postgres"}

// Run runs fn once against SQLite and once against PostgreSQL, as subtests.
func Run(t *testing.T, fn func(t *testing.T, env *Env)) {
	RunWith(t, Options{}, fn)
}

// RunWith is Run with options.
// Tests run in parallel: each has a database of its own.
func RunWith(t *testing.T, opts Options, fn func(t *testing.T, env *Env)) {
	t.Helper()
	t.Parallel()
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			fn(t, Start(t, backend, opts))
		})
	}
}

// Start starts a server on the backend, stopped when the test ends.
func Start(t testing.TB, backend string, opts Options) *Env {
	t.Helper()
	dbURL := opts.DatabaseURL
	if dbURL == "" {
		dbURL = DatabaseURL(t, backend)
	}
	var proxy *tcpProxy
	if opts.BreakableDatabase && backend == "postgres" {
		proxy, dbURL = proxyDatabase(t, dbURL)
	}
	clock := &Clock{}
	cfg := app.Config{
		DatabaseURL:   dbURL,
		DataDir:       t.TempDir(),
		Plan:          model.PlanEnterprise,
		CORSOrigins:   opts.CORSOrigins,
		AdminEmail:    "admin@parley.test",
		AdminPassword: "admin-password",
		BcryptCost:    bcrypt.MinCost,
		Now:           clock.Now,
		Log:           slog.New(&testLogHandler{t: t, done: new(atomic.Bool)}),
	}
	if opts.Plan != "" {
		cfg.Plan = opts.Plan
	}
	if opts.AdminEmail != "" {
		cfg.AdminEmail, cfg.AdminPassword = opts.AdminEmail, opts.AdminPassword
	}
	// Admin logs in with these even if Configure changes what the server
	// is configured with (a restart with another PARLEY_ADMIN_PASSWORD).
	adminEmail, adminPassword := cfg.AdminEmail, cfg.AdminPassword
	// The listener exists before the server starts: the app names itself
	// by it in the URLs it hands out (Attachment.url).
	srv := httptest.NewUnstartedServer(nil)
	cfg.PublicURL = "http://" + srv.Listener.Addr().String()
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg)
	if err != nil {
		cancel()
		srv.Close()
		t.Fatalf("starting parley on %s: %v", backend, err)
	}
	srv.Config.Handler = a.Handler()
	if opts.SmallSendBuffers {
		srv.Listener = smallSendBuffers{srv.Listener}
	}
	srv.Start()
	env := &Env{T: t, Backend: backend, App: a, Server: srv, URL: srv.URL, Clock: clock, cancel: cancel, dbProxy: proxy}
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	env.stop = sync.OnceFunc(func() {
		srv.CloseClientConnections()
		srv.Close()
		// As a real shutdown (App.Serve): the WebSockets too, which the test
		// server forgets once hijacked, so that none still reads the
		// database once it is closed.
		closing, cancelClosing := context.WithTimeout(context.Background(), 5*time.Second)
		a.Live.CloseAll(closing)
		cancelClosing()
		cancel()
		<-done
		a.Close()
		if h, ok := cfg.Log.Handler().(*testLogHandler); ok { // Configure may have replaced it
			h.done.Store(true)
		}
	})
	t.Cleanup(env.stop)
	env.Admin = env.Login(adminEmail, adminPassword)
	return env
}

// DatabaseURL returns a fresh, empty database on the backend for one test.
func DatabaseURL(t testing.TB, backend string) string {
	t.Helper()
	if backend == "sqlite" {
		return "sqlite://" + filepath.Join(t.TempDir(), "parley.db")
	}
	base := postgresBase(t)
	schema := "t_" + randomHex(6)
	db, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("postgres", base)
		if err == nil {
			_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

var (
	pgOnce sync.Once
	pgURL  string
	pgErr  error
)

// postgresBase returns PARLEY_TEST_POSTGRES (or the local default) if a
// server answers there. Otherwise the test is skipped, and says why — unless
// PARLEY_REQUIRE_POSTGRES is set (CI), where it fails.
func postgresBase(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() {
		pgURL = os.Getenv("PARLEY_TEST_POSTGRES")
		if pgURL == "" {
			pgURL = DefaultPostgres
		}
		db, err := sql.Open("postgres", pgURL)
		if err != nil {
			pgErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		pgErr = db.PingContext(ctx)
	})
	if pgErr != nil {
		msg := fmt.Sprintf("PostgreSQL suite skipped: no server at %s (%v); set PARLEY_TEST_POSTGRES to a database URL to run it", redact(pgURL), pgErr)
		if os.Getenv("PARLEY_REQUIRE_POSTGRES") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return pgURL
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Clock is the server's clock in tests: real time, plus whatever the test
// has advanced it by.
type Clock struct{ offset atomic.Int64 }

// Now returns the current test time, in UTC.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())).UTC() }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// testLogHandler shows warnings and errors in the test's log (and nothing
// once the test has ended).
type testLogHandler struct {
	t     testing.TB
	done  *atomic.Bool
	attrs []slog.Attr
}

func (h *testLogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *testLogHandler) Handle(_ context.Context, r slog.Record) error {
	if h.done.Load() {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	for _, a := range h.attrs {
		b.WriteString(" " + a.String())
	}
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	h.t.Log(b.String())
	return nil
}

func (h *testLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &testLogHandler{t: h.t, done: h.done, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h *testLogHandler) WithGroup(string) slog.Handler { return h }

// smallSendBuffers sets a 16 KiB send buffer on every accepted connection.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}
