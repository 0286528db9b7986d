package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"parley/server/channel"
)

// Graph calls Meta's Graph API.
type Graph struct {
	// Base is the API's root, version included ("" is DefaultGraph).
	Base string
	// Client makes the calls (nil: a client with a timeout).
	Client *http.Client
}

func (g Graph) base() string {
	if g.Base == "" {
		return DefaultGraph
	}
	return strings.TrimRight(g.Base, "/")
}

func (g Graph) client() *http.Client {
	if g.Client != nil {
		return g.Client
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// URL is the Graph URL of a path ("/{id}/messages"), its segments escaped.
func (g Graph) URL(segments ...string) string {
	var b strings.Builder
	b.WriteString(g.base())
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// Error is what Graph answers when it refuses a call.
type Error struct {
	HTTPStatus int
	Code       int    `json:"code"`
	Subcode    int    `json:"error_subcode"`
	Message    string `json:"message"`
	Type       string `json:"type"`
	Transient  bool   `json:"is_transient"`
	Data       struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("Graph API error %d (subcode %d, HTTP %d): %s", e.Code, e.Subcode, e.HTTPStatus, e.Message)
}

// maxResponse bounds what is read of a Graph answer.
const maxResponse = 1 << 20

// Call makes one Graph call with the bearer token: body (if not nil) sent
// as JSON, the answer decoded into out (if not nil). A refusal is an
// *Error; an unreachable Graph an error wrapped with channel.Temporary.
func (g Graph) Call(ctx context.Context, method, endpoint, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := g.client().Do(req)
	if err != nil {
		return channel.Temporary(errors.New("the Graph API is unreachable"))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return channel.Temporary(errors.New("the Graph API's answer was cut off"))
	}
	if resp.StatusCode/100 != 2 {
		var env struct{ Error *Error }
		if json.Unmarshal(raw, &env) != nil || env.Error == nil {
			env.Error = &Error{Message: http.StatusText(resp.StatusCode)}
		}
		env.Error.HTTPStatus = resp.StatusCode
		return env.Error
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("the Graph API answered what is not JSON")
		}
	}
	return nil
}

// Download opens a file Meta holds, with the bearer token (WhatsApp media
// URLs answer nothing without it).
func (g Graph) Download(ctx context.Context, fileURL, token string) (io.ReadCloser, error) {
	u, err := url.Parse(fileURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("the media URL is not a web address")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fileURL, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := g.client().Do(req)
	if err != nil {
		return nil, channel.Temporary(errors.New("the media server is unreachable"))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		err := fmt.Errorf("the media server answered %d", resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return nil, channel.Temporary(err)
		}
		return nil, err
	}
	return resp.Body, nil
}

// Throttling codes: Graph asks to slow down; sending again later works.
var throttled = map[int]bool{
	2: true, 4: true, 17: true, 32: true, 613: true, 80007: true,
	130429: true, 131000: true, 131016: true, 131048: true, 131056: true,
}

// Classify turns a failed Graph call into the seam's terms: rejected
// credentials (190, and code 0 or 102 sessions) are channel.ErrSyncLost;
// throttling, transient errors and 5xx are channel.Temporary; anything else
// is final, its reason what explain says of the code (or Graph's own
// words, bounded). provider names the channel in the reason.
func Classify(err error, provider string, explain func(e *Error) string) error {
	var ge *Error
	if !errors.As(err, &ge) {
		return err
	}
	switch {
	case ge.Code == 190 || ge.Code == 102 || ge.Type == "OAuthException" && ge.Code == 0:
		return channel.ErrSyncLost
	case throttled[ge.Code] || ge.Transient || ge.HTTPStatus >= 500 || ge.HTTPStatus == http.StatusTooManyRequests:
		return channel.Temporary(fmt.Errorf("%s is busy (error %d); trying again", provider, ge.Code))
	}
	reason := ""
	if explain != nil {
		reason = explain(ge)
	}
	if reason == "" {
		reason = bound(ge.Message)
	}
	return fmt.Errorf("%s error %d: %s", provider, ge.Code, reason)
}

// maxReason bounds what of Meta's own words a failure keeps.
const maxReason = 200

func bound(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > maxReason {
		return string(r[:maxReason]) + "…"
	}
	if len(r) == 0 {
		return "the provider refused the message"
	}
	return string(r)
}
