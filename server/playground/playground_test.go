package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// The vendored files must be the published ones. graphiql and react values
// are the SRI in gqlgen v0.17.95's graphql/playground/playground.go;
// graphql-ws's is of umd/graphql-ws.min.js in graphql-ws-6.4.2.tgz.
var pinned = map[string]string{
	"assets/graphiql@4.1.2/graphiql.min.js":               "sha256-hnImuor1znlJkD/FOTL3jayfS/xsyNoP04abi8bFJWs=",
	"assets/graphiql@4.1.2/graphiql.min.css":              "sha256-MEh+B2NdMSpj9kexQNN3QKc8UzMrCXW/Sx/phcpuyIU=",
	"assets/react@18.2.0/react.production.min.js":         "sha256-S0lp+k7zWUMk2ixteM6HZvu8L9Eh//OVrt+ZfbCpmgY=",
	"assets/react-dom@18.2.0/react-dom.production.min.js": "sha256-IXWO0ITNDjfnNXIu5POVfqlgYoop36bDzhodR6LW5Pc=",
	"assets/graphql-ws@6.4.2/graphql-ws.min.js":           "sha256-Xx4lC96gpVHVgnIEgoHb9bL7afqhIBYLq0lIXHK28k0=",
}

func TestVendoredFilesArePinned(t *testing.T) {
	for name, want := range pinned {
		b, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	for name := range assets() {
		if _, ok := pinned[name]; !ok && strings.HasPrefix(name, "assets/") {
			t.Errorf("%s is served but not pinned here", name)
		}
	}
}

func TestPageLinksOnlyItsOwnFiles(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", Handler("/query", Options{Title: "T", DefaultHeaders: `{"Authorization": "Bearer <token>"}`}))
	mux.Handle("GET "+AssetPath, Assets())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, body := get(t, srv.URL+"/", "")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q", ct)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") {
		t.Errorf("CSP %q", csp)
	}
	if regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).Match(body) {
		t.Errorf("the page links off the server:\n%s", body)
	}
	if !bytes.Contains(body, []byte(`data-default-headers="{&#34;Authorization&#34;: &#34;Bearer &lt;token&gt;&#34;}"`)) {
		t.Errorf("default headers missing:\n%s", body)
	}
	links := regexp.MustCompile(`(?:src|href)="(/playground/[^"]+)" integrity="([^"]+)"`).FindAllSubmatch(body, -1)
	if len(links) != len(scripts)+len(styles) {
		t.Fatalf("%d asset links, want %d:\n%s", len(links), len(scripts)+len(styles), body)
	}
	for _, l := range links {
		u, sri := strings.ReplaceAll(string(l[1]), "&amp;", "&"), strings.ReplaceAll(string(l[2]), "&#43;", "+")
		res, b := get(t, srv.URL+u, "gzip")
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: %s, encoding %q", u, res.Status, res.Header.Get("Content-Encoding"))
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q", u, cc)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		sum := sha256.Sum256(plain)
		if got := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); got != sri {
			t.Errorf("%s: served %s, page says %s", u, got, sri)
		}

		// Without the current ?v= the file may change: revalidate. No gzip, no gzip.
		bare := strings.SplitN(u, "?", 2)[0]
		res, b = get(t, srv.URL+bare, "")
		if res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("Content-Encoding") != "" || !bytes.Equal(b, plain) {
			t.Errorf("%s: Cache-Control %q, encoding %q", bare, res.Header.Get("Cache-Control"), res.Header.Get("Content-Encoding"))
		}
		if res, _ := get(t, srv.URL+bare, "", "If-None-Match", res.Header.Get("ETag")); res.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %s", bare, res.Status)
		}
	}
	for _, p := range []string{"/playground/", "/playground/nope.js", "/playground/assets/graphiql@4.1.2/graphiql.min.js"} {
		if res, _ := get(t, srv.URL+p, ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s", p, res.Status)
		}
	}
}

// get fetches u without the transport's transparent gzip, with more header
// names and values after the Accept-Encoding.
func get(t *testing.T, u, encoding string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}
