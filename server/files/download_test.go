package files

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/server/apperr"
)

type downloadEnv struct {
	srv    *httptest.Server
	signer *Signer
	metas  map[string]Meta
}

func newDownloadEnv(t *testing.T) *downloadEnv {
	t.Helper()
	d := newDisk(t)
	signer, err := NewSigner(bytes.Repeat([]byte("k"), 32), "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	env := &downloadEnv{signer: signer, metas: map[string]Meta{}}
	put := func(id, filename string, data []byte, expired bool) {
		key := NewKey(time.Now())
		if _, err := Store(context.Background(), d, key, bytes.NewReader(data), 1<<20); err != nil {
			t.Fatal(err)
		}
		info, err := Describe(bytes.NewReader(data), filename)
		if err != nil {
			t.Fatal(err)
		}
		env.metas[id] = Meta{Key: key, Filename: filename, ContentType: info.ContentType, Expired: expired}
	}
	put("audio", "voice.ogg", append(ogg("OpusHead\x01\x02"), pattern(100_000)...), false)
	put("html", "cat.png", []byte("<html><script>alert(document.cookie)</script></html>"), false)
	put("svg", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), false)
	put("png", "Grüße.png", encoded(t, "png", 4, 3), false)
	put("old", "old.txt", []byte("gone soon"), true)
	env.metas["noblob"] = Meta{Key: "2026/01/missing", Filename: "x", ContentType: "text/plain"}

	mux := http.NewServeMux()
	mux.Handle("GET "+DownloadPath+"{id}", &Handler{Store: d, Signer: signer, Lookup: func(_ context.Context, id string) (Meta, error) {
		m, ok := env.metas[id]
		if !ok {
			return Meta{}, apperr.Missing("no attachment %s", id)
		}
		return m, nil
	}})
	env.srv = httptest.NewServer(mux)
	t.Cleanup(env.srv.Close)
	return env
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 31 / 7)
	}
	return b
}

func (e *downloadEnv) get(t *testing.T, method, rawURL string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+rawURL, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestDownloadRange(t *testing.T) {
	env := newDownloadEnv(t)
	full, _ := env.get(t, "GET", env.signer.URL("audio"))
	if full.StatusCode != 200 || full.Header.Get("Accept-Ranges") != "bytes" || full.Header.Get("Content-Type") != "audio/ogg" {
		t.Fatalf("full: %d %v", full.StatusCode, full.Header)
	}
	data := append(ogg("OpusHead\x01\x02"), pattern(100_000)...)
	resp, body := env.get(t, "GET", env.signer.URL("audio"), "Range", "bytes=1000-1999")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[1000:2000]) {
		t.Fatalf("range: %d, %d bytes", resp.StatusCode, len(body))
	}
	if got := resp.Header.Get("Content-Range"); got != "bytes 1000-1999/"+itoa(len(data)) {
		t.Fatalf("Content-Range %q", got)
	}
	resp, body = env.get(t, "GET", env.signer.URL("audio"), "Range", "bytes=-10")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[len(data)-10:]) {
		t.Fatalf("suffix range: %d %v", resp.StatusCode, body)
	}
	resp, _ = env.get(t, "GET", env.signer.URL("audio"), "Range", "bytes=999999999-")
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("unsatisfiable range: %d", resp.StatusCode)
	}
	// Audio plays in an <audio> element but is never opened as a page.
	if cd := full.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Fatalf("Content-Disposition %q", cd)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestDownloadActiveContentIsADownload(t *testing.T) {
	env := newDownloadEnv(t)
	for _, id := range []string{"html", "svg"} {
		resp, body := env.get(t, "GET", env.signer.URL(id))
		h := resp.Header
		if resp.StatusCode != 200 || !strings.Contains(string(body), "<script>") {
			t.Fatalf("%s: %d", id, resp.StatusCode)
		}
		if h.Get("Content-Type") != "application/octet-stream" ||
			!strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") ||
			h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s headers: %v", id, h)
		}
	}
}

func TestDownloadInlineImage(t *testing.T) {
	env := newDownloadEnv(t)
	resp, body := env.get(t, "GET", env.signer.URL("png"))
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Type") != "image/png" || !bytes.HasPrefix(body, []byte("\x89PNG")) {
		t.Fatalf("%d %v", resp.StatusCode, h)
	}
	if cd := h.Get("Content-Disposition"); cd != `inline; filename="Gr__e.png"; filename*=UTF-8''Gr%C3%BC%C3%9Fe.png` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Cache-Control"), "private, max-age=") || h.Get("ETag") == "" {
		t.Errorf("headers %v", h)
	}
	// A conditional request is answered from the browser's cache.
	resp, _ = env.get(t, "GET", env.signer.URL("png"), "If-None-Match", h.Get("ETag"))
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}
	head, body := env.get(t, "HEAD", env.signer.URL("png"))
	if head.StatusCode != 200 || len(body) != 0 || head.Header.Get("Content-Length") == "" {
		t.Errorf("HEAD: %d %v", head.StatusCode, head.Header)
	}
}

