package db_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"parley/ent/migrate"
	"parley/server/db"
)

// The versioned migrations must build exactly the schema ent describes:
// after applying them, ent finds nothing to add. (A schema change without a
// new migration fails here; see README for newmigration.)
func TestMigrationsMatchTheSchema(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, backend string, d *db.DB) {
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

// Moving unread counts to the chat's counter keeps every member's count:
// after the migration, the chat's counted less the member's unread_base is
// what unread_count was, and a session counts nothing.
func TestUnreadCountsSurviveTheirMigration(t *testing.T) {
	const before = 20261201133055 // members_index_for_hot_updates
	onEachDatabase(t, func(t *testing.T, backend string, d *db.DB) {
		ctx := context.Background()
		if err := d.MigrateUpTo(ctx, before); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := d.SQL.ExecContext(ctx, d.Rebind(q), args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for _, u := range []string{"u1", "u2", "u3"} {
			exec(`INSERT INTO users (id, created_at, updated_at, name, email, password_hash) VALUES ($1, $2, $2, $1, $3, 'x')`,
				u, now, u+"@example.com")
		}
		exec(`INSERT INTO conversations (id, created_at, updated_at, kind, last_seq) VALUES ('g1', $1, $1, 'GROUP', 5), ('e1', $1, $1, 'EXTERNAL', 2)`, now)
		for i, m := range []struct{ conv, author, kind string }{
			{"g1", "system", "SYSTEM"}, {"g1", "u1", "TEXT"}, {"g1", "u2", "TEXT"}, {"g1", "u2", "TEXT"}, {"g1", "u1", "TEXT"},
			{"e1", "c1", "TEXT"}, {"e1", "u3", "TEXT"},
		} {
			exec(`INSERT INTO messages (id, created_at, updated_at, seq, author_key, direction, kind, conversation_id)
					VALUES ($1, $2, $2, $3, $4, 'INTERNAL', $5, $6)`, fmt.Sprint("m", i), now, i+1, m.author, m.kind, m.conv)
		}
		unread := map[[2]string]int{{"g1", "u1"}: 0, {"g1", "u2"}: 1, {"g1", "u3"}: 4, {"e1", "u3"}: 0}
		for k, n := range unread {
			exec(`INSERT INTO members (conversation_id, user_id, joined_at, activity_at, unread_count) VALUES ($1, $2, $3, $3, $4)`,
				k[0], k[1], now, n)
		}
		if err := d.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			t.Fatal(err)
		}
		rows, err := d.SQL.QueryContext(ctx, `SELECT m.conversation_id, m.user_id, c.counted - m.unread_base
				FROM members m JOIN conversations c ON c.id = m.conversation_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[[2]string]int{}
		for rows.Next() {
			var conv, user string
			var n int
			if err := rows.Scan(&conv, &user, &n); err != nil {
				t.Fatal(err)
			}
			got[[2]string{conv, user}] = n
		}
		if !maps.Equal(got, unread) {
			t.Fatalf("unread counts after the migration: %v, want %v", got, unread)
		}
	})
}

// Upgrading keeps the rows: a database made by the first migration, with a
// user, a token, a channel, a contact, a chat and a session with their
// members and messages, has them all after every migration since. (On
// SQLite a migration that rebuilds a table others cascade from would empty
// them: inside goose's transaction PRAGMA foreign_keys = off does nothing.)
func TestUpgradesKeepTheRows(t *testing.T) {
	const first = 20261121055736 // init
	onEachDatabase(t, func(t *testing.T, backend string, d *db.DB) {
		ctx := context.Background()
		if err := d.MigrateUpTo(ctx, first); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
		for _, q := range []string{
			`INSERT INTO users (id, created_at, updated_at, name, email, password_hash, role) VALUES ('u1', $1, $1, 'Ann', 'ann@example.com', 'x', 'ADMIN')`,
			`INSERT INTO tokens (created_at, hash, user_id) VALUES ($1, 'h1', 'u1')`,
			`INSERT INTO channels (id, created_at, updated_at, kind, name, max_file_size) VALUES ('c1', $1, $1, 'SMS', 'Texts', 1)`,
			`INSERT INTO contacts (id, created_at, updated_at, external_id, channel_id) VALUES ('k1', $1, $1, '+15550100', 'c1')`,
			`INSERT INTO conversations (id, created_at, updated_at, kind, last_seq) VALUES ('g1', $1, $1, 'GROUP', 1)`,
			`INSERT INTO conversations (id, created_at, updated_at, kind, last_seq, channel_id, contact_id) VALUES ('s1', $1, $1, 'EXTERNAL', 1, 'c1', 'k1')`,
			`INSERT INTO members (conversation_id, user_id, joined_at, activity_at) VALUES ('g1', 'u1', $1, $1), ('s1', 'u1', $1, $1)`,
			`INSERT INTO messages (id, created_at, updated_at, seq, author_key, direction, kind, conversation_id) VALUES
					('m1', $1, $1, 1, 'u1', 'INTERNAL', 'TEXT', 'g1'), ('m2', $1, $1, 1, 'k1', 'INBOUND', 'TEXT', 's1')`,
		} {
			if _, err := d.SQL.ExecContext(ctx, d.Rebind(q), now); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := d.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"users": 1, "tokens": 1, "channels": 1, "contacts": 1, "conversations": 2, "members": 2, "messages": 2}
		for table, n := range want {
			var got int
			if err := d.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&got); err != nil || got != n {
				t.Errorf("%s after upgrading: %d rows (%v), want %d", table, got, err, n)
			}
		}
		var channel sql.NullString
		if err := d.SQL.QueryRowContext(ctx, `SELECT channel_id FROM conversations WHERE id = 's1'`).Scan(&channel); err != nil || channel.String != "c1" {
			t.Errorf("the session's channel after upgrading: %v (%v)", channel, err)
		}
	})
}
