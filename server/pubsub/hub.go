package pubsub

import (
	"sync"
	"sync/atomic"
	"time"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/history/events"
)

// Delivery is one event as one principal receives it. The ent objects are
// shared between all receivers and must not be modified.
type Delivery struct {
	Cursor         Cursor
	Type           events.Type
	ConversationID pulid.ID
	Conversation   *ent.Conversation
	Message        *ent.Message
	Call           *ent.Call
	// User is who a USER_UPDATED, a PRESENCE_UPDATED or a TYPING is about.
	User       *ent.User
	AgentsOnly bool
	// Resync marks a delivery that tells the client it missed more than the log keeps.
	Resync bool
	// Ephemeral marks a Signal's delivery: not in the log, its Cursor is
	// none (the stream gives it its last).
	Ephemeral bool
	// ExpiresAt is when a TYPING ends.
	ExpiresAt time.Time
	// CallSignal is a CALL_SIGNAL's content (User is its sender).
	CallSignal *CallSignal
	// Counted is, for a MESSAGE_ADDED of a chat, the chat's counted right
	// after the message (0 when unknown): Conversation is as the batch
	// found it, perhaps later.
	Counted int64

	// own reads the receiver's row of the conversation, when it has one.
	own func() (*ent.Member, error)
	// cursorText is Cursor.String() when known.
	cursorText string
}

// CursorString is Cursor.String(), encoded once for all the receivers of
// an entry of the log: per receiver it was 7% of the CPU of an events
// stream's delivery.
func (d *Delivery) CursorString() string {
	if d.cursorText == "" {
		return d.Cursor.String()
	}
	return d.cursorText
}

// Own returns the receiver's own row of the conversation (nil when it has
// none), as it is when first asked for: read then, once for every receiver
// of the batch who asks.
func (d *Delivery) Own() (*ent.Member, error) {
	if d.own == nil {
		return nil, nil
	}
	return d.own()
}

// Filter narrows what a subscription receives.
type Filter struct {
	ConversationID pulid.ID      // only this conversation ("" for all)
	Types          []events.Type // only these types (nil for all)
}

func (f Filter) match(d *Delivery) bool {
	if f.ConversationID != "" && d.ConversationID != f.ConversationID {
		return false
	}
	if f.Types == nil {
		return true
	}
	for _, t := range f.Types {
		if t == d.Type {
			return true
		}
	}
	return false
}

// InboxSize is how many deliveries a subscriber may fall behind before it
// is dropped (and resumes from the log).
const InboxSize = 64

// Sub is one subscriber's inbox.
type Sub struct {
	key    string
	filter Filter
	// ready holds a token while the inbox has something or the
	// subscriber is dropped.
	ready chan struct{}

	mu      sync.Mutex
	inbox   []*Delivery // nil when empty: an idle subscriber keeps none
	size    int         // how many the inbox holds: InboxSize
	dropped bool

	// wake, when set, runs once the inbox has something or the
	// subscriber is dropped (a stream parked: fanout.Waker); once.
	wake atomic.Pointer[func()]
}

// offer puts d in the inbox, or drops the subscriber whose inbox is full:
// accepted, and whether it was dropped now.
func (s *Sub) offer(d *Delivery) (accepted, droppedNow bool) {
	s.mu.Lock()
	switch {
	case s.dropped:
	case len(s.inbox) >= s.size:
		s.dropped, s.inbox, droppedNow = true, nil, true
	default:
		s.inbox = append(s.inbox, d)
		accepted = true
	}
	s.mu.Unlock()
	s.signal()
	return accepted, droppedNow
}

func (s *Sub) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// next takes the inbox's next delivery, once ready has had a token: ok is
// false when there is none (nor a drop).
func (s *Sub) next() (d *Delivery, dropped, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.dropped:
		return nil, true, true
	case len(s.inbox) == 0:
		return nil, false, false
	}
	d = s.inbox[0]
	s.inbox[0] = nil
	if s.inbox = s.inbox[1:]; len(s.inbox) == 0 {
		s.inbox = nil
	} else {
		s.signal() // more to come
	}
	return d, false, true
}

