package meta

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"parley/server/apperr"
	"parley/server/channel"
)

// Bounds on what a Messenger or Instagram webhook may carry into Parley.
const (
	maxID    = 256      // any id: mid, PSID, comment id
	maxText  = 64 << 10 // a message's text, in bytes
	maxURL   = 4096     // a CDN URL (they carry long signatures)
	maxMedia = 30       // attachments kept of one message
	maxMids  = 100      // per-message receipts of one delivery event
)

// OwnMetadata prefixes the metadata of every message Parley sends:
// its echo comes back with it and is dropped.
const OwnMetadata = "parley:"

// StandardWindow is how long after a customer's message Meta lets a page
// answer without a tag; after it, until 7 days, a human agent's answer
// goes as MESSAGE_TAG HUMAN_AGENT.
const StandardWindow = 24 * time.Hour

// ID is an id Meta may spell as a string or, now and then, a number.
type ID string

// UnmarshalJSON accepts a string, a number or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*id = ID(n.String())
	return nil
}

// Check returns the id, or BadInput if it is longer than any Meta id.
func (id ID) Check() (string, error) {
	if len(id) > maxID {
		return "", apperr.BadInput("an id in the webhook is too long")
	}
	return string(id), nil
}

// Time is a timestamp Meta spells as a number (ms in messaging events,
// seconds in changes), or as a string of one.
type Time int64

// UnmarshalJSON accepts a number, a string of one, or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	s := string(bytes.Trim(b, `"`))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*t = Time(n)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e16 {
		return apperr.BadInput("a timestamp in the webhook is not a number")
	}
	*t = Time(f)
	return nil
}

// Text bounds a text from a webhook, cutting on a character boundary.
func Text(s string) string {
	if len(s) <= maxText {
		return s
	}
	s = s[:maxText]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// WebURL is u if it is a bounded http(s) address, else "".
func WebURL(u string) string {
	if len(u) > maxURL || !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) {
		return ""
	}
	return u
}

// Entry is one account's share of a Messenger or Instagram webhook.
type Entry struct {
	ID        ID       `json:"id"`
	Time      Time     `json:"time"`
	Messaging []Event  `json:"messaging"`
	Standby   []Event  `json:"standby"` // another app owns the thread: read like messaging
	Changes   []Change `json:"changes"`
}

// Change is one changes[] item: a field (feed, comments, ...) and its value.
type Change struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

// ChangeFunc reads one changes[] item of an entry; nil (and no error) skips it.
type ChangeFunc func(account string, entry Entry, c Change) (*channel.InboundMessage, error)

type envelope struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Messaging is the Parse of Messenger (object "page") and Instagram
// (object "instagram"): every entry is a Part for its account, every
// messaging[] and standby[] event read by the rules both share, every
// changes[] item by change. Events Parley has no use for are skipped.
func Messaging(object string, change ChangeFunc) Parse {
	return func(body []byte) ([]Part, error) {
		var env envelope
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, apperr.BadInput("the webhook is not the JSON Meta sends")
		}
		if env.Object != object {
			return nil, apperr.BadInput("the webhook is not for this kind of channel")
		}
		var parts []Part
		for _, e := range env.Entry {
			account, err := e.ID.Check()
			if err != nil {
				return nil, err
			}
			if account == "" {
				return nil, apperr.BadInput("an entry of the webhook names no account")
			}
			p := Part{Account: account}
			for _, ev := range append(e.Messaging, e.Standby...) {
				if err := ev.read(account, &p); err != nil {
					return nil, err
				}
			}
			for _, c := range e.Changes {
				if change == nil {
					continue
				}
				m, err := change(account, e, c)
				if err != nil {
					return nil, err
				}
				if m != nil && m.ProviderID != "" {
					p.Messages = append(p.Messages, *m)
				}
			}
			parts = append(parts, p)
		}
		return parts, nil
	}
}
