package pubsub

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/auth"
	"parley/server/db"
	"parley/server/history/events"
)

// entry is one row of the event log.
type entry struct {
	Cursor
	Type           events.Type
	UserID         pulid.ID
	ConversationID pulid.ID
	ChannelID      pulid.ID
	MessageID      pulid.ID
	CallID         pulid.ID
	AgentsOnly     bool
	SubjectID      pulid.ID
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

const entryColumns = `e.id, e.type, e.user_id, e.conversation_id, e.channel_id, e.message_id, e.call_id, e.agents_only, e.subject_id`

// Readers read up to the log's head, the newest id below which every id is
// final: committed, or never to be. On SQLite, whose writers are
// serialised, it is the newest entry. On PostgreSQL writers take their ids
// at commit, side by side, holding the log's lock shared (Append); taking
// it exclusively waits for those in flight, so every id visible when the
// statement began — and every smaller one — is final once it is granted.
// Nothing else holds a reader back: not even a transaction left open
// elsewhere on the cluster.

// Head returns the log's head (zero if the log is empty).
func (l *Log) Head(ctx context.Context) (Cursor, error) {
	q := `SELECT COALESCE(MAX(e.id), 0) FROM events e`
	if l.db.IsPostgres() {
		q = `SELECT (` + q + `) FROM pg_advisory_xact_lock(` + logLockKey + `)`
	}
	var c Cursor
	err := l.db.SQL.QueryRowContext(ctx, q).Scan(&c.ID)
	return c, err
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
		)
		if err := rows.Scan(&e.ID, &e.Type, &user, &conv, &ch, &msg, &call, &e.AgentsOnly, &subject); err != nil {
			return nil, err
		}
		e.UserID, e.ConversationID, e.ChannelID = pulid.ID(user.String), pulid.ID(conv.String), pulid.ID(ch.String)
		e.MessageID, e.CallID, e.SubjectID = pulid.ID(msg.String), pulid.ID(call.String), pulid.ID(subject.String)
		out = append(out, e)
	}
	return out, rows.Err()
}

func isNotFound(err error) bool { return ent.IsNotFound(err) }
