package db_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"parley/ent/migrate"
	"parley/server/apitest"
	"parley/server/db"
)

// The versioned migrations must build exactly the schema ent describes:
// after applying them, ent finds nothing to add. (A schema change without a
// new migration fails here; see README for newmigration.)
func TestMigrationsMatchTheSchema(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			d, err := db.Open(apitest.DatabaseURL(t, backend))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			if err := d.Migrate(ctx, log); err != nil {
				t.Fatal(err)
			}
			// Running them again is safe (every start does).
			if err := d.Migrate(ctx, log); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := migrate.NewSchema(entsql.OpenDB(d.Dialect, d.SQL)).WriteTo(ctx, &buf); err != nil {
				t.Fatal(err)
			}
			var missing []string
			for _, line := range strings.Split(buf.String(), "\n") {
				if line = strings.TrimSpace(line); line != "" && line != "BEGIN;" && line != "COMMIT;" {
					missing = append(missing, line)
				}
			}
			if len(missing) > 0 {
				t.Fatalf("the migrations lack what ent/schema describes; run go run ./server/db/newmigration NAME:\n%s", strings.Join(missing, "\n"))
			}
		})
	}
}
