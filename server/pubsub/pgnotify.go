package pubsub

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// notifyChannel is the PostgreSQL channel instances wake each other on.
const notifyChannel = "parley_events"

// Several instances share one PostgreSQL database; each runs its own relay.
// An instance that committed events says so with one NOTIFY (coalesced, and
// never inside the writers' transactions: a NOTIFY there would serialise
// every commit on PostgreSQL's notification lock), and every instance LISTENs
// and reads the log when told. The log is the truth either way: a lost
// notification only delays delivery until the next poll.

// announce sends a NOTIFY after local commits, at most every few milliseconds.
func (r *Relay) announce(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.committed:
		}
		if _, err := r.db.SQL.ExecContext(ctx, "SELECT pg_notify($1, '')", notifyChannel); err != nil && ctx.Err() == nil {
			r.logf.Warn("notifying other instances", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// listen wakes the relay when another instance committed events. A listener
// that lost its connection and came back delivers a nil notification: wake
// then too, something may have been missed.
func (r *Relay) listen(ctx context.Context, dsn string) {
	l := pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil && ctx.Err() == nil {
			r.logf.Warn("listening for other instances", "event", ev, "err", err)
		}
	})
	defer l.Close()
	for _, ch := range []string{notifyChannel, signalChannel} {
		if err := l.Listen(ch); err != nil {
			r.logf.Warn("listening for other instances", "err", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-l.Notify:
			if n != nil && n.Channel == signalChannel {
				r.heard(ctx, n.Extra)
				continue
			}
			r.wakeLocal()
		case <-time.After(time.Minute):
			go func() { _ = l.Ping() }()
		}
	}
}