// pending reports whether the inbox has something or the subscriber is
// dropped.
func (s *Sub) pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped || len(s.inbox) > 0
}

// park sets wake to run once the inbox has something or the subscriber is
// dropped, and reports whether it will: false when that is already so (wake
// is then not kept).
func (s *Sub) park(wake *func()) bool {
	s.wake.Store(wake)
	if !s.pending() {
		return true
	}
	// Take it back, unless a publisher already has: then it runs.
	return !s.wake.CompareAndSwap(wake, nil)
}

func (s *Sub) notify() {
	if w := s.wake.Swap(nil); w != nil {
		(*w)()
	}
}

// Hub routes deliveries to the subscribers of each principal. Publish never
// blocks: a subscriber whose inbox is full is dropped instead.
type Hub struct {
	mu   sync.RWMutex
	subs map[string][]*Sub // a principal's: a slice, most have one
	// Of the subscribers: how many take every type, and how many each type.
	anyType   int
	ofType    map[events.Type]int
	drops     atomic.Int64
	delivered atomic.Int64
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{subs: map[string][]*Sub{}, ofType: map[events.Type]int{}}
}

// countLocked counts a subscriber in (+1) or out (-1) of the types it takes.
func (h *Hub) countLocked(f Filter, n int) {
	if f.Types == nil {
		h.anyType += n
		return
	}
	for _, t := range f.Types {
		if h.ofType[t] += n; h.ofType[t] == 0 {
			delete(h.ofType, t)
		}
	}
}

// Takes reports whether any subscriber here may receive a delivery of type
// t: when none does, there is no audience to look for.
func (h *Hub) Takes(t events.Type) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.anyType > 0 || h.ofType[t] > 0
}

// Wants reports whether a subscriber of the principal key would receive d
// (only its type and conversation are looked at).
func (h *Hub) Wants(key string, d *Delivery) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, s := range h.subs[key] {
		if s.filter.match(d) {
			return true
		}
	}
	return false
}

// Subscribe registers an inbox for the principal key.
func (h *Hub) Subscribe(key string, f Filter) *Sub {
	s := &Sub{key: key, filter: f, ready: make(chan struct{}, 1), size: InboxSize}
	h.mu.Lock()
	h.subs[key] = append(h.subs[key], s)
	h.countLocked(f, 1)
	h.mu.Unlock()
	return s
}

// Unsubscribe removes an inbox.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	subs := h.subs[s.key]
	for i, x := range subs {
		if x != s {
			continue
		}
		h.countLocked(s.filter, -1)
		last := len(subs) - 1
		subs[i], subs[last] = subs[last], nil
		if last == 0 {
			delete(h.subs, s.key)
		} else {
			h.subs[s.key] = subs[:last]
		}
		break
	}
	h.mu.Unlock()
}

// Listening reports whether the principal has any subscriber.
func (h *Hub) Listening(key string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs[key]) > 0
}

// Publish offers a delivery to every matching subscriber of the principal.
func (h *Hub) Publish(key string, d *Delivery) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, s := range h.subs[key] {
		if !s.filter.match(d) {
			continue
		}
		accepted, dropped := s.offer(d)
		if accepted {
			h.delivered.Add(1)
		}
		if dropped {
			h.drops.Add(1)
		}
		s.notify()
	}
}

// Drops counts subscribers dropped for falling behind.
func (h *Hub) Drops() int64 { return h.drops.Load() }

// Delivered counts deliveries handed to subscribers' inboxes.
func (h *Hub) Delivered() int64 { return h.delivered.Load() }

// Subscribers returns how many inboxes are registered.
func (h *Hub) Subscribers() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for _, m := range h.subs {
		n += len(m)
	}
	return n
}
