// Package livechat serves the website Live Chat widget: widget.js, one
// plain JavaScript file a site embeds with a script tag, and a demo page
// that embeds it. The widget is an ordinary API client (startLiveChat,
// sendMessage, markRead, messageAdded over graphql-transport-ws), so this
// package needs nothing from the rest of the server.
package livechat

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Path is where Handler must be mounted.
const Path = "/livechat/"

//go:embed widget.js
var widgetJS []byte

// Handler serves GET /livechat/widget.js and GET /livechat/demo?channel=ID;
// anything else under Path is 404 (405 for another method).
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+Path+"widget.js", widget())
	mux.Handle("GET "+Path+"demo", demo())
	return mux
}

func widget() http.Handler {
	sum := sha256.Sum256(widgetJS)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		// Sites embed the bare URL, so a new version must reach them within
		// minutes; after that the ETag makes the check cheap.
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("ETag", etag)
		h.Set("X-Content-Type-Options", "nosniff")
		// It runs on other sites: let them load it with crossorigin/SRI, and
		// under Cross-Origin-Embedder-Policy.
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		http.ServeContent(w, r, "widget.js", time.Time{}, bytes.NewReader(widgetJS))
	})
}

// IDs are opaque to this package; this only keeps junk out of the page.
var channelID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// A browser-visible host: what may go into the page and its CSP as is.
var plainHost = regexp.MustCompile(`^[A-Za-z0-9.-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)

type demoData struct {
	Channel string // "" when the URL has none
	Origin  string // where the browser reached this server
}

func demo() http.Handler {
	sum := sha256.Sum256([]byte(demoCSS))
	styleHash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ch := r.URL.Query().Get("channel")
		status := http.StatusOK
		if ch != "" && !channelID.MatchString(ch) {
			ch, status = "", http.StatusBadRequest
		}
		// The demo is served by Parley itself, so Parley is where the browser
		// found this page. A proxy that ends TLS says so in X-Forwarded-Proto;
		// believing it can only affect the page of whoever sent it.
		scheme, wsScheme := "http", "ws"
		if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
			scheme, wsScheme = "https", "wss"
		}
		connect := "'self'"
		origin := ""
		if plainHost.MatchString(r.Host) {
			origin = scheme + "://" + r.Host
			// Not every browser lets 'self' cover the WebSocket.
			connect += " " + wsScheme + "://" + r.Host
		}
		var buf bytes.Buffer
		if err := demoPage.Execute(&buf, demoData{Channel: ch, Origin: origin}); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		// The page names the host it was asked for: never serve it to someone else.
		h.Set("Cache-Control", "no-store")
		// The widget styles itself with a constructed stylesheet, which
		// style-src does not govern, so the page's one inline style is all
		// it has to allow.
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src "+styleHash+"; "+
			"connect-src "+connect+"; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		w.WriteHeader(status)
		_, _ = w.Write(buf.Bytes())
	})
}

const demoCSS = `
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937;background:#f8fafc}
main{max-width:46rem;margin:0 auto;padding:2rem 1.25rem 8rem}
h1{font-size:1.75rem;margin:0 0 .5rem}
h2{font-size:1.2rem;margin:2rem 0 .5rem}
code,pre{font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:#e5e7eb;padding:.1em .3em;border-radius:4px}
pre{background:#111827;color:#f9fafb;padding:1rem;border-radius:8px;overflow-x:auto;white-space:pre}
pre code{background:none;padding:0}
.note{background:#fff7ed;border-left:4px solid #f97316;padding:.75rem 1rem;border-radius:4px}
dt{font-weight:600;margin-top:.5rem}
dd{margin:0 0 0 1.25rem}
`

var demoPage = template.Must(template.New("demo").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley Live Chat demo</title>
<link rel="icon" href="data:,">
<style>` + demoCSS + `</style>
</head>
<body>
<main>
<h1>Parley Live Chat demo</h1>
{{- if .Channel}}
<p>This page embeds the Live Chat widget for channel <code>{{.Channel}}</code>.
Open the chat button at the bottom right and write a message: it reaches
Parley as a new session on that channel, and the agents' answers appear here
as they send them.</p>
{{- else}}
<p class="note">Add <code>?channel=ID</code> to this page's address, where ID
is a Live Chat channel's id. An admin finds it with
<code>{ channels { id kind name } }</code>, or creates one with
<code>createChannel(input: {kind: LIVE_CHAT, name: "Website", agentIds: [...]})</code>.</p>
{{- end}}

<h2>Add it to your site</h2>
<p>Paste this before <code>&lt;/body&gt;</code> on every page that should offer the chat:</p>
<pre><code>&lt;script src="{{.Origin}}/livechat/widget.js"
        data-channel="{{or .Channel "CHANNEL_ID"}}"
        data-parley-url="{{.Origin}}" async&gt;&lt;/script&gt;</code></pre>
<dl>
<dt><code>data-channel</code></dt>
<dd>The id of a <code>LIVE_CHAT</code> channel. Sessions go to that channel's agents.</dd>
<dt><code>data-parley-url</code></dt>
<dd>Where the Parley server is (default: where widget.js came from).</dd>
<dt><code>data-title</code> (optional)</dt>
<dd>The chat window's heading, "Chat with us" by default.</dd>
</dl>
<p class="note">Your site's origin (for example <code>https://www.example.com</code>)
must be listed in the server's <code>PARLEY_CORS_ORIGINS</code>; otherwise
browsers refuse the widget's requests and its WebSocket.</p>
<p>If your site sends a Content-Security-Policy, allow the Parley server in
<code>script-src</code> and <code>connect-src</code> (its <code>https:</code>
and <code>wss:</code> address). A visitor's chat survives a reload: the widget
keeps its token in the site's localStorage.</p>
</main>
{{- if .Channel}}
<script src="/livechat/widget.js" data-channel="{{.Channel}}" data-parley-url="{{.Origin}}" defer></script>
{{- end}}
</body>
</html>
`))
