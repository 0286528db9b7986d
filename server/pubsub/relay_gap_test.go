package pubsub

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"parley/ent/user"
	"parley/server/auth"
	"parley/server/db"
)

// These tests play the writers by hand, on PostgreSQL: a raw transaction
// takes the log's lock shared and its entry's id, as Append does at commit,
// and the test decides when it commits or rolls back. Every entry goes to
// one user ("u1"), which needs nothing loaded.

const gapUser = "u1"

// writer is a commit in flight: its entry has an id, not yet committed.
type writer struct {
	tx *sql.Tx
	id int64
}

func startWriter(t *testing.T, d *db.DB) *writer {
	t.Helper()
	w, err := begin(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.tx.Rollback() })
	return w
}

// begin starts a writer (for other goroutines than the test's).
func begin(d *db.DB) (*writer, error) {
	tx, err := d.SQL.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	w := &writer{tx: tx}
	if _, err = tx.Exec(`SELECT pg_advisory_xact_lock_shared(` + logLockKey + `)`); err == nil {
		err = tx.QueryRow(`INSERT INTO events (created_at, type, user_id, agents_only)
			VALUES (now(), 'CONVERSATION_UPDATED', $1, false) RETURNING id`, gapUser).Scan(&w.id)
	}
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return w, nil
}

func (w *writer) commit(t *testing.T) {
	t.Helper()
	if err := w.tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func (w *writer) rollback(t *testing.T) {
	t.Helper()
	if err := w.tx.Rollback(); err != nil {
		t.Fatal(err)
	}
}

type gapEnv struct {
	d     *db.DB
	relay *Relay
	hub   *Hub

	mu   sync.Mutex
	got  []int64 // published, not yet taken
	more chan struct{}
}

func newGapEnv(t *testing.T) *gapEnv {
	t.Helper()
	d := openBenchDB(t, "postgres")
	hub := NewHub()
	r := NewRelay(d, NewLog(d), hub, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.Poll = time.Hour // only Notify, and the relay's own retries, wake it
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := &gapEnv{d: d, relay: r, hub: hub, more: make(chan struct{}, 1)}
	// An inbox large enough never to be dropped, drained as the relay fills it.
	sub := hub.Subscribe(gapUser, Filter{})
	sub.mu.Lock()
	sub.size = 100_000
	sub.mu.Unlock()
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sub.ready:
				d, dropped, ok := sub.next()
				if dropped {
					panic("the test's subscriber was dropped")
				}
				if !ok {
					continue
				}
				e.mu.Lock()
				e.got = append(e.got, d.Cursor.ID)
				e.mu.Unlock()
				select {
				case e.more <- struct{}{}:
				default:
				}
			case <-done:
				return
			}
		}
	}()
	t.Cleanup(func() { close(done) })
	return e
}

// run runs the relay until the test ends.
func (e *gapEnv) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.relay.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// step runs one step of the relay (not running), which must not wait for the
// log's lock: the commits in flight are the test's own and would never end.
func (e *gapEnv) step(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := e.relay.step(ctx); err != nil {
		t.Fatalf("relay step: %v (waited for the log's lock?)", err)
	}
}

// published takes the ids published so far, without waiting.
func (e *gapEnv) published() []int64 {
	time.Sleep(10 * time.Millisecond) // for the collector to catch up
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := e.got
	e.got = nil
	return ids
}

// expect waits for the next ids published to be want, and takes them.
func (e *gapEnv) expect(t *testing.T, want ...int64) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		e.mu.Lock()
		n := len(e.got)
		e.mu.Unlock()
		if n >= len(want) {
			break
		}
		select {
		case <-e.more:
		case <-timeout:
			t.Fatalf("published %d of %d entries", n, len(want))
		}
	}
	if got := e.published(); !slices.Equal(got, want) {
		t.Fatalf("published %v,\nwant %v", got, want)
	}
}

// An entry committed after one whose commit is in flight, with a smaller
// id, is held back — without waiting for the log's lock at first, so that
// writers are not held back either — and published right after the
// earlier one once it commits. What is contiguous is published at once.
func TestRelayHoldsBackBehindACommitInFlight(t *testing.T) {
	e := newGapEnv(t)
	first := startWriter(t, e.d)
	first.commit(t)
	early := startWriter(t, e.d)
	late := startWriter(t, e.d)
	late.commit(t)

	// Steps while early's id is missing, for less than gapPatience.
	for deadline := time.Now().Add(gapPatience / 2); time.Now().Before(deadline); time.Sleep(gapWait) {
		e.step(t)
	}
	if got := e.published(); !slices.Equal(got, []int64{first.id}) {
		t.Fatalf("published %v while %d was in flight, want only %d", got, early.id, first.id)
	}
	if pos := e.relay.Position(); pos.ID != first.id {
		t.Fatalf("position %d, want %d", pos.ID, first.id)
	}
	// Another commits meanwhile, after the one held back.
	third := startWriter(t, e.d)
	third.commit(t)

	// Running, the relay ends up waiting for the lock; early commits.
	e.run(t)
	time.Sleep(2 * gapPatience)
	if got := e.published(); len(got) > 0 {
		t.Fatalf("published %v while %d was in flight", got, early.id)
	}
	early.commit(t)
	e.relay.Notify()
	e.expect(t, early.id, late.id, third.id)
	if pos := e.relay.Position(); pos.ID != third.id {
		t.Fatalf("position %d, want %d", pos.ID, third.id)
	}
}

