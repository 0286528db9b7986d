package whatsapp

import (
	"encoding/json"
	"net/http"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

// object is what every WhatsApp webhook body says it is about.
const object = "whatsapp_business_account"

// Bounds on what one webhook body may make Parley keep.
const (
	maxEvents   = 1000 // messages and statuses in one body
	maxContacts = 100  // senders looked at in one change
	maxID       = 256  // any id
)

// Webhook implements channel.Receiver: Meta's shared flow (signature,
// routing by phone number id) over WhatsApp's own body.
func (Provider) Webhook(r *http.Request, channels channel.ChannelLookup) ([]channel.Batch, error) {
	return meta.Receive(r, channel.WhatsApp, channels, parse)
}

// Handshake implements channel.Handshaker.
func (Provider) Handshake(w http.ResponseWriter, r *http.Request, channels channel.ChannelLookup) {
	meta.Handshake(w, r, channel.WhatsApp, channels)
}

// parse reads a webhook body: one part per change of field "messages",
// for the phone number its metadata names. Other fields (template and
// account updates) say nothing of conversations and are skipped.
func parse(body []byte) ([]meta.Part, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, apperr.BadInput("the body is not a WhatsApp webhook")
	}
	if env.Object != object {
		return nil, apperr.BadInput("the body is not about a WhatsApp business account")
	}
	var parts []meta.Part
	events := 0
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			if c.Field != "messages" {
				continue
			}
			var v value
			if err := json.Unmarshal(c.Value, &v); err != nil {
				return nil, apperr.BadInput("a change of the webhook is not a WhatsApp messages value")
			}
			account := v.Metadata.PhoneNumberID
			if len(account) > maxID {
				continue
			}
			p := meta.Part{Account: account}
			senders := readSenders(v.Contacts)
			for _, raw := range v.Messages {
				if events >= maxEvents {
					break
				}
				if m, ok := readMessage(raw, senders); ok {
					p.Messages = append(p.Messages, m)
					events++
				}
			}
			for _, raw := range v.Statuses {
				if events >= maxEvents {
					break
				}
				if s, ok := readStatus(raw); ok {
					p.Statuses = append(p.Statuses, s)
					events++
				}
			}
			if len(p.Messages)+len(p.Statuses) > 0 {
				parts = append(parts, p)
			}
		}
	}
	return parts, nil
}

func readSenders(raws []json.RawMessage) []sender {
	var out []sender
	for i, raw := range raws {
		if i >= maxContacts {
			break
		}
		var s sender
		if json.Unmarshal(raw, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}

// readStatus reads a receipt; statuses Parley has no word for (and
// receipts without an id) are skipped.
func readStatus(raw json.RawMessage) (channel.StatusUpdate, bool) {
	var s status
	if json.Unmarshal(raw, &s) != nil || !validID(s.ID) {
		return channel.StatusUpdate{}, false
	}
	u := channel.StatusUpdate{ProviderMessageID: s.ID}
	switch s.Status {
	case "sent":
		u.Status = channel.StatusSent
	case "delivered":
		u.Status = channel.StatusDelivered
	case "read", "played": // played: a voice message listened to, so seen
		u.Status = channel.StatusRead
	case "failed":
		u.Status = channel.StatusFailed
		u.Reason = failureReason(s.Errors)
	default:
		return channel.StatusUpdate{}, false
	}
	return u, true
}

func validID(id string) bool { return id != "" && len(id) <= maxID }
