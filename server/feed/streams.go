package feed

import (
	"context"
	"time"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history/events"
	"parley/server/pubsub"
)

// Event is one entry of a user's `events` stream.
type Event struct {
	Cursor string
	// Type is one of API.md's EventType values.
	Type         events.Type
	Conversation *ent.Conversation
	// Own reads the receiver's row of the conversation (nil when it has
	// none), for the documents that select something of it.
	Own     func() (*ent.Member, error)
	Message *ent.Message
	Call    *ent.Call
	Badges  *Badges
	// User is who USER_UPDATED, TYPING or PRESENCE_UPDATED is about (nil
	// for a customer typing); ExpiresAt when a TYPING ends.
	User      *ent.User
	ExpiresAt time.Time
	// CallSignal is a CALL_SIGNAL's content (User its sender, Call its call).
	CallSignal *pubsub.CallSignal
}

// MessageAdded streams the new messages of a conversation the viewer may read.
func (s *Service) MessageAdded(ctx context.Context, v *auth.Viewer, convID pulid.ID) (<-chan *ent.Message, error) {
	if _, err := s.access.Conversation(ctx, v, convID); err != nil {
		return nil, err
	}
	return pubsub.Open(ctx, s.streams, v,
		pubsub.Filter{ConversationID: convID, Types: []events.Type{events.MessageAdded}}, nil,
		&messageSink{visitor: v.IsVisitor()})
}

// messageSink passes on messages (for a visitor, never a private one).
type messageSink struct {
	visitor bool
	noTimer
	// one is what Accept returns: the stream is done with it before it
	// asks again, and a slice a delivery was 3% of the server's CPU.
	one [1]*ent.Message
}

func (m *messageSink) Accept(d *pubsub.Delivery) []*ent.Message {
	if d.Message == nil || (m.visitor && d.Message.AgentsOnly) {
		return nil
	}
	m.one[0] = d.Message
	return m.one[:]
}

func (*messageSink) Fire(context.Context) []*ent.Message { return nil }

// Events streams everything that concerns the viewer, from the later of
// since and resume when either is given (resume is the cursor a client's
// connection names, so that a client re-sending its first subscribe after a
// reconnect goes on from where it was: README "Reconnecting"), with a
// BADGES_UPDATED after changes that move the badges; convert makes each
// entry what the subscriber receives.
func Events[T any](ctx context.Context, s *Service, v *auth.Viewer, since *string, resume string, convert func(Event) T) (_ <-chan T, err error) {
	defer apperr.At("feed.Events", &err)
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	var from *pubsub.Cursor
	for _, c := range []*string{since, &resume} {
		if c == nil || *c == "" {
			continue
		}
		at, err := pubsub.ParseCursor(*c)
		if err != nil {
			return nil, apperr.BadInput("since is not a cursor this server handed out").With("field", "since")
		}
		if from == nil || from.Less(at) {
			from = &at
		}
	}
	sink := &eventSink[T]{badgeTimer: badgeTimer{s: s, v: v}, convert: convert, withEvents: true}
	if from != nil {
		// A BADGES_UPDATED carries the cursor of the change before it, so a
		// client that resumes from there may have missed it: restate them.
		sink.cursor = from.String()
		sink.arm()
	}
	return pubsub.Open(ctx, s.streams, v, pubsub.Filter{}, from, sink)
}

// BadgesUpdated streams the viewer's badges whenever they may have changed.
func BadgesUpdated[T any](ctx context.Context, s *Service, v *auth.Viewer, convert func(Event) T) (_ <-chan T, err error) {
	defer apperr.At("feed.BadgesUpdated", &err)
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	return pubsub.Open(ctx, s.streams, v, pubsub.Filter{}, nil,
		&eventSink[T]{badgeTimer: badgeTimer{s: s, v: v}, convert: convert})
}

// eventSink turns deliveries into events (if withEvents) and follows
// changes that move the badges with one BADGES_UPDATED, at most every
// BadgeInterval.
type eventSink[T any] struct {
	badgeTimer
	convert    func(Event) T
	withEvents bool
}

func (e *eventSink[T]) Accept(d *pubsub.Delivery) []T {
	e.cursor = d.CursorString()
	if d.Resync {
		e.marks = nil // what it missed may have moved anything
		if e.withEvents {
			return []T{e.convert(Event{Cursor: e.cursor, Type: events.ResyncRequired})}
		}
		return nil
	}
	if movesBadges(d.Type) {
		if e.marks != nil {
			e.marks.follow(d, e.v.UserID)
		}
		e.arm()
	}
	if !e.withEvents {
		return nil
	}
	return []T{e.convert(eventOf(d, e.cursor))}
}

