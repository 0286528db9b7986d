package pubsub

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"parley/server/history/events"
)

// On PostgreSQL an entry's id is taken only once its transaction holds the
// log's lock (shared), in the statement that inserts it: while a reader
// holds the lock exclusively (Log.Head), a commit in progress waits with
// no id taken, so every id below what Head then reads is final.
func TestAnAppendTakesNoIDBeforeTheLogsLock(t *testing.T) {
	d := openBenchDB(t, "postgres")
	ctx := t.Context()
	holder, err := d.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback() }()
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+logLockKey+`)`); err != nil {
		t.Fatal(err)
	}
	lastID := func() int64 {
		var n sql.NullInt64
		if err := d.SQL.QueryRowContext(ctx, `SELECT pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n.Int64
	}
	before := lastID()

	committed := make(chan error, 1)
	go func() {
		tx, err := d.Client.Tx(context.Background())
		if err != nil {
			committed <- err
			return
		}
		Append(d, tx, Entry{Type: events.ConversationUpdated, UserID: gapUser})
		committed <- tx.Commit()
	}()
	// Wait until the commit waits for the lock.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting bool
		if err := d.SQL.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE locktype = 'advisory' AND NOT granted AND objid = ('events'::regclass)::oid)`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-committed:
			t.Fatalf("the append committed (err %v) while the log's lock was held exclusively", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the commit never waited for the log's lock")
		}
	}
	if got := lastID(); got != before {
		t.Fatalf("an id was taken (%d, before %d) before the log's lock was granted", got, before)
	}
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	if got := lastID(); got != before+1 {
		t.Fatalf("after the lock: last id %d, want %d", got, before+1)
	}
}
