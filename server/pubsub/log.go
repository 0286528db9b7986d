package pubsub

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/auth"
	"parley/server/db"
)

// entry is one row of the event log.
type entry struct {
	Cursor
	Entry
	// text is Cursor.String(), encoded once for all who receive the entry.
	text string
}

// key names who reads in the hub: a colleague by their id, a Live Chat
// visitor by their contact.
func key(v *auth.Viewer) string {
	if v.IsVisitor() {
		return VisitorKey(v.VisitorContactID)
	}
	return string(v.UserID)
}

// VisitorKey names a Live Chat visitor (a contact) in the hub.
func VisitorKey(contactID pulid.ID) string { return "contact:" + string(contactID) }

// Log reads the event log.
type Log struct{ db *db.DB }

// NewLog returns a reader of the database's event log.
func NewLog(d *db.DB) *Log { return &Log{db: d} }

const entryColumns = `e.id, e.type, e.user_id, e.conversation_id, e.channel_id, e.message_id, e.call_id, e.agents_only, e.subject_id, e.counted`

// Readers read up to a final cursor: one below which every id is final,
// committed or never to be. On SQLite, whose writers are serialised, the
// newest entry is. On PostgreSQL writers take their ids at commit, side by
// side, holding the log's lock shared (Append), so a visible id may still
// have an uncommitted one below it. Two ways to know more:
//
//   - A run of ids contiguous from a final cursor is final (settled): each
//     is committed, nothing is missing. That takes no lock and is how the
//     relay reads as long as no id is missing.
//   - Taking the log's lock exclusively (Head) waits for the commits in
//     flight, so every id visible when the statement began — and every
//     smaller one — is final once it is granted. Writers arriving meanwhile
//     queue behind it: only for rare callers, and for an id missing for a
//     while (a rollback after taking it, ids skipped by a crash), which only
//     the lock can tell from a commit in flight. tryHead asks for it without
//     waiting or queueing, which succeeds when no commit is in flight.
//
// Nothing else holds a reader back: not even a transaction left open
// elsewhere on the cluster.

// Head returns the log's head (zero if the log is empty): a final cursor,
// the newest. On PostgreSQL it waits for the commits in flight and makes
// writers queue behind it; most callers want HeadWhenIdle.
func (l *Log) Head(ctx context.Context) (Cursor, error) {
	q := `SELECT COALESCE(MAX(e.id), 0) FROM events e`
	if l.db.IsPostgres() {
		q = `SELECT (` + q + `) FROM pg_advisory_xact_lock(` + logLockKey + `)`
	}
	var c Cursor
	err := l.db.SQL.QueryRowContext(ctx, q).Scan(&c.ID)
	return c, err
}

