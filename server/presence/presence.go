// Package presence is who is online and who is typing: User.online and
// lastSeenAt agreed by every instance through the presences table, and the
// ephemeral TYPING and PRESENCE_UPDATED events (pubsub.Signal), never
// stored in the event log.
package presence

import (
	"cmp"
	"log/slog"
	"sync"
	"time"

	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/channel"
	"parley/server/db"
	"parley/server/pubsub"
)

// Heartbeat is how often an instance says its users are still online; a
// row that has not been refreshed for Expiry belongs to an instance that
// died.
const (
	Heartbeat = 10 * time.Second
	expiries  = 3 // heartbeats
)

// Service answers User.online and says typing and presence changes.
type Service struct {
	db     *db.DB
	access *access.Service
	relay  *pubsub.Relay
	now    func() time.Time
	log    *slog.Logger
	// Local reports whether the user has a socket open on this instance
	// (live.Presence.Online).
	Local func(userID string) bool
	// Typers are the providers that show an agent typing, by kind.
	Typers map[channel.Kind]channel.Typer
	// Heartbeat overrides the constant (tests).
	Heartbeat time.Duration

	typing typingLimits

	mu      sync.Mutex
	locks   map[pulid.ID]*sync.Mutex // one per user, for their row here
	written map[pulid.ID]bool        // whether this instance's row says online
	cache   onlineCache
}

// New returns the service. Set Local before sockets open.
func New(d *db.DB, acc *access.Service, relay *pubsub.Relay, now func() time.Time, log *slog.Logger) *Service {
	return &Service{db: d, access: acc, relay: relay, now: now, log: log,
		Local: func(string) bool { return false }, typing: newTypingLimits(now),
		locks: map[pulid.ID]*sync.Mutex{}, written: map[pulid.ID]bool{}}
}

func (s *Service) heartbeat() time.Duration { return cmp.Or(s.Heartbeat, Heartbeat) }

// expiry is how old a row may be and still count.
func (s *Service) expiry() time.Duration { return expiries * s.heartbeat() }

func (s *Service) lock(userID pulid.ID) func() {
	s.mu.Lock()
	l := s.locks[userID]
	if l == nil {
		l = &sync.Mutex{}
		s.locks[userID] = l
	}
	s.mu.Unlock()
	l.Lock()
	return l.Unlock
}
