package sms

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"parley/server/channel"
)

// FetchMedia implements channel.MediaFetcher: an MMS's file, fetched with
// the account's credentials (Twilio may demand them) and following
// Twilio's redirect to where the file lives (Go drops the credentials when
// the redirect leaves the host).
func (p Provider) FetchMedia(ctx context.Context, ch channel.Channel, ref channel.MediaRef) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("the media URL is not a URL")
	}
	req.SetBasicAuth(ch.Credentials["accountSid"], ch.Credentials["authToken"])
	resp, err := p.client().Do(req)
	if err != nil {
		return nil, channel.Temporary(fmt.Errorf("Twilio is unreachable"))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		err := fmt.Errorf("Twilio answered %d for a media file", resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return nil, channel.Temporary(err)
		}
		return nil, err
	}
	return resp.Body, nil
}
