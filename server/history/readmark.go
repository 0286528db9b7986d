package history

import (
	"cmp"
	"context"
	"database/sql"
	"time"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/history/events"
)

// ReadMark is a group member's read horizon moving from From to the
// message they send (sending reads what came before): the mark that
// "seen by" reads (read_marks), recorded with the message, in the
// statement that numbers it on PostgreSQL.
type ReadMark struct{ From int64 }

// PassedSQL selects a column of the newest message of someone else that a
// read mark of reader in chat conv passed, after seq from up to seq to (not
// SYSTEM, not deleted): its sender hears of the mark (NotePassed).
func PassedSQL(column, conv, reader, from, to string) string {
	return `(SELECT m.` + column + ` FROM messages m WHERE m.conversation_id = ` + conv +
		` AND m.seq > ` + from + ` AND m.seq <= ` + to + ` AND m.kind <> 'SYSTEM' AND m.sender_id IS NOT NULL
		AND m.sender_id <> ` + reader + ` AND m.deleted_at IS NULL ORDER BY m.seq DESC LIMIT 1)`
}

// InsertReadMarkSQL records a read mark (chat $1, reader $2, up to seq $3,
// at $4) and returns the newest message of someone else it passed after
// seq $5, id and sender (NULL for none).
var InsertReadMarkSQL = `INSERT INTO read_marks (conversation_id, user_id, seq, read_at) VALUES ($1, $2, $3, $4)
	RETURNING ` + PassedSQL("id", "$1", "$2", "$5", "$3") + `, ` + PassedSQL("sender_id", "$1", "$2", "$5", "$3")

// ScanPassed reads what InsertReadMarkSQL returns ("" for none).
func ScanPassed(rows *sql.Rows) (id, sender pulid.ID, err error) {
	var i, s sql.NullString
	if rows.Next() {
		err = rows.Scan(&i, &s)
	}
	if cerr := rows.Close(); err == nil {
		err = cmp.Or(cerr, rows.Err())
	}
	return pulid.ID(i.String), pulid.ID(s.String), err
}

// NotePassed tells the sender of the newest message of someone else that
// a read mark passed that its readers changed, with one MESSAGE_UPDATED
// that is theirs alone: only its sender reads readBy (or, in a direct
// chat, cares that it is READ), and every send moves its sender's own
// horizon, so one for every member would double the fan-out.
func (tx *Tx) NotePassed(conv *ent.Conversation, id, sender pulid.ID) {
	if id == "" || sender == "" {
		return
	}
	e := UserEvent(events.MessageUpdated, sender, conv)
	e.MessageID = id
	tx.Emit(e)
}

// readMark records spec's read mark after the message (seq) is numbered,
// on SQLite (PostgreSQL does it in numberAndCount).
func (tx *Tx) readMark(ctx context.Context, conv *ent.Conversation, spec MessageSpec, seq int64, now time.Time) (id, sender pulid.ID, err error) {
	rows, err := tx.QueryContext(ctx, tx.Rebind(InsertReadMarkSQL), string(conv.ID), senderOf(spec), seq, now, spec.ReadMark.From)
	if err != nil {
		return "", "", err
	}
	return ScanPassed(rows)
}