func TestDownloadRefusals(t *testing.T) {
	env := newDownloadEnv(t)
	good, _ := url.Parse(env.signer.URL("png"))
	q := good.Query()

	tampered := "/files/png?exp=" + q.Get("exp") + "&sig=" + strings.Repeat("A", 43)
	otherID := "/files/html?" + good.RawQuery // a valid signature for another file
	longer := "/files/png?exp=" + itoa(int(time.Now().Add(time.Hour).Unix())) + "&sig=" + q.Get("sig")
	unsigned := "/files/png"
	past := *env.signer
	past.now = func() time.Time { return time.Now().Add(-time.Hour) }
	expired := past.URL("png")
	for name, u := range map[string]string{"tampered": tampered, "other id": otherID, "longer": longer, "unsigned": unsigned, "expired": expired} {
		resp, body := env.get(t, "GET", u)
		if resp.StatusCode != http.StatusForbidden || bytes.Contains(body, []byte("PNG")) {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff on the error", name)
		}
	}
	for id, status := range map[string]int{"nope": 404, "old": 410, "noblob": 410} {
		if resp, _ := env.get(t, "GET", env.signer.URL(id)); resp.StatusCode != status {
			t.Errorf("%s: %d, want %d", id, resp.StatusCode, status)
		}
	}
}

func TestServedType(t *testing.T) {
	cases := map[string]struct {
		ct     string
		inline bool
	}{
		"image/png":                 {"image/png", true},
		"image/webp":                {"image/webp", true},
		"image/svg+xml":             {"application/octet-stream", false},
		"text/html; charset=utf-8":  {"application/octet-stream", false},
		"text/xml; charset=utf-8":   {"application/octet-stream", false},
		"application/xhtml+xml":     {"application/octet-stream", false},
		"text/plain; charset=utf-8": {"text/plain; charset=utf-8", false},
		"video/mp4":                 {"video/mp4", false},
		"application/pdf":           {"application/pdf", false},
		"image/heic":                {"application/octet-stream", false},
		"garbage;;":                 {"application/octet-stream", false},
	}
	for in, want := range cases {
		ct, inline := servedType(in)
		if ct != want.ct || inline != want.inline {
			t.Errorf("servedType(%q) = %q %v", in, ct, inline)
		}
	}
}

func TestDownloadAuthorizeWithoutSignature(t *testing.T) {
	d := newDisk(t)
	signer, err := NewSigner(bytes.Repeat([]byte("k"), 32), "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	key := NewKey(time.Now())
	if _, err := Store(context.Background(), d, key, strings.NewReader("hello"), 100); err != nil {
		t.Fatal(err)
	}
	var calls int
	h := &Handler{Store: d, Signer: signer,
		Lookup: func(context.Context, string) (Meta, error) {
			return Meta{Key: key, Filename: "a.txt", ContentType: "text/plain; charset=utf-8"}, nil
		},
		Authorize: func(r *http.Request, id string) error {
			calls++
			switch r.Header.Get("Authorization") {
			case "Bearer ok":
				return nil
			case "Bearer other":
				return apperr.Forbid("not yours")
			case "Bearer gone":
				return apperr.Missing("no such file")
			case "Bearer broken":
				return io.ErrUnexpectedEOF
			}
			return apperr.Unauth("no token")
		}}
	mux := http.NewServeMux()
	mux.Handle("GET "+DownloadPath+"{id}", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path, auth string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for auth, status := range map[string]int{"Bearer ok": 200, "Bearer other": 403, "Bearer gone": 404, "Bearer broken": 500, "": 401} {
		resp := get("/files/f1", auth)
		if resp.StatusCode != status || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%q: %d, want %d", auth, resp.StatusCode, status)
		}
		if status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
	}
	// A signature, good or bad, is judged on its own: Authorize is not asked.
	calls = 0
	if resp := get(signer.URL("f1"), "Bearer other"); resp.StatusCode != 200 {
		t.Errorf("signed: %d", resp.StatusCode)
	}
	if resp := get("/files/f1?exp=1&sig=AAAA", "Bearer ok"); resp.StatusCode != 403 {
		t.Errorf("bad signature with a good token: %d", resp.StatusCode)
	}
	if calls != 0 {
		t.Errorf("Authorize called %d times for signed requests", calls)
	}
}
