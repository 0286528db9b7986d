package pubsub

import (
	"context"
	"fmt"

	"parley/ent"
	"parley/server/db"
)

// Append records entries with the change they report: they are inserted
// when tx commits, right before the commit itself, in the order appended.
// Every write to the log goes through here.
//
// An entry's id is its position, and ids must follow commit order: a
// reader that has seen id N must never find a smaller one later. On SQLite
// writers are serialised (db.Tx), so they do. On PostgreSQL transactions
// run side by side, so only the tail of those that write events —
// inserting the entries and committing — is serialised, on a
// transaction-scoped advisory lock held from the insert to the end of the
// commit: the next writer takes its ids only after the previous one's are
// visible. Everything before the tail (the change itself, its row locks)
// still runs concurrently.
//
// Within a conversation this is also the order of its messages: their
// numbers (seq) are taken under the conversation's row lock, held until
// commit, so a later number commits — and is logged — later.
func Append(d *db.DB, tx *ent.Tx, entries ...*ent.EventCreate) {
	if len(entries) == 0 {
		return
	}
	postgres := d.IsPostgres()
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			// Several Appends in one transaction are nested hooks: the first
			// (outermost) takes the lock, the others find it taken.
			if postgres && ctx.Value(logLocked{}) == nil {
				if _, err := tx.ExecContext(ctx, lockLog); err != nil {
					return fmt.Errorf("locking the event log: %w", err)
				}
				ctx = context.WithValue(ctx, logLocked{}, true)
			}
			if err := tx.Event.CreateBulk(entries...).Exec(ctx); err != nil {
				return err
			}
			return next.Commit(ctx, tx)
		})
	})
}

type logLocked struct{}

// lockLog serialises the log's writers until their commit ends. The key is
// the table itself: every writer of this log takes the same lock, and a
// Parley in another schema of the same database its own. (The identity
// sequence that numbers the entries must keep its default CACHE 1, or
// sessions would hand out ids from blocks out of order.)
const lockLog = `SELECT pg_advisory_xact_lock('events'::regclass::oid::bigint)`
