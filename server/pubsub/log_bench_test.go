package pubsub

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"parley/server/db"
)

// BenchmarkLogAfter times the relay's read of the newest entries with logs
// of growing length: it should not depend on how much the log holds.
//
//	go test ./server/pubsub -run XXX -bench LogAfter
func BenchmarkLogAfter(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, size := range []int{1_000, 100_000} {
			b.Run(fmt.Sprintf("%s/log=%d", backend, size), func(b *testing.B) {
				d := openBenchDB(b, backend)
				ctx := context.Background()
				// One statement fills the log.
				fill := `INSERT INTO events (created_at, type, conversation_id, message_id, agents_only)
					SELECT CURRENT_TIMESTAMP, 'MESSAGE_ADDED', 'ch1', 'ms' || n, false FROM generate_series(1, $1) AS s(n)`
				if !d.IsPostgres() {
					fill = `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $1)
						INSERT INTO events (created_at, type, conversation_id, message_id, agents_only)
						SELECT CURRENT_TIMESTAMP, 'MESSAGE_ADDED', 'ch1', 'ms' || n, false FROM s`
				}
				if _, err := d.SQL.ExecContext(ctx, d.Rebind(fill), size); err != nil {
					b.Fatal(err)
				}
				if d.IsPostgres() { // as autovacuum would; nothing analyzes a SQLite database
					if _, err := d.SQL.ExecContext(ctx, `ANALYZE events`); err != nil {
						b.Fatal(err)
					}
				}
				l := NewLog(d)
				head, err := l.Head(ctx)
				if err != nil {
					b.Fatal(err)
				}
				from := Cursor{ID: head.ID - 5} // the relay is a few entries behind
				for b.Loop() {
					es, err := l.after(ctx, from, head, relayBatch)
					if err != nil || len(es) != 5 {
						b.Fatalf("%d entries, %v", len(es), err)
					}
				}
			})
		}
	}
}

func openBenchDB(b testing.TB, backend string) *db.DB {
	b.Helper()
	var dsn string
	if backend == "sqlite" {
		dsn = "sqlite://" + filepath.Join(b.TempDir(), "bench.db")
	} else {
		base := os.Getenv("PARLEY_TEST_POSTGRES")
		if base == "" {
			base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		admin, err := sql.Open("postgres", base)
		if err != nil {
			b.Fatal(err)
		}
		defer admin.Close()
		raw := make([]byte, 6)
		_, _ = rand.Read(raw)
		schema := "bench_" + hex.EncodeToString(raw)
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			b.Skipf("no PostgreSQL at %s: %v", base, err)
		}
		b.Cleanup(func() {
			if admin, err := sql.Open("postgres", base); err == nil {
				_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
				admin.Close()
			}
		})
		u, _ := url.Parse(base)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	d, err := db.Open(dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		b.Fatal(err)
	}
	return d
}
