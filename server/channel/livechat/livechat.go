// Package livechat is the website's Live Chat channel. Its visitors read
// replies through Parley's own API (messageAdded), so handing a message over
// is recording it.
package livechat

import (
	"context"
	"time"

	"parley/server/channel"
)

// Provider is the Live Chat channel.
type Provider struct{}

// Kind implements channel.Provider.
func (Provider) Kind() channel.Kind { return channel.LiveChat }

// Defaults implements channel.Provider: files up to 10 MB.
func (Provider) Defaults() channel.Defaults {
	return channel.Defaults{MaxFileSize: 10 * channel.MiB, FileRetentionHours: channel.DefaultFileRetentionHours}
}

// Policy implements channel.Provider: a visitor can be answered any time.
func (Provider) Policy(s channel.Session, _ time.Time) channel.Policy {
	if !s.Connected {
		return channel.SyncLost()
	}
	return channel.Open()
}

// Send implements channel.Provider.
func (Provider) Send(_ context.Context, out channel.Outbound) (string, error) {
	return "livechat:" + out.MessageID, nil
}
