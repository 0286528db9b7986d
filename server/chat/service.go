// Package chat is work between colleagues: direct and group chats and their
// members, sending to a chat (with mentions), read/mute/pin/archive, search,
// files and transcriptions (of either kind of conversation: they are the
// same for both). Sessions with customers are server/inbox's. It knows
// nothing of GraphQL or HTTP.
package chat

import (
	"log/slog"
	"time"

	"parley/server/access"
	"parley/server/channel"
	"parley/server/db"
	"parley/server/history"
)

// Limits are the numbers API.md fixes (defaults in DefaultLimits).
type Limits struct {
	GroupMembers  int // members of a group chat, the admin included
	GroupsPerUser int // group chats one user belongs to
	InternalText  int // characters of an internal message
	ExternalText  int // characters of a reply to a customer (as inbox's), for edits
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
	history *history.Writer
	// providers are the channel kinds: their defaults, rules and senders.
	providers *channel.Registry
	// Transcriptions is the job that transcribes AUDIO messages
	// (transcriptions.go); app.go sets its engine.
	Transcriptions *Transcriptions
	// wakeOutbox tells the delivery worker a reply was committed.
	wakeOutbox func()
	// Files stores attachments (files.go).
	Files Files
}

// New returns the core.
func New(d *db.DB, acc *access.Service, hist *history.Writer, now func() time.Time, log *slog.Logger, providers *channel.Registry, wakeOutbox func()) *Service {
	s := &Service{db: d, access: acc, now: now, log: log, limits: DefaultLimits, history: hist, providers: providers,
		wakeOutbox: wakeOutbox}
	s.Transcriptions = newTranscriptions(s)
	return s
}

// Limits returns the limits in force.
func (s *Service) Limits() Limits { return s.limits }
