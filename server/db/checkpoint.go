package db

import (
	"context"
	"time"
)

// SQLite copies its write-ahead log back into the database file (a
// checkpoint) once the log passes 1,000 pages, by default in the commit
// that crossed the mark: that writer, and every writer queued behind it
// (Tx), waits for the copy and its fsyncs. Here a checkpointer does it,
// off the writers' path, soon after writes; the automatic checkpoint stays
// as a backstop should it fall behind.
const (
	checkpointEvery     = 250 * time.Millisecond
	autoCheckpointPages = 10_000 // about 40 MB of log
)

// checkpoints runs a passive checkpoint (as much as it can without waiting
// for readers or writers) every checkpointEvery while there were writes.
func (d *DB) checkpoints(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	var seen uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n := d.writes.Load(); n != seen {
			seen = n
			// A failure costs nothing: the next one, or the backstop, copies it.
			_, _ = d.SQL.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}
