// Package sms is the SMS channel (Twilio): its defaults and rules. Its wire
// format comes with the SMS issue; until then a send fails plainly.
package sms

import (
	"context"
	"time"

	"parley/server/channel"
)

// Provider is the SMS channel.
type Provider struct{}

// Kind implements channel.Provider.
func (Provider) Kind() channel.Kind { return channel.SMS }

// Defaults implements channel.Provider: files up to 100 MB, sessions stay open.
func (Provider) Defaults() channel.Defaults {
	return channel.Defaults{MaxFileSize: 100 * channel.MiB, FileRetentionHours: channel.DefaultFileRetentionHours}
}

// Policy implements channel.Provider: SMS has no reply window.
func (Provider) Policy(s channel.Session, _ time.Time) channel.Policy {
	if !s.Connected {
		return channel.SyncLost()
	}
	return channel.Open()
}

// Send implements channel.Provider.
func (Provider) Send(context.Context, channel.Outbound) (string, error) {
	return "", channel.ErrNotConnected
}
