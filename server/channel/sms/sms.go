// Package sms is the SMS channel through Twilio: its defaults and rules,
// its webhooks (signed inbound messages and status callbacks) and its sends.
package sms

import (
	"net/http"
	"time"

	"parley/server/apperr"
	"parley/server/channel"
)

// DefaultAPI is Twilio's REST API.
const DefaultAPI = "https://api.twilio.com"

// Provider is the SMS channel.
type Provider struct {
	// API is Twilio's REST API base URL ("" is DefaultAPI).
	API string
	// PublicURL is Parley's own address as Twilio calls it: webhook
	// signatures cover it, and status callbacks are sent to it.
	PublicURL string
	// Client makes the calls to Twilio (nil: a client with a timeout).
	Client *http.Client
	// MediaURL is a short-lived download URL of an attachment, which
	// Twilio fetches to send it as MMS (nil: replies with files fail).
	MediaURL func(attachmentID string) string
}

// Kind implements channel.Provider.
func (Provider) Kind() channel.Kind { return channel.SMS }

// Defaults implements channel.Provider: files up to 100 MB, sessions stay open.
func (Provider) Defaults() channel.Defaults {
	return channel.Defaults{MaxFileSize: 100 * channel.MiB, FileRetentionHours: channel.DefaultFileRetentionHours}
}

// Policy implements channel.Provider: SMS has no reply window, but a
// customer who texted STOP (or whose carrier reported the opt-out, Twilio
// error 21610) cannot be written to until they text START.
func (Provider) Policy(s channel.Session, _ time.Time) channel.Policy {
	switch {
	case !s.Connected:
		return channel.SyncLost()
	case s.OptedOut:
		return channel.Closed(apperr.ReplyWindowClosed,
			"the customer opted out of SMS (STOP): nothing can be sent until they text START")
	}
	return channel.Open()
}

func (p Provider) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (p Provider) api() string {
	if p.API == "" {
		return DefaultAPI
	}
	return p.API
}
