package db

import (
	"context"
	"fmt"

	"parley/ent"
)

// Tx runs fn in a transaction and commits it if fn returns nil.
//
// SQLite allows one writer at a time. Rather than let concurrent writers
// spin on busy_timeout (whose sleeps reach 100 ms and ruin tail latency),
// write transactions queue on a mutex here; PostgreSQL needs none (those
// that write the event log hold a shared lock for their commit's tail:
// pubsub.Append).
func (d *DB) Tx(ctx context.Context, fn func(tx *ent.Tx) error) (err error) {
	if d.writeMu != nil {
		select {
		case d.writeMu <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-d.writeMu }()
		d.writes.Add(1)
	}
	tx, err := d.Client.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		// A commit hook (the event log's, pubsub.Append) may fail before the
		// commit itself: the transaction is still open then.
		_ = tx.Rollback()
		return err
	}
	return nil
}
