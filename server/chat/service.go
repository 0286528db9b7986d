// Package chat is the messaging core: chats and their members, the one path
// every message is written by, read state and counters, badges, and the
// live streams. It knows nothing of GraphQL or HTTP.
package chat

import (
	"context"
	"log/slog"
	"time"

	"parley/ent"
	"parley/ent/event"
	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/channel"
	"parley/server/db"
	"parley/server/pubsub"
)

// Limits are the numbers API.md fixes (defaults in DefaultLimits).
type Limits struct {
	GroupMembers  int // members of a group chat, the admin included
	GroupsPerUser int // group chats one user belongs to
	InternalText  int // characters of an internal message
	ExternalText  int // characters of a message to a customer
}

// DefaultLimits are API.md's defaults.
var DefaultLimits = Limits{GroupMembers: 200, GroupsPerUser: 100, InternalText: 10_000, ExternalText: 1_000}

// Service is the messaging core.
type Service struct {
	db      *db.DB
	access  *access.Service
	now     func() time.Time
	log     *slog.Logger
	limits  Limits
	relay   *pubsub.Relay
	streams *pubsub.Streams
	// providers are the channel kinds: their defaults, rules and senders.
	providers *channel.Registry
	// BadgeInterval is the least time between two badge updates of one stream.
	BadgeInterval time.Duration
	// Transcriber, when set, is handed AUDIO messages to transcribe.
	Transcriber func(messageID pulid.ID)
	// Outbox sets how replies to customers are delivered.
	Outbox     OutboxConfig
	outboxWake chan struct{}
	badges     *badgeBatcher
	// Files stores attachments (files.go).
	Files Files
}

// New returns the core.
func New(d *db.DB, acc *access.Service, now func() time.Time, log *slog.Logger, relay *pubsub.Relay, streams *pubsub.Streams, providers *channel.Registry) *Service {
	s := &Service{db: d, access: acc, now: now, log: log, limits: DefaultLimits, relay: relay, streams: streams, providers: providers,
		BadgeInterval: 250 * time.Millisecond,
		Outbox:        DefaultOutbox, outboxWake: make(chan struct{}, 1)}
	s.badges = &badgeBatcher{s: s, window: 10 * time.Millisecond}
	return s
}

// Limits returns the limits in force.
func (s *Service) Limits() Limits { return s.limits }

// write runs fn in a transaction and, once it has committed, wakes the relay
// so subscribers hear of it: events are never published before commit.
func (s *Service) write(ctx context.Context, fn func(tx *ent.Tx) error) error {
	if err := s.db.Tx(ctx, fn); err != nil {
		return err
	}
	s.relay.Notify()
	return nil
}

// ev is one event to record with a change.
type ev struct {
	Type           event.Type
	UserID         pulid.ID // only for this user; else everyone who sees the conversation
	ConversationID pulid.ID
	ChannelID      *pulid.ID
	MessageID      pulid.ID
	CallID         pulid.ID
	AgentsOnly     bool
}

// emit records events with the change they report, in its transaction:
// they are written when it commits (pubsub.Append), in the order emitted.
func (s *Service) emit(tx *ent.Tx, evs ...ev) {
	builders := make([]*ent.EventCreate, len(evs))
	for i, e := range evs {
		c := tx.Event.Create().SetType(e.Type).SetAgentsOnly(e.AgentsOnly).SetNillableChannelID(e.ChannelID)
		if e.UserID != "" {
			c.SetUserID(e.UserID)
		}
		if e.ConversationID != "" {
			c.SetConversationID(e.ConversationID)
		}
		if e.MessageID != "" {
			c.SetMessageID(e.MessageID)
		}
		if e.CallID != "" {
			c.SetCallID(e.CallID)
		}
		builders[i] = c
	}
	pubsub.Append(s.db, tx, builders...)
}

// conversationEvent is an event for everyone who sees the conversation.
func conversationEvent(t event.Type, c *ent.Conversation) ev {
	return ev{Type: t, ConversationID: c.ID, ChannelID: c.ChannelID}
}

// userEvent is an event about a conversation for one user only.
func userEvent(t event.Type, userID pulid.ID, c *ent.Conversation) ev {
	return ev{Type: t, UserID: userID, ConversationID: c.ID}
}
