// Package inbox is work with customers: the one inbound path (Receive),
// replies and their channel rules, starting, forwarding, archiving and
// auto-closing sessions, customers and their documents, canned responses,
// channel administration, and starting a Live Chat. The plan is checked at
// its door (access.Agent, access.External).
package inbox

import (
	"context"
	"log/slog"
	"time"

	"parley/server/access"
	"parley/server/channel"
	"parley/server/db"
	"parley/server/history"
)

// Limits are the numbers API.md fixes for sessions.
type Limits struct {
	ExternalText int // characters of a message to a customer
	InternalText int // characters of a private note
}

// DefaultLimits are API.md's defaults.
var DefaultLimits = Limits{ExternalText: 1_000, InternalText: 10_000}

// Service is the inbox.
type Service struct {
	db      *db.DB
	access  *access.Service
	history *history.Writer
	now     func() time.Time
	log     *slog.Logger
	limits  Limits
	// providers are the channel kinds: their defaults, rules and senders.
	providers *channel.Registry
	// wakeOutbox tells the delivery worker a reply was committed.
	wakeOutbox func()
	// Media stores the files of inbound messages (MMS).
	Media Media
	// PublicURL is Parley's own address, as providers call it.
	PublicURL string
	// Profilers name new customers, by kind (Messenger, Instagram).
	Profilers map[channel.Kind]channel.Profiler
	// Readers tell customers an agent read their messages, by kind.
	Readers map[channel.Kind]channel.Reader
	// Region reads phone numbers written in national form (ISO 3166, "DE");
	// "" understands only international forms.
	Region string
	// OverdueAfter is how long a customer may wait before their session is
	// overdue (the organisation's setting); nil is DefaultOverdueAfter.
	OverdueAfter func(context.Context) (time.Duration, error)
}

// New returns the inbox.
func New(d *db.DB, acc *access.Service, hist *history.Writer, now func() time.Time, log *slog.Logger, providers *channel.Registry, wakeOutbox func()) *Service {
	return &Service{db: d, access: acc, history: hist, now: now, log: log, limits: DefaultLimits,
		providers: providers, wakeOutbox: wakeOutbox}
}
