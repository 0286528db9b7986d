package files

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"time"
)

// DefaultURLTTL is how long a download URL is valid at least (at most a
// fifth more). It is a bearer link: whoever holds it may download until
// then, even after losing access to the conversation, so it is short.
const DefaultURLTTL = 5 * time.Minute

// DownloadPath is where Handler is mounted: DownloadPath + "{id}".
const DownloadPath = "/files/"

// Errors of Signer.Verify.
var (
	ErrBadSignature = errors.New("files: bad download signature")
	ErrURLExpired   = errors.New("files: download URL expired")
)

// Signer makes and checks download URLs: /files/{id}?exp=UNIX&sig=HMAC.
// Whoever holds the URL may fetch the file until it expires, so it is only
// handed to someone allowed to read the conversation (Attachment.url), and
// it is short-lived. Expiries are rounded up to a fifth of the TTL so the
// same file keeps the same URL for a while and browsers can cache it.
type Signer struct {
	key     []byte
	baseURL string
	path    string // DownloadPath, or For's
	ttl     time.Duration
	now     func() time.Time
}

// NewSigner returns a Signer with a secret of at least 32 bytes and the
// server's public URL (PARLEY_PUBLIC_URL; "" for relative URLs). ttl <= 0
// means DefaultURLTTL. Every instance serving downloads needs the same
// secret.
func NewSigner(secret []byte, publicURL string, ttl time.Duration) (*Signer, error) {
	if len(secret) < 32 {
		return nil, errors.New("files: the download URL secret needs at least 32 bytes")
	}
	if ttl <= 0 {
		ttl = DefaultURLTTL
	}
	for len(publicURL) > 0 && publicURL[len(publicURL)-1] == '/' {
		publicURL = publicURL[:len(publicURL)-1]
	}
	// A derived key: the configured secret may serve other purposes too.
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("parley download urls v1"))
	return &Signer{key: mac.Sum(nil), baseURL: publicURL, path: DownloadPath, ttl: ttl, now: time.Now}, nil
}

// For returns a signer of URLs under another path (like "/avatars/") with
// a key of its own for purpose, so that no URL signed for one path is
// good under another. It shares s's clock and TTL.
func (s *Signer) For(path, purpose string) *Signer {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(purpose))
	return &Signer{key: mac.Sum(nil), baseURL: s.baseURL, path: path, ttl: s.ttl,
		now: func() time.Time { return s.now() }}
}

// SetClock makes the signer read the time from now (the server's clock, so
// that tests can move it); call it before the signer is used.
func (s *Signer) SetClock(now func() time.Time) {
	if now != nil {
		s.now = now
	}
}

// Now is the time on the signer's clock.
func (s *Signer) Now() time.Time { return s.now() }

// URL returns a download URL for the attachment id.
func (s *Signer) URL(id string) string {
	u, _ := s.Sign(id, s.now())
	return u
}

// Sign returns a download URL for the attachment id signed at now, and
// when it expires.
func (s *Signer) Sign(id string, now time.Time) (string, time.Time) {
	step := int64(s.ttl / 5 / time.Second)
	if step < 1 {
		step = 1
	}
	exp := now.Add(s.ttl).Unix()
	exp += (step - exp%step) % step
	e := strconv.FormatInt(exp, 10)
	return s.baseURL + s.path + url.PathEscape(id) + "?exp=" + e + "&sig=" + s.sign(id, e), time.Unix(exp, 0).UTC()
}

// Verify checks the query of a download URL for id and returns its expiry.
func (s *Signer) Verify(id string, query url.Values) (time.Time, error) {
	e, sig := query.Get("exp"), query.Get("sig")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || e == "" {
		return time.Time{}, ErrBadSignature
	}
	want, _ := base64.RawURLEncoding.DecodeString(s.sign(id, e))
	if !hmac.Equal(got, want) {
		return time.Time{}, ErrBadSignature
	}
	exp, err := strconv.ParseInt(e, 10, 64)
	if err != nil {
		return time.Time{}, ErrBadSignature
	}
	t := time.Unix(exp, 0)
	if !s.now().Before(t) {
		return t, ErrURLExpired
	}
	return t, nil
}

func (s *Signer) sign(id, exp string) string {
	mac := hmac.New(sha256.New, s.key)
	// Length-prefixed so no id/expiry pair can read as another.
	mac.Write([]byte(strconv.Itoa(len(id)) + ":" + id + ":" + exp))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
