package pubsub

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"parley/ent/setting"
	"parley/server/db"
)

// PrunedSetting is the settings key holding the newest cursor the log
// retention has deleted: a client resuming from before it missed too much.
const PrunedSetting = "events.pruned_through"

// pageSize is how many entries a stream reads from the log at a time.
const pageSize = 200

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

// Open streams what the principal may see and the filter selects: first
// everything after since (when given), then live entries, in log order and
// without duplicates. If since is older than the log keeps, or unknown here,
// the first delivery has Resync set and the stream goes on from now. The
// channel is closed when ctx ends.
func (s *Streams) Open(ctx context.Context, p Principal, f Filter, since *Cursor) (<-chan *Delivery, error) {
	// Read the starting point before subscribing, so nothing published in
	// between is lost: the first catch-up covers it, duplicates are skipped.
	// A new stream starts at what is committed now, which the relay may not
	// have published yet.
	start, err := s.log.Head(ctx)
	if err != nil {
		return nil, err
	}
	if pos := s.relay.Position(); start.Less(pos) {
		start = pos
	}
	// On PostgreSQL the head stops short of entries committed while another
	// transaction still runs; starting before them keeps the stream gap-free,
	// and remembering them keeps it from replaying what preceded it.
	var before map[Cursor]bool
	if since == nil {
		if before, err = s.log.committedPast(ctx, start); err != nil {
			return nil, err
		}
	}
	var resync *Delivery
	if since != nil {
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
	sub := s.hub.Subscribe(p.Key(), f)
	out := make(chan *Delivery)
	go s.run(ctx, p, f, sub, start, resync, before, out)
	return out, nil
}

// resumable reports whether the log still holds everything after c.
func (s *Streams) resumable(ctx context.Context, c Cursor) (bool, Cursor, error) {
	head, err := s.log.Head(ctx)
	if err != nil {
		return false, head, err
	}
	if head.Less(c) {
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

func (s *Streams) run(ctx context.Context, p Principal, f Filter, sub *Sub, last Cursor, first *Delivery, before map[Cursor]bool, out chan<- *Delivery) {
	defer func() {
		s.hub.Unsubscribe(sub)
		close(out)
	}()
	send := func(d *Delivery) bool {
		if before[d.Cursor] {
			return true // committed before the stream opened
		}
		select {
		case out <- d:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if first != nil && !send(first) {
		return
	}
	// catchUp reads the log after last until it is exhausted.
	catchUp := func() bool {
		for {
			entries, err := s.log.forPrincipal(ctx, p, f, last, pageSize)
			if err == nil && len(entries) > 0 {
				var b *batch
				if b, err = load(ctx, s.db.Client, entries, false); err == nil {
					for _, e := range entries {
						if !send(b.delivery(e, p.Key())) {
							return false
						}
						last = e.Cursor
					}
				}
			}
			if err != nil {
				if ctx.Err() != nil {
					return false
				}
				s.logf.Error("reading the event log", "err", err)
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
	if !catchUp() {
		return
	}
	for {
		select {
		case d := <-sub.inbox:
			if !last.Less(d.Cursor) {
				continue
			}
			if !send(d) {
				return
			}
			last = d.Cursor
		case <-sub.dropped:
			// Fell behind: take a fresh inbox and read what was missed from the log.
			s.hub.Unsubscribe(sub)
			sub = s.hub.Subscribe(p.Key(), f)
			if !catchUp() {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// StoredCursor encodes a cursor for the settings table.
func StoredCursor(c Cursor) string {
	return strconv.FormatInt(c.XID, 10) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseStoredCursor decodes what StoredCursor encoded.
func ParseStoredCursor(s string) (Cursor, error) { return parseStoredCursor(s) }

func parseStoredCursor(s string) (Cursor, error) {
	x, i, _ := strings.Cut(s, ".")
	xid, err := strconv.ParseInt(x, 10, 64)
	if err != nil {
		return Cursor{}, err
	}
	id, err := strconv.ParseInt(i, 10, 64)
	return Cursor{XID: xid, ID: id}, err
}
