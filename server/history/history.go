// Package history is the write kernel: the one way to open a write
// transaction (Write), the only handle events are emitted through (Tx.Emit),
// and the one path every message is persisted by with its counters and
// events (Tx.AppendMessage, Tx.System, Tx.Advance). Subscribers hear of a
// write when, and only when, it has committed: Write wakes the relay then.
package history

import (
	"context"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/db"
	"parley/server/history/events"
	"parley/server/pubsub"
)

// Writer opens write transactions.
type Writer struct {
	db   *db.DB
	now  func() time.Time
	wake func()
}

// New returns the writer; wake (the relay's Notify) is called after every
// commit.
func New(d *db.DB, now func() time.Time, wake func()) *Writer {
	if wake == nil {
		wake = func() {}
	}
	return &Writer{db: d, now: now, wake: wake}
}

// Tx is a write transaction: ent's, plus the event log.
type Tx struct {
	*ent.Tx
	w       *Writer
	emitted bool
	log     *pubsub.Appender // once something is emitted: one insert at commit
}

// Write runs fn in a transaction (db.Tx) and, once it has committed, wakes
// the relay if fn emitted events, so subscribers hear of them: never before
// commit, always right after it. No caller decides when subscribers hear.
func (w *Writer) Write(ctx context.Context, fn func(tx *Tx) error) error {
	var t *Tx
	if err := w.db.Tx(ctx, func(tx *ent.Tx) error { t = &Tx{Tx: tx, w: w}; return fn(t) }); err != nil {
		return err
	}
	if t.emitted {
		w.wake()
	}
	return nil
}

// Now is the writer's clock.
func (tx *Tx) Now() time.Time { return tx.w.now() }

// Rebind adapts a statement written with $1, $2 … to the database in use.
func (tx *Tx) Rebind(q string) string { return tx.w.db.Rebind(q) }

// Now is the writer's clock, outside a transaction.
func (w *Writer) Now() time.Time { return w.now() }

// DB is the database the transaction writes to (its dialect, Rebind).
func (tx *Tx) DB() *db.DB { return tx.w.db }

// Event is one event to record with a change.
type Event struct {
	Type           events.Type
	UserID         pulid.ID // only for this user; else everyone who sees the conversation
	ConversationID pulid.ID
	ChannelID      *pulid.ID
	MessageID      pulid.ID
	CallID         pulid.ID
	AgentsOnly     bool
	// SubjectID is the colleague a USER_UPDATED is about.
	SubjectID pulid.ID
	// Counted is a chat's counted after the message a MESSAGE_ADDED adds
	// (0: not a chat's).
	Counted int64
}

// UserUpdatedEvent tells every colleague that the user changed.
func UserUpdatedEvent(userID pulid.ID) Event {
	return Event{Type: events.UserUpdated, SubjectID: userID}
}

// ConversationEvent is an event for everyone who sees the conversation.
func ConversationEvent(t events.Type, c *ent.Conversation) Event {
	return Event{Type: t, ConversationID: c.ID, ChannelID: c.ChannelID}
}

// UserEvent is an event about a conversation for one user only.
func UserEvent(t events.Type, userID pulid.ID, c *ent.Conversation) Event {
	return Event{Type: t, UserID: userID, ConversationID: c.ID}
}

// Emit records events with the change they report: they are written when
// the transaction commits (pubsub.Append), in the order emitted.
func (tx *Tx) Emit(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	tx.emitted = true
	entries := make([]pubsub.Entry, len(evs))
	for i, e := range evs {
		entries[i] = pubsub.Entry{Type: e.Type, UserID: e.UserID, ConversationID: e.ConversationID,
			MessageID: e.MessageID, CallID: e.CallID, AgentsOnly: e.AgentsOnly, SubjectID: e.SubjectID, Counted: e.Counted}
		if e.ChannelID != nil {
			entries[i].ChannelID = *e.ChannelID
		}
	}
	if tx.log == nil {
		tx.log = pubsub.NewAppender(tx.w.db, tx.Tx)
	}
	tx.log.Add(entries...)
}

// ForUpdate locks the rows a query in tx reads until commit, on PostgreSQL.
// SQLite has no row locks and needs none: its writers take turns (db.Tx).
func ForUpdate[Q interface{ ForUpdate(...entsql.LockOption) Q }](tx *Tx, q Q) Q {
	if tx.w.db.IsPostgres() {
		return q.ForUpdate()
	}
	return q
}
