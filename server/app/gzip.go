package app

import (
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"parley/server/files"
	"parley/server/live"
)

// gzipMinSize is the smallest declared body worth compressing.
const gzipMinSize = 1024

var gzipWriters = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression); return w }}

// withGzip compresses text and JSON responses for clients that accept gzip.
// Never WebSocket upgrades (hijacked), HEAD, downloads (files are often
// compressed already, and served with ranges), or a response that sets
// its own Content-Encoding (the playground's precompressed assets).
func withGzip(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) || live.IsWebsocket(r) || r.Method == http.MethodHead ||
			strings.HasPrefix(r.URL.Path, files.DownloadPath) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		gw := &gzipWriter{ResponseWriter: w}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

// acceptsGzip reads Accept-Encoding: gzip listed, and not with q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			q, found := strings.CutPrefix(strings.TrimSpace(params), "q=")
			weight, err := strconv.ParseFloat(q, 64)
			return !found || err != nil || weight > 0
		}
	}
	return false
}

type gzipWriter struct {
	http.ResponseWriter
	decided bool
	gz      *gzip.Writer // nil: passing through
}

// decide chooses, at the first write, whether this response is compressed.
func (g *gzipWriter) decide(status int) {
	if g.decided {
		return
	}
	g.decided = true
	h := g.Header()
	if status < 200 || status == http.StatusNoContent || status == http.StatusNotModified ||
		h.Get("Content-Encoding") != "" || !compressible(h.Get("Content-Type")) {
		return
	}
	if n, err := strconv.Atoi(h.Get("Content-Length")); err == nil && n < gzipMinSize {
		return // small enough as it is
	}
	h.Del("Content-Length")
	h.Set("Content-Encoding", "gzip")
	g.gz = gzipWriters.Get().(*gzip.Writer)
	g.gz.Reset(g.ResponseWriter)
}

func compressible(ctype string) bool {
	ctype, _, _ = strings.Cut(ctype, ";")
	return strings.HasPrefix(ctype, "text/") || strings.HasSuffix(ctype, "json") ||
		ctype == "application/javascript" || ctype == "image/svg+xml"
}

func (g *gzipWriter) WriteHeader(status int) {
	if status >= 200 { // 1xx are informational, the real header follows
		g.decide(status)
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(b))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.gz != nil {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

// Flush sends what is compressed so far (a streamed response).
func (g *gzipWriter) Flush() {
	if g.gz != nil {
		_ = g.gz.Flush()
	}
	http.NewResponseController(g.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection (deadlines);
// Flush above is found first.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) close() {
	if g.gz != nil {
		_ = g.gz.Close()
		g.gz.Reset(nil)
		gzipWriters.Put(g.gz)
		g.gz = nil
	}
}
