package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"parley/server/db"
)

// Kept statements give the answers fresh ones would: run again and again,
// while the same statement's rows are still open on the same connection (a
// transaction reading in a loop), after failing, and past the number a
// connection keeps.
func TestKeptStatementsAnswerAsFreshOnes(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, backend string, d *db.DB) {
		ctx := context.Background()
		q := d.Rebind
		if _, err := d.SQL.ExecContext(ctx, `CREATE TABLE kept (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 5; i++ {
			if _, err := d.SQL.ExecContext(ctx, q(`INSERT INTO kept (id, v) VALUES ($1, $2)`), i, fmt.Sprint("v", i)); err != nil {
				t.Fatal(err)
			}
		}
		var v string
		for i := 1; i <= 5; i++ { // the same text each time: one kept statement
			if err := d.SQL.QueryRowContext(ctx, q(`SELECT v FROM kept WHERE id = $1`), i).Scan(&v); err != nil || v != fmt.Sprint("v", i) {
				t.Fatalf("row %d: %q, %v", i, v, err)
			}
		}

		// One connection: the statement's rows are open while it runs again.
		tx, err := d.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		const byMin = `SELECT id FROM kept WHERE id >= $1 ORDER BY id`
		outer, err := tx.QueryContext(ctx, q(byMin), 1)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for outer.Next() {
			var id int
			if err := outer.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
			if backend == "sqlite" { // lib/pq reads one result at a time on a connection
				var n int
				if err := tx.QueryRowContext(ctx, q(`SELECT count(*) FROM (`+byMin+`) x`), id).Scan(&n); err != nil || n != 6-id {
					t.Fatalf("inner count from %d: %d, %v", id, n, err)
				}
				inner, err := tx.QueryContext(ctx, q(byMin), id) // the same text, its statement busy
				if err != nil {
					t.Fatal(err)
				}
				k := 0
				for inner.Next() {
					k++
				}
				if err := inner.Close(); err != nil || k != 6-id {
					t.Fatalf("inner rows from %d: %d, %v", id, k, err)
				}
			}
		}
		if err := outer.Close(); err != nil || fmt.Sprint(got) != "[1 2 3 4 5]" {
			t.Fatalf("outer rows %v, %v", got, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}

		// A failing statement fails as it would unkept, and the connection goes on.
		if _, err := d.SQL.ExecContext(ctx, q(`INSERT INTO kept (id, v) VALUES ($1, $2)`), 1, "again"); err == nil {
			t.Fatal("a duplicate key was inserted")
		}
		if _, err := d.SQL.QueryContext(ctx, q(`SELECT nope FROM kept WHERE id = $1`), 1); err == nil {
			t.Fatal("an unknown column was read")
		}

		// More distinct statements than a connection keeps: the first
		// ones are closed, and still answer when run again.
		for i := 0; i < 300; i++ {
			if err := d.SQL.QueryRowContext(ctx, q(fmt.Sprintf(`SELECT v FROM kept WHERE id = $1 AND %d = %d`, i, i)), 1+i%5).Scan(&v); err != nil || v != fmt.Sprint("v", 1+i%5) {
				t.Fatalf("statement %d: %q, %v", i, v, err)
			}
		}
		if err := d.SQL.QueryRowContext(ctx, q(`SELECT v FROM kept WHERE id = $1 AND 0 = 0`), 3).Scan(&v); err != nil || v != "v3" {
			t.Fatalf("an evicted statement: %q, %v", v, err)
		}
	})
}

// Connections opened under load stay open once it passes (and keep their
// statements): a pool that closed what it could not keep idle reopened a
// connection, with its pragmas and statements, for most requests.
func TestBusyConnectionsAreKept(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, backend string, d *db.DB) {
		ctx := context.Background()
		const busy = 8 // SQLite's pool holds eight
		var conns []*sql.Conn
		for range busy {
			c, err := d.SQL.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if s := d.SQL.Stats(); s.MaxIdleClosed != 0 || s.Idle != busy {
			t.Fatalf("after %d busy connections: %d idle, %d closed for want of idle room", busy, s.Idle, s.MaxIdleClosed)
		}
	})
}
