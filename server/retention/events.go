package retention

import (
	"context"
	"database/sql"
	"time"

	"parley/ent/setting"
	"parley/server/history"
	"parley/server/pubsub"
)

// pruneEvents deletes event log entries older than EventLogTTL and records
// the newest cursor deleted under pubsub.PrunedSetting, so that a client
// resuming from before it is told to resync instead of silently missing
// events.
//
// What is deleted is always a prefix of the log in cursor (id) order: it
// stops at the first entry to keep, and takes only entries up to the log's
// head (pubsub.Log.HeadWhenIdle), so no entry can later commit behind the
// recorded cursor.
func (j *Job) pruneEvents(ctx context.Context, now time.Time, r *Report) error {
	cutoff := now.Add(-EventLogTTL)
	// Once an hour: waiting a while for a moment with no commit in flight
	// costs nothing, holding the writers back would.
	head, err := pubsub.NewLog(j.db).HeadWhenIdle(ctx, time.Second)
	if err != nil {
		return err
	}
	// The first entry to keep bounds the prefix.
	var stop *pubsub.Cursor
	var c pubsub.Cursor
	err = j.db.SQL.QueryRowContext(ctx, j.db.Rebind(`SELECT id FROM events WHERE created_at >= $1 ORDER BY id LIMIT 1`), cutoff).
		Scan(&c.ID)
	switch {
	case err == nil:
		stop = &c
	case err != sql.ErrNoRows:
		return err
	}
	for {
		q := `SELECT id FROM events WHERE created_at < $1 AND id <= $2`
		args := []any{cutoff, head.ID}
		if stop != nil {
			q += ` AND id < $3`
			args = append(args, stop.ID)
		}
		q += ` ORDER BY id LIMIT 5000`
		last, n, err := j.lastOf(ctx, q, args...)
		if err != nil || n == 0 {
			return err
		}
		deleted, err := j.deleteThrough(ctx, last)
		if err != nil {
			return err
		}
		r.PrunedEvents += deleted
		r.PrunedThrough = pubsub.StoredCursor(last)
		if n < 5000 {
			return nil
		}
	}
}

// lastOf runs a query of cursors and returns the last and how many there were.
func (j *Job) lastOf(ctx context.Context, q string, args ...any) (pubsub.Cursor, int, error) {
	rows, err := j.db.SQL.QueryContext(ctx, j.db.Rebind(q), args...)
	if err != nil {
		return pubsub.Cursor{}, 0, err
	}
	defer rows.Close()
	var last pubsub.Cursor
	n := 0
	for rows.Next() {
		if err := rows.Scan(&last.ID); err != nil {
			return last, n, err
		}
		n++
	}
	return last, n, rows.Err()
}

// deleteThrough deletes the entries up to and including c and records c as
// pruned, in one transaction; the record only ever moves forward, also
// when several instances prune at once.
func (j *Job) deleteThrough(ctx context.Context, c pubsub.Cursor) (int, error) {
	var n int64
	err := j.history.Write(ctx, func(tx *history.Tx) error {
		if err := tx.Setting.Create().SetKey(pubsub.PrunedSetting).SetValue(pubsub.StoredCursor(pubsub.Cursor{})).
			OnConflictColumns(setting.FieldKey).Ignore().Exec(ctx); err != nil {
			return err
		}
		q := tx.Setting.Query().Where(setting.Key(pubsub.PrunedSetting))
		if j.db.IsPostgres() {
			q.ForUpdate()
		}
		st, err := q.Only(ctx)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, j.db.Rebind(`DELETE FROM events WHERE id <= $1`), c.ID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if prev, err := pubsub.ParseStoredCursor(st.Value); err == nil && !prev.Less(c) {
			return nil // another run got further
		}
		return tx.Setting.UpdateOne(st).SetValue(pubsub.StoredCursor(c)).Exec(ctx)
	})
	return int(n), err
}