// A transaction that took an id and rolled back leaves a gap that is never
// filled: the relay passes it on its own (nothing wakes it), once the log's
// lock says it is final.
func TestRelayPassesARolledBackID(t *testing.T) {
	e := newGapEnv(t)
	e.run(t)
	lost := startWriter(t, e.d)
	kept := startWriter(t, e.d)
	kept.commit(t)
	e.relay.Notify()
	time.Sleep(gapWait / 2)
	lost.rollback(t)
	e.expect(t, kept.id)
	if n, _ := e.relay.Lag(); n != 0 {
		t.Fatalf("lag %d entries once caught up", n)
	}
}

// The same while writers keep the log's lock held all the time, so that
// asking for it without waiting never succeeds: the relay ends up waiting
// for it, and passes the gap.
func TestRelayPassesARolledBackIDUnderLoad(t *testing.T) {
	e := newGapEnv(t)
	e.run(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var committed []int64
	for i := range 2 { // overlapping: one always holds the lock
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 10 * time.Millisecond)
			for {
				select {
				case <-stop:
					return
				default:
				}
				w, err := begin(e.d)
				if err == nil {
					time.Sleep(20 * time.Millisecond)
					err = w.tx.Commit()
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				committed = append(committed, w.id)
				mu.Unlock()
				e.relay.Notify()
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	lost := startWriter(t, e.d)
	kept := startWriter(t, e.d)
	kept.commit(t)
	lost.rollback(t)
	e.relay.Notify()
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	mu.Lock()
	want := append(committed, kept.id)
	mu.Unlock()
	slices.Sort(want)
	e.expect(t, want...)
}

// Many writers commit and roll back side by side, in any order: the relay
// publishes exactly the committed entries, each once, in id order. An entry
// the relay passed before it committed would never be published.
func TestRelayPublishesEveryCommittedEntryInOrder(t *testing.T) {
	e := newGapEnv(t)
	e.run(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var committed []int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				w, err := begin(e.d)
				if err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				if rand.IntN(10) == 0 {
					_ = w.tx.Rollback()
					continue
				}
				if err := w.tx.Commit(); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				committed = append(committed, w.id)
				mu.Unlock()
				e.relay.Notify()
			}
		}()
	}
	wg.Wait()
	slices.Sort(committed)
	e.expect(t, committed...)
	if extra := e.published(); len(extra) > 0 {
		t.Fatalf("published more: %v", extra)
	}
}

// The starting point of a new stream is final without waiting for the
// commits in flight: an entry committing below it would be lost to the
// stream. Here it stops below the one in flight, which the stream then
// receives, before the one committed after it.
func TestSettledStopsBelowACommitInFlight(t *testing.T) {
	e := newGapEnv(t)
	l := e.relay.log
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	a := startWriter(t, e.d)
	a.commit(t)
	b := startWriter(t, e.d)
	c := startWriter(t, e.d)
	c.commit(t)
	pos := e.relay.Position()
	for _, tc := range []struct{ from, want int64 }{{pos.ID, a.id}, {a.id, a.id}, {b.id, c.id}, {c.id, c.id}} {
		got, err := l.settled(ctx, Cursor{ID: tc.from})
		if err != nil || got.ID != tc.want {
			t.Fatalf("settled from %d: %d, %v; want %d", tc.from, got.ID, err, tc.want)
		}
	}
	if _, ok, err := l.tryHead(ctx); err != nil || ok {
		t.Fatalf("tryHead with a commit in flight: ok %v, %v", ok, err)
	}
	b.commit(t)
	if got, err := l.settled(ctx, pos); err != nil || got.ID != c.id {
		t.Fatalf("settled once committed: %d, %v; want %d", got.ID, err, c.id)
	}
	if got, ok, err := l.tryHead(ctx); err != nil || !ok || got.ID != c.id {
		t.Fatalf("tryHead: %d, %v, %v; want %d", got.ID, ok, err, c.id)
	}
}

// A stream opened while a commit is in flight, new or resuming from the
// relay's position, opens at once — without waiting for the log's lock —
// and receives the entry in flight once it commits, before the one
// committed after it.
func TestStreamsOpenWithACommitInFlight(t *testing.T) {
	e := newGapEnv(t)
	e.run(t)
	first := startWriter(t, e.d)
	first.commit(t)
	e.relay.Notify()
	e.expect(t, first.id)
	early := startWriter(t, e.d)
	late := startWriter(t, e.d)
	late.commit(t)
	e.relay.Notify()

	streams := NewStreams(e.d, e.relay.log, e.hub, e.relay, slog.New(slog.NewTextHandler(io.Discard, nil)))
	v := &auth.Viewer{UserID: gapUser, Role: user.RoleMEMBER}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func(since *Cursor) <-chan int64 {
		t.Helper()
		opened := make(chan (<-chan int64), 1)
		go func() {
			ch, err := Open[int64](ctx, streams, v, Filter{}, since, idSink{})
			if err != nil {
				t.Error(err)
			}
			opened <- ch
		}()
		select {
		case ch := <-opened:
			return ch
		case <-time.After(time.Second):
			t.Fatal("opening a stream waited for the commit in flight")
			return nil
		}
	}
	fresh := open(nil)
	resumed := open(&Cursor{ID: first.id})
	time.Sleep(2 * gapPatience)
	early.commit(t)
	e.relay.Notify()
	for name, ch := range map[string]<-chan int64{"new": fresh, "resumed": resumed} {
		var got []int64
		for len(got) < 2 {
			select {
			case id := <-ch:
				got = append(got, id)
			case <-time.After(10 * time.Second):
				t.Fatalf("%s stream: received %v", name, got)
			}
		}
		if !slices.Equal(got, []int64{early.id, late.id}) {
			t.Fatalf("%s stream: received %v, want %v", name, got, []int64{early.id, late.id})
		}
	}
}

type idSink struct{}

func (idSink) Accept(d *Delivery) []int64   { return []int64{d.Cursor.ID} }
func (idSink) Due() <-chan time.Time        { return nil }
func (idSink) Fire(context.Context) []int64 { return nil }
