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
// An entry's id is its position, and a reader must never find an id below
// one it has already read. On SQLite writers are serialised (db.Tx), so
// ids follow commit order. On PostgreSQL transactions run side by side:
// each holds the log's lock shared from taking its ids (the insert) to the
// end of its commit, so tails still overlap and share their WAL flushes.
// Readers need no lock for ids contiguous from a final cursor; one that
// takes the lock exclusively (Log.Head, for an id missing a while) knows
// every id taken before it was granted is final. That wait is only for
// commits in progress: a transaction open elsewhere, however long, holds
// no ids yet.
//
// Ids taken at commit follow commit order: a transaction takes its ids
// only once everything it waited for has committed, and only commits in
// progress at the same moment may come in either order. Within a
// conversation that is the order of its messages: their numbers (seq) are
// taken under the conversation's row lock, held until commit, so a later
// number takes its entry's id later.
func Append(d *db.DB, tx *ent.Tx, entries ...*ent.EventCreate) {
	if len(entries) == 0 {
		return
	}
	appendAtCommit(d, tx, func() []*ent.EventCreate { return entries })
}

// Appender gathers the entries of one transaction, as Append would,
// inserting them at commit in one statement however many times Add ran.
type Appender struct{ entries []*ent.EventCreate }

// NewAppender returns tx's Appender; call it once per transaction.
func NewAppender(d *db.DB, tx *ent.Tx) *Appender {
	a := &Appender{}
	appendAtCommit(d, tx, func() []*ent.EventCreate { return a.entries })
	return a
}

// Add appends entries, after those added before.
func (a *Appender) Add(entries ...*ent.EventCreate) { a.entries = append(a.entries, entries...) }

func appendAtCommit(d *db.DB, tx *ent.Tx, pending func() []*ent.EventCreate) {
	postgres := d.IsPostgres()
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			entries := pending()
			if len(entries) == 0 {
				return next.Commit(ctx, tx)
			}
			// Several Appends in one transaction are nested hooks: the first
			// (outermost) takes the lock, the others find it taken.
			if postgres && ctx.Value(logLocked{}) == nil {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared(`+logLockKey+`)`); err != nil {
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

// logLockKey names the log's advisory lock by the table itself: every
// writer and reader of this log takes the same lock, and a Parley in
// another schema of the same database its own. (Ids come from the table's
// identity sequence, which must keep its default CACHE 1: sessions caching
// blocks of ids would take them out of order.)
const logLockKey = `'events'::regclass::oid::bigint`
