package whatsapp

import (
	"context"
	"errors"
	"io"
	"net/http"

	"parley/server/channel"
	"parley/server/channel/meta"
)

// FetchMedia implements channel.MediaFetcher in the Cloud API's two
// steps: the media id's short-lived URL from Graph, then the file at it,
// both with the channel's bearer token (the file answers nothing without
// it). A reference with only a URL (newer payloads) is fetched directly.
func (p Provider) FetchMedia(ctx context.Context, ch channel.Channel, ref channel.MediaRef) (io.ReadCloser, error) {
	tok, err := token(ch)
	if err != nil {
		return nil, err
	}
	fileURL := ref.URL
	if ref.ID != "" {
		var info struct {
			URL string `json:"url"`
		}
		if err := p.Graph.Call(ctx, http.MethodGet, p.Graph.URL(ref.ID), tok, nil, &info); err != nil {
			return nil, meta.Classify(err, "WhatsApp", nil)
		}
		if info.URL != "" {
			fileURL = info.URL
		}
	}
	if fileURL == "" {
		return nil, errors.New("WhatsApp did not say where the file is")
	}
	return p.Graph.Download(ctx, fileURL, tok)
}
