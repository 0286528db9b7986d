package pubsub

import (
	"context"
	"fmt"
	"strings"
	"time"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/db"
	"parley/server/history/events"
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
func Append(d *db.DB, tx *ent.Tx, entries ...Entry) {
	if len(entries) == 0 {
		return
	}
	appendAtCommit(d, tx, func() []Entry { return entries })
}

// Entry is what an entry of the log records: what happened (Type) and
// what it is about.
type Entry struct {
	Type events.Type
	// UserID: only for this user; else everyone who sees the conversation.
	UserID         pulid.ID
	ConversationID pulid.ID
	ChannelID      pulid.ID
	MessageID      pulid.ID
	CallID         pulid.ID
	AgentsOnly     bool
	// SubjectID is the colleague a USER_UPDATED is about.
	SubjectID pulid.ID
	// Counted is a chat's counted after the message a MESSAGE_ADDED
	// adds (0: none).
	Counted int64
}

// Appender gathers the entries of one transaction, as Append would,
// inserting them at commit in one statement however many times Add ran.
type Appender struct{ entries []Entry }

// NewAppender returns tx's Appender; call it once per transaction.
func NewAppender(d *db.DB, tx *ent.Tx) *Appender {
	a := &Appender{}
	appendAtCommit(d, tx, func() []Entry { return a.entries })
	return a
}

// Add appends entries, after those added before.
func (a *Appender) Add(entries ...Entry) { a.entries = append(a.entries, entries...) }

func appendAtCommit(d *db.DB, tx *ent.Tx, pending func() []Entry) {
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if entries := pending(); len(entries) > 0 {
				q, args := insertSQL(d, entries, time.Now().UTC())
				if _, err := tx.ExecContext(ctx, q, args...); err != nil {
					return fmt.Errorf("appending to the event log: %w", err)
				}
			}
			return next.Commit(ctx, tx)
		})
	})
}

// insertSQL is the statement that inserts entries. On PostgreSQL it takes
// the log's lock shared first, in the same statement (one round trip
// fewer at every commit): the lock is a FROM item, so it is granted
// before any row, and so any id, is made. Several Appends in one
// transaction each take it; a lock held is taken again at once.
func insertSQL(d *db.DB, entries []Entry, now time.Time) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, len(entries)*entryArgs)
	b.WriteString(`INSERT INTO events (type, user_id, conversation_id, channel_id, message_id, call_id, subject_id, agents_only, counted, created_at) `)
	postgres := d.IsPostgres()
	if postgres {
		b.WriteString(`SELECT v.* FROM pg_advisory_xact_lock_shared(` + logLockKey + `) AS lock, (`)
	}
	b.WriteString(`VALUES `)
	for i, e := range entries {
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		if postgres { // a VALUES list in a FROM has no column types to go by
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d::boolean, $%d::bigint, $%d::timestamptz)",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10)
		} else {
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		}
		args = append(args, string(e.Type), orNull(e.UserID), orNull(e.ConversationID), orNull(e.ChannelID),
			orNull(e.MessageID), orNull(e.CallID), orNull(e.SubjectID), e.AgentsOnly, countedOrNull(e.Counted), now)
	}
	if postgres {
		b.WriteString(`) AS v`)
	}
	return b.String(), args
}

const entryArgs = 10

func orNull(id pulid.ID) any {
	if id == "" {
		return nil
	}
	return string(id)
}

func countedOrNull(n int64) any {
	if n <= 0 {
		return nil
	}
	return n
}

// logLockKey names the log's advisory lock by the table itself: every
// writer and reader of this log takes the same lock, and a Parley in
// another schema of the same database its own. (Ids come from the table's
// identity sequence, which must keep its default CACHE 1: sessions caching
// blocks of ids would take them out of order.)
const logLockKey = `'events'::regclass::oid::bigint`
