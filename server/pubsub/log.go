package pubsub

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"parley/ent"
	"parley/ent/event"
	"parley/ent/schema/pulid"
	"parley/server/db"
)

// entry is one row of the event log.
type entry struct {
	Cursor
	Type           event.Type
	UserID         pulid.ID
	ConversationID pulid.ID
	ChannelID      pulid.ID
	MessageID      pulid.ID
	CallID         pulid.ID
	AgentsOnly     bool
}

// Principal is who reads the log: a colleague, or a Live Chat visitor.
type Principal struct {
	UserID  pulid.ID
	IsAdmin bool
	// For a visitor: their session and contact.
	VisitorSessionID pulid.ID
	VisitorContactID pulid.ID
}

// Key names the principal in the hub.
func (p Principal) Key() string {
	if p.VisitorSessionID != "" {
		return VisitorKey(p.VisitorContactID)
	}
	return string(p.UserID)
}

// VisitorKey names a Live Chat visitor (a contact) in the hub.
func VisitorKey(contactID pulid.ID) string { return "contact:" + string(contactID) }

// Log reads the event log.
type Log struct{ db *db.DB }

// NewLog returns a reader of the database's event log.
func NewLog(d *db.DB) *Log { return &Log{db: d} }

const entryColumns = `e.id, e.type, e.user_id, e.conversation_id, e.channel_id, e.message_id, e.call_id, e.agents_only`

// Entries take their ids in commit order (see Append), so a reader that
// sees id N knows every smaller id is committed or was never used: reading
// "id > cursor" can never miss an entry that commits later, and nothing —
// not even a transaction left open elsewhere on the cluster — holds a
// reader back.

// after returns entries after c, for the relay: everyone's, in order.
func (l *Log) after(ctx context.Context, c Cursor, limit int) ([]entry, error) {
	q := `SELECT ` + entryColumns + ` FROM events e WHERE e.id > $1 ORDER BY e.id LIMIT ` + fmt.Sprint(limit)
	return l.query(ctx, q, c.ID)
}

// Head returns the cursor of the newest entry (zero if none).
func (l *Log) Head(ctx context.Context) (Cursor, error) {
	var c Cursor
	err := l.db.SQL.QueryRowContext(ctx, `SELECT e.id FROM events e ORDER BY e.id DESC LIMIT 1`).Scan(&c.ID)
	if err == sql.ErrNoRows {
		return Cursor{}, nil
	}
	return c, err
}

// forPrincipal returns the entries after c that the principal may see and
// the filter selects, in order: what a reconnecting client missed.
func (l *Log) forPrincipal(ctx context.Context, p Principal, f Filter, c Cursor, limit int) ([]entry, error) {
	args := []any{c.ID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	var b strings.Builder
	b.WriteString(`SELECT ` + entryColumns + ` FROM events e WHERE e.id > $1`)
	if p.VisitorSessionID != "" {
		fmt.Fprintf(&b, ` AND e.conversation_id = %s AND e.user_id IS NULL AND e.agents_only = %s AND e.type IN ('MESSAGE_ADDED', 'MESSAGE_UPDATED')`,
			arg(string(p.VisitorSessionID)), arg(false))
	} else {
		u := arg(string(p.UserID))
		fmt.Fprintf(&b, ` AND (e.user_id = %[1]s
			OR (e.user_id IS NULL AND e.channel_id IS NULL AND e.conversation_id IN (SELECT m.conversation_id FROM members m WHERE m.user_id = %[1]s))
			OR (e.user_id IS NULL AND e.channel_id IS NOT NULL AND (%[2]s
				OR e.channel_id IN (SELECT ca.channel_id FROM channel_agents ca WHERE ca.user_id = %[1]s)
				OR e.conversation_id IN (SELECT c.id FROM conversations c WHERE c.assignee_id = %[1]s))))`,
			u, arg(p.IsAdmin))
	}
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
			e                         entry
			user, conv, ch, msg, call sql.NullString
		)
		if err := rows.Scan(&e.ID, &e.Type, &user, &conv, &ch, &msg, &call, &e.AgentsOnly); err != nil {
			return nil, err
		}
		e.UserID, e.ConversationID, e.ChannelID = pulid.ID(user.String), pulid.ID(conv.String), pulid.ID(ch.String)
		e.MessageID, e.CallID = pulid.ID(msg.String), pulid.ID(call.String)
		out = append(out, e)
	}
	return out, rows.Err()
}

func isNotFound(err error) bool { return ent.IsNotFound(err) }
