package pubsub

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"parley/ent/setting"
	"parley/server/auth"
	"parley/server/db"
	"parley/server/fanout"
)

// PrunedSetting is the settings key holding the newest cursor the log
// retention has deleted: a client resuming from before it missed too much.
const PrunedSetting = "events.pruned_through"

// pageSize is how many entries a stream reads from the log at a time.
const pageSize = 200

// resumePatience is how long a stream resuming from a cursor past what is
// settled waits for no commit to be in flight before waiting for them.
const resumePatience = 20 * time.Millisecond

// Streams opens resumable streams of deliveries.
type Streams struct {
	db    *db.DB
	log   *Log
	hub   *Hub
	relay *Relay
	logf  *slog.Logger
}

// NewStreams returns the stream opener.
func NewStreams(d *db.DB, log *Log, hub *Hub, relay *Relay, logger *slog.Logger) *Streams {
	return &Streams{db: d, log: log, hub: hub, relay: relay, logf: logger}
}

// Sink turns a stream's deliveries into what its subscriber receives, in
// the stream's own goroutine, or in the subscription's that pulls it (a
// live stream of an operation that shares: fanout.Offer); one at a time.
type Sink[T any] interface {
	// Accept returns what to send for a delivery: nothing, one or more. The
	// stream is done with the slice before it calls the sink again.
	Accept(d *Delivery) []T
	// Due fires when the sink has something of its own to send (nil when
	// nothing is pending); Fire then returns it.
	Due() <-chan time.Time
	Fire(ctx context.Context) []T
}

// Open streams what the principal may see and the filter selects: first
// everything after since (when given), then live entries, in log order and
// without duplicates, through the sink. If since is older than the log
// keeps, or unknown here, the first delivery has Resync set and the stream
// goes on from now. The channel is closed when ctx ends.
func Open[T any](ctx context.Context, s *Streams, v *auth.Viewer, f Filter, since *Cursor, sink Sink[T]) (<-chan T, error) {
	// Read the starting point before subscribing, so nothing published in
	// between is lost: the first catch-up covers it, duplicates are skipped.
	// A new stream starts at the newest final cursor known without a lock
	// (settled; on SQLite the head), which the relay may not have published
	// yet. It must be final: an entry committing below it later would be
	// skipped. Past an id still missing, entries committed just before
	// the stream opened may still reach it.
	var start Cursor
	var resync *Delivery
	if since == nil {
		head, err := s.log.settled(ctx, s.relay.Position())
		if err != nil {
			return nil, err
		}
		start = head
	} else {
		ok, head, err := s.resumable(ctx, *since)
		if err != nil {
			return nil, err
		}
		if ok {
			start = *since
		} else {
			start = head
			resync = &Delivery{Cursor: head, Resync: true}
		}
	}
	st := &stream[T]{s: s, v: v, f: f, sink: sink, sub: s.hub.Subscribe(key(v), f), last: start,
		out: make(chan T)}
	// A live stream of an operation that shares is pulled by the
	// operation's goroutine (fanout.Offer); one resuming runs its catch-up,
	// however long, in a goroutine of its own.
	if since == nil && fanout.Offer(ctx, (<-chan T)(st.out), func() func(context.Context) (T, bool) {
		st.pulled = true
		context.AfterFunc(ctx, st.stop)
		if !st.catchUp(ctx) {
			st.done = true
		}
		return st.pull
	}, func() { go st.run(ctx, resync) }) {
		return st.out, nil
	}
	go st.run(ctx, resync)
	return st.out, nil
}

// stream is one subscription's state, owned by its goroutine, or by the
// goroutine that pulls it.
type stream[T any] struct {
	s    *Streams
	v    *auth.Viewer
	f    Filter
	sink Sink[T]
	sub  *Sub // guarded by mu where stop may run
	last Cursor
	out  chan T

	// pulled: the operation's goroutine pulls the stream (pull), and what
	// it has for it waits in pending; done once it has ended.
	pulled  bool
	pending []T
	done    bool

	mu      sync.Mutex
	stopped bool // its context ended (pulled)
}

// resumable reports whether the log still holds everything after c, and
// returns a final cursor at or past c to resync from otherwise. A cursor
// past what is settled here (handed out by an instance that has read
// further, or never) is checked against the log's head.
func (s *Streams) resumable(ctx context.Context, c Cursor) (bool, Cursor, error) {
	head, err := s.log.settled(ctx, s.relay.Position())
	if err == nil && head.Less(c) && !c.stale {
		head, err = s.log.HeadWhenIdle(ctx, resumePatience)
	}
	if err != nil {
		return false, head, err
	}
	if c.stale || head.Less(c) {
		return false, head, nil // a cursor this log never handed out
	}
	st, err := s.db.Setting.Query().Where(setting.Key(PrunedSetting)).Only(ctx)
	if err != nil {
		if !isNotFound(err) {
			return false, head, err
		}
		return true, head, nil
	}
	pruned, perr := parseStoredCursor(st.Value)
	if perr != nil {
		return true, head, nil
	}
	return !c.Less(pruned), head, nil
}

func (st *stream[T]) run(ctx context.Context, first *Delivery) {
	if (first != nil && !st.deliver(ctx, first)) || !st.catchUp(ctx) {
		st.end()
		return
	}
	// The catch-up grew this goroutine's stack for the log's reads: the
	// stream waits for live deliveries, as an idle subscription does for
	// most of its life, on a fresh one.
	go st.live(ctx)
}

func (st *stream[T]) end() {
	st.s.hub.Unsubscribe(st.sub)
	close(st.out)
}

