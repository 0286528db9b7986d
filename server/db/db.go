// Package db opens Parley's database from DATABASE_URL — embedded SQLite
// (modernc, pure Go) or PostgreSQL (lib/pq) — and brings its schema up to
// date with the versioned migrations in migrations/.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"parley/ent"
)

//go:embed migrations
var migrations embed.FS

// DB is an open database: the ent client and what sits under it.
type DB struct {
	*ent.Client
	SQL     *sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
	// writeMu serialises write transactions on SQLite (nil on PostgreSQL).
	writeMu chan struct{}
	// DSN is the driver's connection string (for PostgreSQL's LISTEN).
	DSN string
	// writes counts SQLite's write transactions, for the checkpointer;
	// stopCheckpoints ends it (nil on PostgreSQL).
	writes          atomic.Uint64
	stopCheckpoints func()
}

// IsPostgres reports whether the database is PostgreSQL.
func (d *DB) IsPostgres() bool { return d.Dialect == dialect.Postgres }

// Close closes the client and the pool.
func (d *DB) Close() error {
	if d.stopCheckpoints != nil {
		d.stopCheckpoints()
	}
	return d.Client.Close()
}

// Ping checks the database answers, for /readyz.
func (d *DB) Ping(ctx context.Context) error { return d.SQL.PingContext(ctx) }

// Open connects to the database a URL names: "sqlite://FILE" or "postgres://…".
func Open(rawURL string) (*DB, error) {
	drv, dsn, dia, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	registered, err := sql.Open(drv, dsn) // only for its driver
	if err != nil {
		return nil, err
	}
	_ = registered.Close()
	sqlDB := sql.OpenDB(connector{drv: registered.Driver(), dsn: dsn})
	if dia == dialect.SQLite {
		// One writer at a time is SQLite's rule; immediate transactions make
		// writers queue on busy_timeout instead of failing on lock upgrade.
		sqlDB.SetMaxOpenConns(8)
		// Keep them all: database/sql keeps two idle by default, and a
		// connection closed on return takes its prepared statements with
		// it, so busy moments reopened connections (their pragmas, their
		// statements) at every request.
		sqlDB.SetMaxIdleConns(8)
	} else {
		sqlDB.SetMaxOpenConns(40)
		sqlDB.SetMaxIdleConns(40)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{Client: ent.NewClient(ent.Driver(entsql.OpenDB(dia, sqlDB))), SQL: sqlDB, Dialect: dia, DSN: dsn}
	if dia == dialect.SQLite {
		d.writeMu = make(chan struct{}, 1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go d.checkpoints(ctx, done)
		d.stopCheckpoints = sync.OnceFunc(func() { cancel(); <-done })
	}
	return d, nil
}

// parseURL turns DATABASE_URL into a database/sql driver name and DSN.
func parseURL(rawURL string) (driver, dsn, dia string, err error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		path := strings.TrimPrefix(rawURL, "sqlite://")
		query := ""
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path, query = path[:i], path[i+1:]
		}
		if path == "" {
			return "", "", "", fmt.Errorf("DATABASE_URL %q names no file", rawURL)
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return "", "", "", err
			}
		}
		params := url.Values{}
		params.Add("_pragma", "foreign_keys(1)")
		params.Add("_pragma", "journal_mode(WAL)")
		params.Add("_pragma", "busy_timeout(10000)")
		params.Add("_pragma", "synchronous(NORMAL)")
		params.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", autoCheckpointPages))
		params.Set("_txlock", "immediate")
		if query != "" {
			extra, err := url.ParseQuery(query)
			if err != nil {
				return "", "", "", fmt.Errorf("DATABASE_URL: %w", err)
			}
			for k, vs := range extra {
				for _, v := range vs {
					params.Add(k, v)
				}
			}
		}
		return "sqlite", "file:" + path + "?" + params.Encode(), dialect.SQLite, nil
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		u, err := url.Parse(rawURL)
		if err != nil {
			// url.Parse's error repeats the URL, password and all, and its
			// reason can quote a piece of the password: say neither.
			return "", "", "", errors.New("DATABASE_URL is not a valid URL: percent-encode characters such as @ : / ? # in the user name and password")
		}
		q := u.Query()
		if q.Get("sslmode") == "" {
			// lib/pq's default is "require"; libpq's is "prefer", which also
			// reaches a local server that has no certificate.
			q.Set("sslmode", "prefer")
		}
		if q.Get("binary_parameters") == "" {
			// One round trip per statement instead of two (Parse+Describe,
			// then Bind+Execute): +20% sends/s (BENCHMARKS.md). It sends
			// []byte in binary form, hence JSON columns are `json`, not `jsonb`.
			q.Set("binary_parameters", "yes")
		}
		u.RawQuery = q.Encode()
		if _, err := pq.NewConnector(u.String()); err != nil {
			return "", "", "", fmt.Errorf("DATABASE_URL: %w", err)
		}
		return "postgres", u.String(), dialect.Postgres, nil
	}
	return "", "", "", fmt.Errorf("DATABASE_URL must start with sqlite:// or postgres://%s", schemeOf(rawURL))
}

// schemeOf names the scheme a wrong DATABASE_URL has, for its error: never
// more of the URL, which may hold a password.
func schemeOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Scheme != "" {
		return fmt.Sprintf(", not %s://", u.Scheme)
	}
	return ""
}

// Migrate applies every migration not yet applied. It is safe to run on
// every start, also from several instances at once on PostgreSQL (a session
// lock serialises them).
func (d *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	p, err := d.migrations()
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrating the database: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "ms", r.Duration.Milliseconds())
	}
	return nil
}

// migrations returns goose's provider of the database's migrations.
func (d *DB) migrations() (*goose.Provider, error) {
	sub := "migrations/sqlite"
	gooseDialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if d.IsPostgres() {
		sub, gooseDialect = "migrations/postgres", goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	fsys, err := fs.Sub(migrations, sub)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(gooseDialect, d.SQL, fsys, opts...)
}

// Rebind adapts a query written with PostgreSQL's $1, $2 … placeholders to
// the database in use (SQLite numbers them ?1, ?2 …).
func (d *DB) Rebind(q string) string {
	if d.IsPostgres() {
		return q
	}
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
			b.WriteByte('?')
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
