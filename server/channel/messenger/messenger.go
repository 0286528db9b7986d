// Package messenger is the Facebook Messenger channel: its defaults and
// rules, its webhooks (messages, echoes, receipts, reactions, postbacks
// and the Page's feed comments) and its sends through the Graph API.
package messenger

import (
	"time"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

// Window is how long after the customer's last message an agent may write
// without a message tag.
const Window = 7 * 24 * time.Hour

// Tags are the message tags Messenger accepts outside its window.
var Tags = []string{channel.TagAccountUpdate, channel.TagPostPurchaseUpdate, channel.TagConfirmedEventUpdate, channel.TagHumanAgent}

// Provider is the Messenger channel.
type Provider struct {
	Graph meta.Graph
	// MediaURL is a short-lived download URL of an attachment, which Meta
	// fetches to send it (nil: replies with files fail).
	MediaURL func(attachmentID string) string
}

// Kind implements channel.Provider.
func (Provider) Kind() channel.Kind { return channel.Messenger }

// Defaults implements channel.Provider: files up to 25 MB.
func (Provider) Defaults() channel.Defaults {
	return channel.Defaults{MaxFileSize: 25 * channel.MiB, FileRetentionHours: channel.DefaultFileRetentionHours}
}

// Policy implements channel.Provider: after 7 days since the customer's last
// message (or before any), only with a message tag.
func (Provider) Policy(s channel.Session, now time.Time) channel.Policy {
	since := s.SinceCustomer(now)
	switch {
	case !s.Connected:
		return channel.SyncLost(Tags...)
	case since < 0 || since >= Window:
		return channel.Closed(apperr.MessageTagRequired, "the customer last wrote more than 7 days ago: Messenger needs a message tag", Tags...)
	}
	return channel.Open(Tags...)
}
