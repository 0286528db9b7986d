// Package whatsapp is the WhatsApp channel (Meta's Cloud API): its defaults
// and rules, its webhooks (messages and delivery statuses of a phone
// number), its sends, media downloads and read receipts.
package whatsapp

import (
	"time"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

// Window is how long after the customer's last message an agent may write freely.
const Window = 24 * time.Hour

// Provider is the WhatsApp channel. A channel's ExternalID is its phone
// number id, and its credentials hold the access token and app secret.
type Provider struct {
	// Graph is the Graph API the channel calls.
	Graph meta.Graph
	// MediaURL is a short-lived download URL of an attachment, which
	// WhatsApp fetches to send it (nil: replies with files fail).
	MediaURL func(attachmentID string) string
}

// Kind implements channel.Provider.
func (Provider) Kind() channel.Kind { return channel.WhatsApp }

// Defaults implements channel.Provider: files up to 100 MB; WhatsApp itself
// closes a conversation 24 hours after the customer's last message.
func (Provider) Defaults() channel.Defaults {
	h := 24
	return channel.Defaults{MaxFileSize: 100 * channel.MiB, FileRetentionHours: channel.DefaultFileRetentionHours,
		AutoCloseAfterHours: &h, FixedAutoClose: true}
}

// Policy implements channel.Provider: free text only within 24 hours of the
// customer's last message, and a new conversation only with a template.
func (Provider) Policy(s channel.Session, now time.Time) channel.Policy {
	since := s.SinceCustomer(now)
	switch {
	case !s.Connected:
		return channel.SyncLost()
	case since < 0:
		return channel.Closed(apperr.CannotInitiate, "WhatsApp does not allow starting a conversation with free text: send a template")
	case since >= Window:
		return channel.Closed(apperr.ReplyWindowClosed, "the customer last wrote more than 24 hours ago: WhatsApp only takes a template now")
	}
	return channel.Open()
}

// token is the bearer token of a channel's Graph calls; without one the
// channel must be reconnected.
func token(ch channel.Channel) (string, error) {
	t := ch.Credentials[meta.AccessToken]
	if t == "" {
		return "", channel.ErrSyncLost
	}
	return t, nil
}

// What the WhatsApp channel does beyond sending.
var (
	_ channel.Receiver     = Provider{}
	_ channel.Handshaker   = Provider{}
	_ channel.MediaFetcher = Provider{}
	_ channel.Reader       = Provider{}
	_ channel.Checker      = Provider{}
)
