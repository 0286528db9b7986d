// Package instagram is the Instagram channel: its defaults and rules, its
// webhooks (direct messages, echoes, seen receipts, reactions and comments
// on the account's media) and its sends through the Graph API.
package instagram

import (
	"time"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

// Window is how long after the customer's last message an agent may write at all.
const Window = 7 * 24 * time.Hour

// Provider is the Instagram channel (Instagram messaging through the
// Facebook Page it is linked to).
type Provider struct {
	Graph meta.Graph
	// MediaURL is a short-lived download URL of an attachment, which Meta
	// fetches to send it (nil: replies with files fail).
	MediaURL func(attachmentID string) string
}

// Kind implements channel.Provider.
func (Provider) Kind() channel.Kind { return channel.Instagram }

// Defaults implements channel.Provider: files up to 10 MB.
func (Provider) Defaults() channel.Defaults {
	return channel.Defaults{MaxFileSize: 10 * channel.MiB, FileRetentionHours: channel.DefaultFileRetentionHours}
}

// Policy implements channel.Provider: after 7 days nothing; the refusal
// carries a link to go on in Instagram.
func (Provider) Policy(s channel.Session, now time.Time) channel.Policy {
	since := s.SinceCustomer(now)
	switch {
	case !s.Connected:
		return channel.SyncLost()
	case since < 0 || since >= Window:
		p := channel.Closed(apperr.ReplyWindowClosed, "the customer last wrote more than 7 days ago: continue in Instagram")
		p.DeepLink = deepLink(s.ContactNickname)
		return p
	}
	return channel.Open()
}

// deepLink opens the conversation in Instagram.
func deepLink(nickname string) *string {
	link := "https://www.instagram.com/direct/inbox/"
	if nickname != "" {
		link = "https://ig.me/m/" + nickname
	}
	return &link
}
