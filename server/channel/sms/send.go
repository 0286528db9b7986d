package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"parley/server/channel"
)

// ErrNoMedia refuses a reply with files Twilio cannot be handed: no way
// to link them, or more than an MMS takes.
var ErrNoMedia = errors.New("this SMS reply cannot carry its files")

// maxReason bounds what of Twilio's error message a failed send keeps.
const maxReason = 200

// Send implements channel.Provider: it posts the message to Twilio's
// Messages resource and returns its sid. Twilio's status callbacks for it
// come to the channel's StatusPath.
func (p Provider) Send(ctx context.Context, out channel.Outbound) (string, error) {
	if len(out.Attachments) > 0 && p.MediaURL == nil || len(out.Attachments) > maxMedia {
		// Not sent at all rather than sent without the files the agent meant.
		return "", ErrNoMedia
	}
	sid, token := out.Channel.Credentials["accountSid"], out.Channel.Credentials["authToken"]
	if sid == "" || token == "" {
		return "", channel.ErrSyncLost
	}
	to := out.Contact.Phone
	if to == "" {
		to = out.Contact.ExternalID
	}
	form := url.Values{"To": {to}, "From": {out.Channel.ExternalID}, "Body": {out.Text},
		"StatusCallback": {strings.TrimRight(p.PublicURL, "/") + StatusPath(out.Channel.ID)}}
	for _, a := range out.Attachments {
		form.Add("MediaUrl", p.MediaURL(a.ID))
	}
	endpoint := strings.TrimRight(p.api(), "/") + "/2010-04-01/Accounts/" + url.PathEscape(sid) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(sid, token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.client().Do(req)
	if err != nil {
		return "", channel.Temporary(errors.New("Twilio is unreachable"))
	}
	defer resp.Body.Close()
	var body struct {
		Sid     string
		Code    int
		Message string
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
	switch {
	case resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK:
		if body.Sid == "" {
			return "", errors.New("Twilio did not say the message's sid")
		}
		return body.Sid, nil
	case resp.StatusCode == http.StatusUnauthorized || body.Code == 20003:
		return "", channel.ErrSyncLost
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", channel.Temporary(fmt.Errorf("Twilio answered %d", resp.StatusCode))
	}
	return "", fmt.Errorf("Twilio refused the message (%d): %s", body.Code, bound(body.Message))
}

func bound(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > maxReason {
		return string(r[:maxReason]) + "…"
	}
	return string(r)
}