// tryHead returns the log's head if no commit holds the log's lock at this
// moment (ok false otherwise): it never waits, nor queues ahead of writers.
// The snapshot is the statement's, taken before the lock is asked for, as
// in Head. PostgreSQL only.
func (l *Log) tryHead(ctx context.Context) (c Cursor, ok bool, err error) {
	err = l.db.SQL.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock(`+logLockKey+`),
		(SELECT COALESCE(MAX(e.id), 0) FROM events e)`).Scan(&ok, &c.ID)
	return c, ok, err
}

// idleRetry is how often HeadWhenIdle asks for the log's lock.
const idleRetry = 5 * time.Millisecond

// HeadWhenIdle returns the log's head as Head does, but on PostgreSQL first
// waits up to patience for a moment when no commit is in flight, holding
// no writer back; only then does it wait for them.
func (l *Log) HeadWhenIdle(ctx context.Context, patience time.Duration) (Cursor, error) {
	if !l.db.IsPostgres() {
		return l.Head(ctx)
	}
	for deadline := time.Now().Add(patience); ; {
		c, ok, err := l.tryHead(ctx)
		if err != nil || ok {
			return c, err
		}
		if time.Now().Add(idleRetry).After(deadline) {
			return l.Head(ctx)
		}
		select {
		case <-time.After(idleRetry):
		case <-ctx.Done():
			return c, ctx.Err()
		}
	}
}

// settled returns a final cursor known without a lock, given from, a
// final one: on PostgreSQL the end of the run of ids contiguous from it
// (from itself if from+1 is missing), looking no further than relayBatch
// ids ahead; on SQLite the head. Never below from.
func (l *Log) settled(ctx context.Context, from Cursor) (Cursor, error) {
	if !l.db.IsPostgres() {
		head, err := l.Head(ctx)
		if head.Less(from) {
			head = from
		}
		return head, err
	}
	// The first id from on whose successor is missing; one statement, one
	// snapshot. Bounded, so that a reader far behind scans little.
	c := Cursor{ID: from.ID}
	err := l.db.SQL.QueryRowContext(ctx, `SELECT COALESCE((SELECT e.id FROM (
			SELECT $1::bigint AS id UNION ALL SELECT id FROM events WHERE id > $1 AND id <= $1 + $2) e
		WHERE NOT EXISTS (SELECT 1 FROM events f WHERE f.id = e.id + 1)
		ORDER BY e.id LIMIT 1), $1 + $2)`, from.ID, relayBatch).Scan(&c.ID)
	return c, err
}

// contiguous returns how many of entries (in id order, after from) follow
// from without a missing id.
func contiguous(from Cursor, entries []entry) int {
	for i, e := range entries {
		if e.ID != from.ID+int64(i)+1 {
			return i
		}
	}
	return len(entries)
}

// after returns entries after c up to head, for the relay: everyone's, in order.
func (l *Log) after(ctx context.Context, c, head Cursor, limit int) ([]entry, error) {
	q := `SELECT ` + entryColumns + ` FROM events e WHERE e.id > $1 AND e.id <= $2 ORDER BY e.id LIMIT ` + fmt.Sprint(limit)
	return l.query(ctx, q, c.ID, head.ID)
}

// forViewer returns the entries after c up to head that the viewer may
// see (access.LogWhere) and the filter selects, in order: what a reconnecting client missed.
func (l *Log) forViewer(ctx context.Context, v *auth.Viewer, f Filter, c, head Cursor, limit int) ([]entry, error) {
	args := []any{c.ID, head.ID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	var b strings.Builder
	b.WriteString(`SELECT ` + entryColumns + ` FROM events e WHERE e.id > $1 AND e.id <= $2`)
	b.WriteString(` AND ` + access.LogWhere(v, arg))
	if f.ConversationID != "" {
		b.WriteString(` AND e.conversation_id = ` + arg(string(f.ConversationID)))
	}
	if len(f.Types) > 0 {
		var ts []string
		for _, t := range f.Types {
			ts = append(ts, arg(string(t)))
		}
		b.WriteString(` AND e.type IN (` + strings.Join(ts, ", ") + `)`)
	}
	b.WriteString(` ORDER BY e.id LIMIT ` + fmt.Sprint(limit))
	return l.query(ctx, b.String(), args...)
}

func (l *Log) query(ctx context.Context, q string, args ...any) ([]entry, error) {
	rows, err := l.db.SQL.QueryContext(ctx, l.db.Rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []entry
	for rows.Next() {
		var (
			e                                  entry
			user, conv, ch, msg, call, subject sql.NullString
			counted                            sql.NullInt64
		)
		if err := rows.Scan(&e.ID, &e.Type, &user, &conv, &ch, &msg, &call, &e.AgentsOnly, &subject, &counted); err != nil {
			return nil, err
		}
		e.UserID, e.ConversationID, e.ChannelID = pulid.ID(user.String), pulid.ID(conv.String), pulid.ID(ch.String)
		e.MessageID, e.CallID, e.SubjectID = pulid.ID(msg.String), pulid.ID(call.String), pulid.ID(subject.String)
		e.Counted = counted.Int64
		e.text = e.Cursor.String()
		out = append(out, e)
	}
	return out, rows.Err()
}

func isNotFound(err error) bool { return ent.IsNotFound(err) }