// live delivers the hub's deliveries until ctx ends.
func (st *stream[T]) live(ctx context.Context) {
	defer st.end()
	for st.step(ctx) {
	}
}

// pull returns the stream's next value, waiting for it; false once the
// stream has ended. A call that may park (fanout.Parking) does not wait for
// the hub: it parks, and returns false without ending the stream.
func (st *stream[T]) pull(ctx context.Context) (T, bool) {
	var zero T
	w := fanout.Parking(ctx)
	for len(st.pending) == 0 {
		if st.done {
			return zero, false
		}
		if w != nil {
			switch st.poll(ctx, w) {
			case parked:
				return zero, false
			case stepped:
				continue
			}
		} else if st.step(ctx) {
			continue
		}
		st.done = true
		return zero, false
	}
	x := st.pending[0]
	st.pending[0] = zero
	if st.pending = st.pending[1:]; len(st.pending) == 0 {
		st.pending = nil
	}
	return x, true
}

// stop leaves the hub when the context of a pulled stream ends, and wakes
// a call parked on it, which then ends the stream.
func (st *stream[T]) stop() {
	st.mu.Lock()
	st.stopped = true
	sub := st.sub
	st.s.hub.Unsubscribe(sub)
	st.mu.Unlock()
	sub.notify()
}

// What poll did.
const (
	stepped = iota // as step returning true
	ended          // as step returning false
	parked         // nothing to do: w.Wake runs when there is
)

// poll does what step does when there is something to do now, and else
// parks w on the hub's inbox. A sink with a timer of its own pending is
// waited for, as step does.
func (st *stream[T]) poll(ctx context.Context, w *fanout.Waker) int {
	for {
		if ctx.Err() != nil {
			return ended
		}
		if st.sink.Due() == nil && !st.sub.pending() {
			if !st.sub.park(&w.Wake) {
				continue // something came meanwhile
			}
			// A context that ended before wake was set woke no one (stop).
			if ctx.Err() != nil && st.sub.wake.CompareAndSwap(&w.Wake, nil) {
				return ended
			}
			w.Park()
			return parked
		}
		if st.step(ctx) {
			return stepped
		}
		return ended
	}
}

// step waits for the next thing the stream has to do and does it: false
// when the stream ends.
func (st *stream[T]) step(ctx context.Context) bool {
	select {
	case <-st.sub.ready:
		d, dropped, ok := st.sub.next()
		switch {
		case !ok:
			return true
		case dropped:
			return st.resubscribe(ctx)
		}
		if d.Ephemeral {
			said := *d // shared with other receivers
			said.Cursor = st.last
			return st.send(ctx, st.sink.Accept(&said))
		}
		if !st.last.Less(d.Cursor) {
			return true
		}
		return st.deliver(ctx, d)
	case <-st.sink.Due():
		return st.send(ctx, st.sink.Fire(ctx))
	case <-ctx.Done():
		return false
	}
}

// resubscribe takes a fresh inbox for a stream that fell behind, and reads
// what it missed from the log.
func (st *stream[T]) resubscribe(ctx context.Context) bool {
	st.mu.Lock()
	st.s.hub.Unsubscribe(st.sub)
	stopped := st.stopped
	if !stopped {
		st.sub = st.s.hub.Subscribe(key(st.v), st.f)
	}
	st.mu.Unlock()
	return !stopped && st.catchUp(ctx)
}

// deliver hands one delivery to the sink and sends what it makes.
func (st *stream[T]) deliver(ctx context.Context, d *Delivery) bool {
	if !st.send(ctx, st.sink.Accept(d)) {
		return false
	}
	if !d.Resync {
		st.last = d.Cursor
	}
	return true
}

func (st *stream[T]) send(ctx context.Context, xs []T) bool {
	if st.pulled {
		st.pending = append(st.pending, xs...)
		return true
	}
	for _, x := range xs {
		select {
		case st.out <- x:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// catchUp reads the log after the last delivery up to what the relay has
// published (a head of its own would cost a lock per page): what comes
// after arrives live.
func (st *stream[T]) catchUp(ctx context.Context) bool {
	for {
		entries, err := st.s.log.forViewer(ctx, st.v, st.f, st.last, st.s.relay.Position(), pageSize)
		if err == nil && len(entries) > 0 {
			var b *batch
			if b, err = load(ctx, st.s.db.Client, entries, false); err == nil {
				for _, e := range entries {
					if !st.deliver(ctx, b.delivery(e, key(st.v))) {
						return false
					}
				}
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			st.s.logf.Error("reading the event log", "err", err)
			select {
			case <-time.After(time.Second):
				continue
			case <-ctx.Done():
				return false
			}
		}
		if len(entries) < pageSize {
			return true
		}
	}
}

// StoredCursor encodes a cursor for the settings table.
func StoredCursor(c Cursor) string { return strconv.FormatInt(c.ID, 10) }

// ParseStoredCursor decodes what StoredCursor encoded.
func ParseStoredCursor(s string) (Cursor, error) { return parseStoredCursor(s) }

// parseStoredCursor also reads the former "XID.ID" form as ID: on SQLite
// XID was 0 and ids were already in commit order; on PostgreSQL every
// cursor of that time is stale, and one handed out since is at or past the
// ids then in the log (or 0, an empty log's, which resyncs): comparing with
// ID stays on the safe side.
func parseStoredCursor(s string) (Cursor, error) {
	if _, after, ok := strings.Cut(s, "."); ok {
		s = after
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return Cursor{ID: id}, err
}
