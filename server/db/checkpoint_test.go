package db_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/ent"
	"parley/server/db"
)

// SQLite's log is copied into the database soon after writes, by the
// checkpointer, not once a writer's commit passes the automatic mark: a
// few hundred pages written reach the database file by themselves.
func TestTheLogIsCheckpointedOffTheWritersPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	d, err := db.Open("sqlite://" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.SQL.ExecContext(t.Context(), `CREATE TABLE filler (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	blob := []byte(strings.Repeat("x", 2000))
	for i := 0; i < 200; i++ { // about 100 pages of 4 KB, far below the automatic mark
		if err := d.Tx(t.Context(), func(tx *ent.Tx) error {
			_, err := tx.ExecContext(t.Context(), `INSERT INTO filler (b) VALUES (?)`, blob)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); size() < before+200*2000; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is still %d bytes (%d before 400 KB were written): the log was not checkpointed", size(), before)
		}
	}
}

// BenchmarkSQLiteWrites is one writer committing small transactions of
// about half a page each, as messages are: the time of a commit, and of the
// checkpoints that come with the log's growth.
func BenchmarkSQLiteWrites(b *testing.B) {
	d, err := db.Open("sqlite://" + filepath.Join(b.TempDir(), "parley.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if _, err := d.SQL.ExecContext(b.Context(), `CREATE TABLE filler (b BLOB)`); err != nil {
		b.Fatal(err)
	}
	blob := []byte(strings.Repeat("x", 2000))
	b.ResetTimer()
	for b.Loop() {
		if err := d.Tx(b.Context(), func(tx *ent.Tx) error {
			_, err := tx.ExecContext(b.Context(), `INSERT INTO filler (b) VALUES (?)`, blob)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}
