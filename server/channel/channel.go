// Package channel is the seam between Parley and the providers customers
// write through (SMS, WhatsApp, Messenger, Instagram, Live Chat): what each
// kind allows by default, and the Adapter each provider implements to send.
// Provider packages know their wire format and nothing of GraphQL.
package channel

import (
	"context"
	"errors"
	"fmt"
	"time"

	"parley/ent"
	entchannel "parley/ent/channel"
	"parley/ent/message"
)

// MiB is the unit of file limits: "100 MB" in API.md is 100 MiB here.
const MiB = 1 << 20

// MaxFileSize is the most any conversation accepts: channel limits an admin
// sets are capped here.
const MaxFileSize = 100 * MiB

// Defaults are what a new channel of a kind starts with (API.md limits).
type Defaults struct {
	MaxFileSize         int64
	AutoCloseAfterHours *int // nil: sessions stay open
	FileRetentionHours  int
	// FixedAutoClose: the provider closes sessions itself, an admin cannot change it.
	FixedAutoClose bool
}

// DefaultsFor returns the defaults of a kind.
func DefaultsFor(k entchannel.Kind) Defaults {
	d := Defaults{FileRetentionHours: 72}
	switch k {
	case entchannel.KindSMS:
		d.MaxFileSize = 100 * MiB
	case entchannel.KindWHATSAPP:
		d.MaxFileSize = 25 * MiB
		h := 24
		d.AutoCloseAfterHours, d.FixedAutoClose = &h, true
	case entchannel.KindMESSENGER:
		d.MaxFileSize = 25 * MiB
	default: // Instagram, Live Chat
		d.MaxFileSize = 10 * MiB
	}
	return d
}

// Reply windows: how long after the customer's last message an agent may write freely.
const (
	WhatsAppWindow  = 24 * time.Hour
	MessengerWindow = 7 * 24 * time.Hour
	InstagramWindow = 7 * 24 * time.Hour
)

// MessengerTags are the message tags Messenger accepts outside its window.
var MessengerTags = []message.MessageTag{
	message.MessageTagACCOUNT_UPDATE, message.MessageTagPOST_PURCHASE_UPDATE,
	message.MessageTagCONFIRMED_EVENT_UPDATE, message.MessageTagHUMAN_AGENT,
}

// Template is a pre-approved WhatsApp message, the only way to open a conversation there.
type Template struct {
	Name       string
	Language   string
	Parameters []string
}

// Outbound is one message to hand to a provider.
type Outbound struct {
	Channel *ent.Channel
	Contact *ent.Contact
	Message *ent.Message
	// ReplyToProviderID is the provider's id of the message answered (a comment).
	ReplyToProviderID string
	Attachments       []*ent.Attachment
	Template          *Template
}

// Adapter sends messages through one provider.
type Adapter interface {
	// Send delivers a message and returns the provider's id for it. An error
	// wrapped with Temporary may be retried; any other error is final, and
	// ErrSyncLost also marks the channel disconnected.
	Send(ctx context.Context, out Outbound) (providerMessageID string, err error)
}

// ErrSyncLost means the provider refused the channel's credentials: an admin
// must reconnect it.
var ErrSyncLost = errors.New("the channel lost its connection to the provider")

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

// Registry maps each kind to its adapter.
type Registry map[entchannel.Kind]Adapter

// For returns the adapter of a kind.
func (r Registry) For(k entchannel.Kind) (Adapter, error) {
	if a, ok := r[k]; ok && a != nil {
		return a, nil
	}
	return nil, fmt.Errorf("no adapter for %s channels", k)
}

// LiveChat is the website chat's adapter. Its visitors read replies through
// Parley's own API (messageAdded), so handing a message over is recording it.
type LiveChat struct{}

// Send implements Adapter.
func (LiveChat) Send(_ context.Context, out Outbound) (string, error) {
	return "livechat:" + string(out.Message.ID), nil
}
