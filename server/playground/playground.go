// Package playground serves GraphiQL, the in-browser IDE for the API, with
// every script and style built into the binary: gqlgen's playground.Handler
// loads them from a CDN and stays blank on a machine without internet.
//
// Subscriptions go over WebSocket (graphql-transport-ws) and authenticate
// with the headers typed in GraphiQL's headers pane: playground.js puts them
// in the connection_init payload.
package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"
)

// AssetPath is where Assets must be mounted: the page links its files there.
const AssetPath = "/playground/"

//go:embed playground.js assets/*/*.js assets/*/*.css
var files embed.FS

// The page's scripts in load order (GraphiQL's UMD build wants the React and
// ReactDOM globals; playground.js wants all of them), and its stylesheet.
var (
	scripts = []string{
		"assets/react@18.2.0/react.production.min.js",
		"assets/react-dom@18.2.0/react-dom.production.min.js",
		"assets/graphql-ws@6.4.2/graphql-ws.min.js",
		"assets/graphiql@4.1.2/graphiql.min.js",
		"playground.js",
	}
	styles = []string{"assets/graphiql@4.1.2/graphiql.min.css"}
)

// csp keeps the page to its own server: no CDN, no inline or injected
// script. GraphiQL sets inline styles; ws:/wss: are listed because not every
// browser lets 'self' cover the WebSocket to the same host.
const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type asset struct {
	name    string // path under AssetPath: the path in files without "assets/"
	body    []byte
	version string // hex sha256 prefix: the ?v= that makes a URL cacheable for good
	sri     string
	gzipped func() []byte
}

var assets = sync.OnceValue(func() map[string]*asset {
	m := map[string]*asset{}
	for _, name := range append(append([]string{}, scripts...), styles...) {
		body, err := files.ReadFile(name)
		if err != nil {
			panic("playground: " + err.Error()) // a path above that go:embed did not match
		}
		sum := sha256.Sum256(body)
		m[name] = &asset{
			name: strings.TrimPrefix(name, "assets/"), body: body,
			version: hex.EncodeToString(sum[:6]),
			sri:     "sha256-" + base64.StdEncoding.EncodeToString(sum[:]),
			gzipped: sync.OnceValue(func() []byte { return gzipBytes(body) }),
		}
	}
	return m
})

var byURL = sync.OnceValue(func() map[string]*asset {
	m := map[string]*asset{}
	for _, a := range assets() {
		m[a.name] = a
	}
	return m
})

// Assets serves the page's files under AssetPath. A URL with the file's
// current ?v= is cached for a year; any other is revalidated.
func Assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := byURL()[strings.TrimPrefix(r.URL.Path, AssetPath)]
		if a == nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		if r.URL.Query().Get("v") == a.version {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Add("Vary", "Accept-Encoding")
		body, etag := a.body, `"`+a.version+`"`
		// GraphiQL is 1 MB as is and a third of that gzipped.
		if acceptsGzip(r) {
			body, etag = a.gzipped(), `"`+a.version+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
		h.Set("ETag", etag)
		http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(body))
	})
}

// Options change the page.
type Options struct {
	// Title is the browser tab's title.
	Title string
	// DefaultQuery fills the editor of a new tab.
	DefaultQuery string
	// DefaultHeaders fills the headers pane of a new tab. A value that still
	// holds a <placeholder> is not sent.
	DefaultHeaders string
}

// Handler serves the GraphiQL page for the GraphQL endpoint at endpoint, a
// path on this server such as "/query" (its WebSocket is the same path).
func Handler(endpoint string, opts Options) http.Handler {
	if opts.Title == "" {
		opts.Title = "GraphiQL"
	}
	var buf bytes.Buffer
	data := pageData{Endpoint: endpoint, Options: opts}
	for _, name := range scripts {
		data.Scripts = append(data.Scripts, link(assets()[name]))
	}
	for _, name := range styles {
		data.Styles = append(data.Styles, link(assets()[name]))
	}
	if err := page.Execute(&buf, data); err != nil {
		panic("playground: " + err.Error())
	}
	html := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		_, _ = w.Write(html)
	})
}

type assetLink struct {
	URL, SRI string
}

func link(a *asset) assetLink {
	return assetLink{URL: AssetPath + a.name + "?v=" + a.version, SRI: a.sri}
}

type pageData struct {
	Options
	Endpoint        string
	Scripts, Styles []assetLink
}

// The settings travel in data- attributes: the CSP allows no inline script.
var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
{{- range .Styles}}
<link rel="stylesheet" href="{{.URL}}" integrity="{{.SRI}}">
{{- end}}
<style>body{margin:0}#graphiql{height:100vh}.loading{height:100%;display:flex;align-items:center;justify-content:center;font:2rem sans-serif}</style>
</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}" data-default-query="{{.DefaultQuery}}" data-default-headers="{{.DefaultHeaders}}">
<div class="loading">Loading…</div>
<noscript>The playground needs JavaScript.</noscript>
</div>
{{- range .Scripts}}
<script src="{{.URL}}" integrity="{{.SRI}}"></script>
{{- end}}
</body>
</html>
`))

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0"
		}
	}
	return false
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}
