// Package meta is what Meta's three channels (WhatsApp, Messenger,
// Instagram) share: the webhook subscription handshake, the signature on
// every event, routing a batch to its channels, and the Graph API client
// with its error classes. Each channel's own wire format is in its folder.
package meta

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"

	"parley/server/apperr"
	"parley/server/channel"
)

// DefaultGraph is the Graph API every call goes to unless configured.
const DefaultGraph = "https://graph.facebook.com/v23.0"

// The channel credentials a Meta channel holds.
const (
	AccessToken = "accessToken" // the bearer token of Graph calls (a Page or system-user token)
	AppSecret   = "appSecret"   // signs the webhooks
	VerifyToken = "verifyToken" // answers the subscription handshake
)

// SignatureHeader is where Meta signs a webhook.
const SignatureHeader = "X-Hub-Signature-256"

// Signature is the X-Hub-Signature-256 header of body signed with secret.
func Signature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Valid reports whether header signs body with secret, comparing in
// constant time. An empty secret signs nothing.
func Valid(secret string, body []byte, header string) bool {
	if secret == "" || !strings.HasPrefix(header, "sha256=") {
		return false
	}
	want := Signature(secret, body)
	got := "sha256=" + strings.ToLower(strings.TrimPrefix(header, "sha256="))
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// maxChallenge bounds the hub.challenge echoed back.
const maxChallenge = 256

// Handshake answers Meta's subscription check, GET ...?hub.mode=subscribe
// &hub.verify_token=...&hub.challenge=...: the challenge itself, verbatim
// as text/plain, when the token is the channel's verifyToken (on the bare
// /webhooks/{kind}, any channel's of that kind), else 403.
func Handshake(w http.ResponseWriter, r *http.Request, kind channel.Kind, channels channel.ChannelLookup) {
	q := r.URL.Query()
	token, challenge := q.Get("hub.verify_token"), q.Get("hub.challenge")
	ok := q.Get("hub.mode") == "subscribe" && token != "" && challenge != "" && len(challenge) <= maxChallenge &&
		verifies(r.Context(), r.PathValue("channelId"), kind, token, channels)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "forbidden")
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, challenge)
}

func verifies(ctx context.Context, id string, kind channel.Kind, token string, channels channel.ChannelLookup) bool {
	var candidates []channel.Channel
	if id != "" {
		ch, err := channels.ByID(ctx, id)
		if err != nil || ch.Kind != kind {
			return false
		}
		candidates = []channel.Channel{ch}
	} else {
		var err error
		if candidates, err = channels.OfKind(ctx, kind); err != nil {
			return false
		}
	}
	for _, ch := range candidates {
		want := ch.Credentials[VerifyToken]
		if want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1 {
			return true
		}
	}
	return false
}

// Part is what one account's entries in a webhook carry: Account is the
// page, Instagram account or WhatsApp phone number id they are for.
type Part struct {
	Account  string
	Messages []channel.InboundMessage
	Statuses []channel.StatusUpdate
}

// Parse reads a webhook body of a kind into its parts.
type Parse func(body []byte) ([]Part, error)

// Receive is the webhook flow of every Meta kind: read the raw body, find
// each part's channel (the one the path names, or the one whose externalId
// is the part's account), check the body is signed with every such
// channel's app secret, and return one batch per channel. Parts of accounts
// no channel has are skipped, unless no part has one (404).
func Receive(r *http.Request, kind channel.Kind, channels channel.ChannelLookup, parse Parse) ([]channel.Batch, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, apperr.BadInput("the body could not be read")
	}
	ctx := r.Context()
	signature := r.Header.Get(SignatureHeader)
	if id := r.PathValue("channelId"); id != "" {
		if r.PathValue("event") != "" {
			return nil, channel.ErrUnknownChannel
		}
		ch, err := channels.ByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if ch.Kind != kind {
			return nil, channel.ErrUnknownChannel
		}
		if !Valid(ch.Credentials[AppSecret], body, signature) {
			return nil, channel.ErrBadSignature
		}
		parts, err := parse(body)
		if err != nil {
			return nil, err
		}
		b := channel.Batch{Channel: ch}
		for _, p := range parts {
			b.Messages = append(b.Messages, p.Messages...)
			b.Statuses = append(b.Statuses, p.Statuses...)
		}
		return []channel.Batch{b}, nil
	}
	if signature == "" {
		return nil, channel.ErrBadSignature // nothing unsigned is even parsed for routing
	}
	parts, err := parse(body)
	if err != nil {
		return nil, err
	}
	var batches []channel.Batch
	index := map[string]int{} // channel id -> batch
	for _, p := range parts {
		ch, err := channels.ByExternalID(ctx, kind, p.Account)
		if errors.Is(err, channel.ErrUnknownChannel) {
			continue
		}
		if err != nil {
			return nil, err
		}
		i, seen := index[ch.ID]
		if !seen {
			if !Valid(ch.Credentials[AppSecret], body, signature) {
				return nil, channel.ErrBadSignature
			}
			i = len(batches)
			index[ch.ID] = i
			batches = append(batches, channel.Batch{Channel: ch})
		}
		batches[i].Messages = append(batches[i].Messages, p.Messages...)
		batches[i].Statuses = append(batches[i].Statuses, p.Statuses...)
	}
	if len(batches) == 0 {
		return nil, channel.ErrUnknownChannel
	}
	return batches, nil
}