func (e *eventSink[T]) Fire(ctx context.Context) []T {
	e.timer, e.last = nil, time.Now()
	b, err := e.badges(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.s.log.Error("computing badges", "err", err)
		}
		return nil
	}
	b.ID = BadgesID(e.v)
	return []T{e.convert(Event{Cursor: e.cursor, Type: events.BadgesUpdated, Badges: &b})}
}

// badgeTimer schedules a badge update after a change: BadgeInterval after
// it, and BadgeBusyInterval after the last update at the soonest; and
// keeps the marks the badges are summed from.
type badgeTimer struct {
	s      *Service
	v      *auth.Viewer
	timer  <-chan time.Time
	last   time.Time // the last update sent
	cursor string
	marks  *marks // nil until the first update reads them
}

// badges sums the reader's marks, reading what is missing or stale.
func (b *badgeTimer) badges(ctx context.Context) (Badges, error) {
	if b.marks == nil || b.marks.chats == nil || b.marks.externalStale {
		withChats := b.marks == nil || b.marks.chats == nil
		fresh, err := b.s.badges.get(ctx, b.v, withChats)
		if err != nil {
			return Badges{}, err
		}
		if !withChats {
			fresh.chats = b.marks.chats
		}
		b.marks = fresh
	}
	return b.marks.badges(), nil
}

func (b *badgeTimer) arm() {
	if b.timer == nil {
		b.timer = time.After(max(b.s.BadgeInterval, time.Until(b.last.Add(b.s.BadgeBusyInterval))))
	}
}

func (b *badgeTimer) Due() <-chan time.Time { return b.timer }

type noTimer struct{}

func (noTimer) Due() <-chan time.Time { return nil }

func movesBadges(t events.Type) bool {
	return t != events.CallUpdated && t != events.MessageUpdated && t != events.Typing && t != events.PresenceUpdated && t != events.UserUpdated && t != events.CallSignal
}

func eventOf(d *pubsub.Delivery, cursor string) Event {
	return Event{Cursor: cursor, Type: d.Type, Conversation: d.Conversation, Own: d.Own,
		Message: d.Message, Call: d.Call, User: d.User, ExpiresAt: d.ExpiresAt, CallSignal: d.CallSignal}
}

// TypingUpdated streams who starts typing in a conversation the viewer may
// read (a Live Chat visitor: its own session), never the viewer themself.
// convert makes each what the subscriber receives.
func TypingUpdated[T any](ctx context.Context, s *Service, v *auth.Viewer, convID pulid.ID, convert func(Event) T) (_ <-chan T, err error) {
	defer apperr.At("feed.TypingUpdated", &err)
	if _, err := s.access.Conversation(ctx, v, convID); err != nil {
		return nil, err
	}
	return pubsub.Open(ctx, s.streams, v,
		pubsub.Filter{ConversationID: convID, Types: []events.Type{events.Typing}}, nil, typingSink[T]{convert})
}

type typingSink[T any] struct{ convert func(Event) T }

func (t typingSink[T]) Accept(d *pubsub.Delivery) []T {
	if d.Type != events.Typing || d.Conversation == nil {
		return nil
	}
	return []T{t.convert(eventOf(d, ""))}
}

func (typingSink[T]) Due() <-chan time.Time    { return nil }
func (typingSink[T]) Fire(context.Context) []T { return nil }

// CallSignals streams the signals of one call for one device: addressed to
// it or to every device, never its own. The caller checked the viewer may
// signal in the call (calls.Signalling).
func CallSignals[T any](ctx context.Context, s *Service, v *auth.Viewer, c *ent.Call, device string, convert func(Event) T) (<-chan T, error) {
	return pubsub.Open(ctx, s.streams, v,
		pubsub.Filter{ConversationID: c.ConversationID, Types: []events.Type{events.CallSignal}}, nil,
		callSignalSink[T]{convert: convert, callID: c.ID, device: device})
}

type callSignalSink[T any] struct {
	convert func(Event) T
	callID  pulid.ID
	device  string
}

func (c callSignalSink[T]) Accept(d *pubsub.Delivery) []T {
	sig := d.CallSignal
	if sig == nil || sig.CallID != c.callID || sig.FromDevice == c.device || (sig.ToDevice != "" && sig.ToDevice != c.device) {
		return nil
	}
	return []T{c.convert(eventOf(d, ""))}
}

func (callSignalSink[T]) Due() <-chan time.Time    { return nil }
func (callSignalSink[T]) Fire(context.Context) []T { return nil }
