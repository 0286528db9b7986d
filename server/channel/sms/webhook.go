package sms

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"parley/server/apperr"
	"parley/server/channel"
)

// twiml is the answer Twilio expects: no auto-reply.
var twiml = channel.Reply{ContentType: "text/xml; charset=utf-8",
	Body: []byte(`<?xml version="1.0" encoding="UTF-8"?><Response/>`)}

// StatusPath is where a channel's status callbacks arrive.
func StatusPath(channelID string) string { return "/webhooks/sms/" + channelID + "/status" }

// Webhook implements channel.Receiver. /webhooks/sms finds the channel by
// the number written to (To); /webhooks/sms/{channelId} names it; and
// /webhooks/sms/{channelId}/status carries delivery statuses. Every request
// must bear the channel's Twilio signature.
func (p Provider) Webhook(r *http.Request, channels channel.ChannelLookup) ([]channel.Batch, error) {
	b, err := p.webhook(r, channels)
	if err != nil {
		return nil, err
	}
	return []channel.Batch{b}, nil
}

func (p Provider) webhook(r *http.Request, channels channel.ChannelLookup) (channel.Batch, error) {
	var b channel.Batch
	if err := r.ParseForm(); err != nil {
		return b, apperr.BadInput("the body is not a form")
	}
	form := r.PostForm // the query is signed as part of the URL, not as parameters
	id, event := r.PathValue("channelId"), r.PathValue("event")
	if event != "" && event != "status" {
		return b, channel.ErrUnknownChannel
	}
	var err error
	if id != "" {
		b.Channel, err = channels.ByID(r.Context(), id)
	} else {
		b.Channel, err = channels.ByExternalID(r.Context(), channel.SMS, form.Get("To"))
	}
	if err != nil {
		return b, err
	}
	if b.Channel.Kind != channel.SMS {
		return b, channel.ErrUnknownChannel
	}
	url := strings.TrimRight(p.PublicURL, "/") + r.URL.RequestURI()
	if !Valid(b.Channel.Credentials["authToken"], url, form, r.Header.Get("X-Twilio-Signature")) {
		return b, channel.ErrBadSignature
	}
	sid := form.Get("MessageSid")
	if sid == "" {
		return b, apperr.BadInput("MessageSid is missing")
	}
	b.Reply = twiml
	if event == "status" {
		if st, ok := status(form.Get("MessageStatus")); ok {
			b.Statuses = []channel.StatusUpdate{{ProviderMessageID: sid, Status: st, Reason: failure(st, form.Get("ErrorCode")),
				OptedOut: st == channel.StatusFailed && form.Get("ErrorCode") == optedOutCode}}
		}
		return b, nil
	}
	from := form.Get("From")
	if from == "" {
		return b, apperr.BadInput("From is missing")
	}
	b.Messages = []channel.InboundMessage{{ProviderID: sid, Text: form.Get("Body"), Consent: consent(form.Get("Body")),
		Contact: channel.InboundContact{ExternalID: from, Phone: from}, Media: media(form.Get, form.Get("NumMedia"))}}
	return b, nil
}

// optedOutCode is Twilio's error for a recipient who texted STOP.
const optedOutCode = "21610"

// Twilio's default opt-out and opt-in keywords: a message that is one of
// them, in any case and with surrounding blanks, changes consent (Twilio
// itself then blocks or unblocks the number).
var (
	optOutWords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
	optInWords  = []string{"START", "YES", "UNSTOP"}
)

func consent(body string) channel.Consent {
	word := strings.ToUpper(strings.TrimSpace(body))
	switch {
	case slices.Contains(optOutWords, word):
		return channel.OptOut
	case slices.Contains(optInWords, word):
		return channel.OptIn
	}
	return channel.ConsentUnchanged
}

// maxMedia is the most media Twilio puts on one message.
const maxMedia = 10

func media(get func(string) string, num string) []channel.MediaRef {
	n, _ := strconv.Atoi(num)
	var out []channel.MediaRef
	for i := 0; i < n && i < maxMedia; i++ {
		if u := get(fmt.Sprintf("MediaUrl%d", i)); u != "" {
			out = append(out, channel.MediaRef{URL: u, ContentType: get(fmt.Sprintf("MediaContentType%d", i))})
		}
	}
	return out
}

// status maps Twilio's MessageStatus; the other values (accepted,
// scheduled, receiving, ...) say nothing about delivery.
func status(s string) (channel.Status, bool) {
	switch s {
	case "queued", "sending", "sent":
		return channel.StatusSent, true
	case "delivered":
		return channel.StatusDelivered, true
	case "read":
		return channel.StatusRead, true
	case "undelivered", "failed":
		return channel.StatusFailed, true
	}
	return "", false
}

// errorMeanings are the delivery errors agents meet most.
var errorMeanings = map[string]string{
	"30003": "the phone is unreachable",
	"30005": "the number is unknown",
	"30006": "the number is a landline or its carrier is unreachable",
	"30007": "the carrier filtered the message",
	"30008": "unknown delivery error",
	"21610": "the customer opted out (STOP)",
	"21211": "the number is invalid",
	"21614": "not a mobile number",
}

// failure is the failureReason of a FAILED status.
func failure(st channel.Status, code string) string {
	if st != channel.StatusFailed {
		return ""
	}
	if _, err := strconv.Atoi(code); err != nil || len(code) > 8 {
		return "Twilio could not deliver the message"
	}
	if m, ok := errorMeanings[code]; ok {
		return "Twilio error " + code + ": " + m
	}
	return "Twilio error " + code
}
