// Package channel is the seam between Parley and the providers customers
// write through (SMS, WhatsApp, Messenger, Instagram, Live Chat). Each kind
// is a Provider in a folder of its own (channel/whatsapp, channel/sms, ...):
// its defaults, its reply rules and its wire format. The seam speaks plain
// structs: it knows nothing of GraphQL, HTTP routing or the database, and
// imports only the standard library and apperr.
package channel

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kind is a kind of channel, spelled as the API's ChannelKind.
type Kind string

// The kinds of channel.
const (
	SMS       Kind = "SMS"
	WhatsApp  Kind = "WHATSAPP"
	Messenger Kind = "MESSENGER"
	Instagram Kind = "INSTAGRAM"
	LiveChat  Kind = "LIVE_CHAT"
)

// MiB is the unit of file limits: "100 MB" in the API's limits is 100 MiB.
const MiB = 1 << 20

// MaxFileSize is the most any conversation accepts: channel limits an admin
// sets are capped here.
const MaxFileSize = 100 * MiB

// DefaultFileRetentionHours is how long a session's files are kept unless
// the channel says otherwise.
const DefaultFileRetentionHours = 72

// Defaults are what a new channel of a kind starts with.
type Defaults struct {
	MaxFileSize         int64
	AutoCloseAfterHours *int // nil: sessions stay open
	FileRetentionHours  int
	// FixedAutoClose: the provider closes sessions itself, an admin cannot change it.
	FixedAutoClose bool
}

// Message tags Messenger accepts outside its window, spelled as the API's MessageTag.
const (
	TagAccountUpdate        = "ACCOUNT_UPDATE"
	TagPostPurchaseUpdate   = "POST_PURCHASE_UPDATE"
	TagConfirmedEventUpdate = "CONFIRMED_EVENT_UPDATE"
	TagHumanAgent           = "HUMAN_AGENT"
)

// Session is what a kind's reply rules look at.
type Session struct {
	// Connected is false once the channel lost its provider.
	Connected bool
	// LastInboundAt is when the customer last wrote (nil: never).
	LastInboundAt *time.Time
	// ContactNickname is the customer's handle on the provider, if known.
	ContactNickname string
	// OptedOut: the customer asked not to be written to (SMS STOP) and has
	// not opted in again.
	OptedOut bool
}

// SinceCustomer is how long ago the customer last wrote, or -1 if never.
func (s Session) SinceCustomer(now time.Time) time.Duration {
	if s.LastInboundAt == nil {
		return -1
	}
	return now.Sub(*s.LastInboundAt)
}

// Template is a pre-approved message, the only way to open a WhatsApp conversation.
type Template struct {
	Name       string
	Language   string
	Parameters []string
}

// Channel is the channel a message goes out through.
type Channel struct {
	ID   string
	Kind Kind
	Name string
	// ExternalID is the provider's id of the number, page or account.
	ExternalID  string
	Credentials map[string]string
}

// Contact is the customer as the channel knows them.
type Contact struct {
	ExternalID string
	Phone      string
}

// Attachment is a file sent with a message.
type Attachment struct {
	ID          string
	Filename    string
	ContentType string
	Size        int64
}

// Outbound is one message to hand to a provider.
type Outbound struct {
	Channel Channel
	Contact Contact
	// MessageID is Parley's id of the message.
	MessageID string
	Text      string
	// Tag is the message tag (Messenger), or "".
	Tag string
	// ReplyToProviderID is the provider's id of the message answered.
	ReplyToProviderID string
	// Comment: a public answer to the comment ReplyToProviderID, under its
	// post, rather than a private message.
	Comment     bool
	Attachments []Attachment
	Template    *Template
	// SinceCustomer is how long ago the customer last wrote when the
	// message goes out (-1: never), for providers whose rules change
	// inside the reply window Parley enforces (Meta's 24-hour standard window).
	SinceCustomer time.Duration
}

// Provider is one kind of channel: what a new channel starts with, when an
// agent may write, and how a message reaches the customer.
type Provider interface {
	Kind() Kind
	Defaults() Defaults
	// Policy applies the kind's reply rules to a session at a moment. It is
	// the one place they live: Session.replyPolicy shows them, sends obey them.
	Policy(s Session, now time.Time) Policy
	// Send delivers a message and returns the provider's id for it. An error
	// wrapped with Temporary may be retried; any other error is final, and
	// ErrSyncLost also marks the channel disconnected.
	Send(ctx context.Context, out Outbound) (providerMessageID string, err error)
}

// ErrSyncLost means the provider refused the channel's credentials: an admin
// must reconnect it.
var ErrSyncLost = errors.New("the channel lost its connection to the provider")

// ErrNotConnected is a kind's Send before Parley speaks its provider's wire format.
var ErrNotConnected = errors.New("this kind of channel cannot send yet")

// Temporary marks an error after which sending again may succeed (the
// provider was unreachable or busy, and the message was surely not taken).
func Temporary(err error) error { return temporary{err} }

type temporary struct{ error }

func (t temporary) Unwrap() error { return t.error }

// IsTemporary reports whether err may be retried.
func IsTemporary(err error) bool {
	var t temporary
	return errors.As(err, &t)
}

// Registry holds the provider of each kind.
type Registry struct{ byKind map[Kind]Provider }

// NewRegistry returns a registry of the providers.
func NewRegistry(providers ...Provider) *Registry {
	r := &Registry{byKind: map[Kind]Provider{}}
	for _, p := range providers {
		r.Register(p)
	}
	return r
}

// Register adds a provider, or replaces the one of its kind.
func (r *Registry) Register(p Provider) { r.byKind[p.Kind()] = p }

// For returns the provider of a kind.
func (r *Registry) For(k Kind) (Provider, error) {
	if p, ok := r.byKind[k]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("no provider for %s channels", k)
}
