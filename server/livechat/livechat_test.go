package livechat

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func serve(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle(Path, Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func TestWidgetScript(t *testing.T) {
	srv := serve(t)
	res, body := do(t, "GET", srv.URL+"/livechat/widget.js", nil)
	if res.StatusCode != 200 || !bytes.Equal(body, widgetJS) {
		t.Fatalf("%s, %d bytes", res.Status, len(body))
	}
	for k, want := range map[string]string{
		"Content-Type":                 "text/javascript; charset=utf-8",
		"Cache-Control":                "public, max-age=300",
		"X-Content-Type-Options":       "nosniff",
		"Access-Control-Allow-Origin":  "*", // embedded on other sites
		"Cross-Origin-Resource-Policy": "cross-origin",
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	etag := res.Header.Get("ETag")
	if res, _ := do(t, "GET", srv.URL+"/livechat/widget.js", map[string]string{"If-None-Match": etag}); etag == "" || res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating with ETag %q: %s", etag, res.Status)
	}
	if res, _ := do(t, "POST", srv.URL+"/livechat/widget.js", nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %s", res.Status)
	}
}

// Message text must only ever become text nodes.
func TestWidgetWritesNoHTML(t *testing.T) {
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if bytes.Contains(widgetJS, []byte(sink)) {
			t.Errorf("widget.js uses %s", sink)
		}
	}
}

func TestDemoPage(t *testing.T) {
	srv := serve(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	res, body := do(t, "GET", srv.URL+"/livechat/demo?channel=ch01JABCDEF", nil)
	page := string(body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("%s, %q", res.Status, res.Header.Get("Content-Type"))
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	embed := `<script src="/livechat/widget.js" data-channel="ch01JABCDEF" data-parley-url="http://` + host + `" defer></script>`
	if !strings.Contains(page, embed) {
		t.Errorf("the page does not embed the widget as %s:\n%s", embed, page)
	}
	// The snippet to copy names this channel and this server.
	for _, want := range []string{"<code>ch01JABCDEF</code>", "PARLEY_CORS_ORIGINS",
		`&lt;script src="http://` + host + `/livechat/widget.js"`, `data-parley-url="http://` + host + `" async&gt;`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %s", want)
		}
	}
	if n := strings.Count(page, `data-channel="ch01JABCDEF"`); n != 2 {
		t.Errorf("the channel is in %d tags, want the embed and the snippet", n)
	}

	// The CSP allows this server's scripts and WebSocket, and the page's own style by its hash.
	csp := res.Header.Get("Content-Security-Policy")
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	if style == nil {
		t.Fatal("no style")
	}
	sum := sha256.Sum256([]byte(style[1]))
	for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self' ws://" + host + ";",
		"style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}

	// Behind a proxy that ends TLS.
	_, body = do(t, "GET", srv.URL+"/livechat/demo?channel=ch1", map[string]string{"X-Forwarded-Proto": "https"})
	if !strings.Contains(string(body), `data-parley-url="https://`+host+`"`) {
		t.Errorf("behind TLS:\n%s", body)
	}
}

func TestDemoPageWithoutAUsableChannel(t *testing.T) {
	srv := serve(t)
	res, body := do(t, "GET", srv.URL+"/livechat/demo", nil)
	if res.StatusCode != 200 || strings.Contains(string(body), "<script") || !strings.Contains(string(body), "?channel=ID") {
		t.Errorf("no channel: %s\n%s", res.Status, body)
	}
	res, body = do(t, "GET", srv.URL+`/livechat/demo?channel=%22%3E%3Cscript%3Ealert(1)%3C/script%3E`, nil)
	if res.StatusCode != http.StatusBadRequest || strings.Contains(string(body), "<script") || strings.Contains(string(body), "alert") {
		t.Errorf("a bad channel: %s\n%s", res.Status, body)
	}
	// A Host header that is not a plain host stays out of the page and its CSP.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/livechat/demo?channel=ch1", nil)
	req.Host = "a;script-src *"
	Handler().ServeHTTP(rec, req)
	if csp := rec.Header().Get("Content-Security-Policy"); strings.Contains(csp, "*") || strings.Contains(rec.Body.String(), "script-src *") {
		t.Errorf("odd host: CSP %q\n%s", csp, rec.Body)
	}
}

func TestUnknownPathsAreNotFound(t *testing.T) {
	srv := serve(t)
	for _, p := range []string{"/livechat/", "/livechat/widget.css", "/livechat/widget.js/x", "/livechat/demo/", "/livechat/livechat.go"} {
		if res, _ := do(t, "GET", srv.URL+p, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s", p, res.Status)
		}
	}
}
