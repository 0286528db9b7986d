package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"parley/server/apperr"
	"parley/server/blob"
	"parley/server/logx"
)

// Meta is what Handler needs to know of an attachment.
type Meta struct {
	Key         string // storage key
	Filename    string
	ContentType string // as Describe found it
	// Expired: retention removed the file; the message stays.
	Expired bool
}

// Lookup finds an attachment by id. An *apperr.Error with NOT_FOUND means
// there is none; any other error is logged and answered with 500. The
// signed URL already proves the right to read, so Lookup need not check the
// caller.
type Lookup func(ctx context.Context, id string) (Meta, error)

// Handler serves downloads from signed URLs. Mount it at DownloadPath, e.g.
// mux.Handle("GET "+files.DownloadPath+"{id}", h) (HEAD is included).
//
// Range requests are answered with 206 (audio and video seek). Only the
// raster images of inlineImages are shown in place; anything else is served
// as a download under a neutral type, with nosniff and a sandboxing
// Content-Security-Policy, so an uploaded HTML or SVG file never runs as
// part of the site.
type Handler struct {
	Store  blob.Store
	Signer *Signer
	Lookup Lookup
	// Authorize, if set, admits a request without a signature (no sig
	// parameter) by other means, such as its bearer token. It returns nil
	// to serve the file, or an *apperr.Error: UNAUTHENTICATED is answered
	// with 401, FORBIDDEN 403, NOT_FOUND 404; anything else is logged and
	// answered with 500. Without Authorize every request needs a signature.
	Authorize func(r *http.Request, id string) error
}

// csp forbids everything to a document opened from a file; the inline style
// lets a browser's own image viewer page lay itself out.
const csp = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", csp)
	hdr.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	id := r.PathValue("id")
	if id == "" {
		id = strings.TrimPrefix(r.URL.Path, DownloadPath)
	}
	var exp time.Time // when the signed URL expires; zero for Authorize
	if q := r.URL.Query(); h.Authorize != nil && !q.Has("sig") {
		if !h.authorize(w, r, id) {
			return
		}
		hdr.Set("Vary", "Authorization")
	} else {
		var err error
		exp, err = h.Signer.Verify(id, q)
		if err != nil {
			// Same answer for tampered and expired: a client just asks for
			// Attachment.url again.
			http.Error(w, "this link is invalid or has expired", http.StatusForbidden)
			return
		}
	}
	meta, err := h.Lookup(r.Context(), id)
	switch {
	case apperr.CodeOf(err) == apperr.NotFound:
		http.Error(w, "no such file", http.StatusNotFound)
		return
	case err != nil:
		logx.From(r.Context()).Error("looking up an attachment", "id", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	case meta.Expired:
		http.Error(w, "this file has expired", http.StatusGone)
		return
	}
	obj, err := h.Store.Open(r.Context(), meta.Key)
	if errors.Is(err, blob.ErrNotFound) {
		// Retention may have just removed it.
		logx.From(r.Context()).Warn("attachment without a blob", "id", id)
		http.Error(w, "this file has expired", http.StatusGone)
		return
	}
	if err != nil {
		logx.From(r.Context()).Error("opening an attachment", "id", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	defer obj.Close()

	ct, inline := servedType(meta.ContentType)
	disposition := "attachment"
	if inline {
		disposition = "inline"
	}
	hdr.Set("Content-Type", ct)
	hdr.Set("Content-Disposition", ContentDisposition(disposition, meta.Filename))
	// Private: the URL is a credential. A file never changes, so it may be
	// cached for as long as its URL is valid.
	maxAge := max(0, int(exp.Sub(h.Signer.now())/time.Second))
	hdr.Set("Cache-Control", "private, max-age="+strconv.Itoa(maxAge))
	sum := sha256.Sum256([]byte(meta.Key))
	hdr.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	http.ServeContent(w, r, "", obj.ModTime(), obj)
}

// authorize runs Authorize and answers a refusal; it reports whether to go on.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request, id string) bool {
	err := h.Authorize(r, id)
	if err == nil {
		return true
	}
	switch apperr.CodeOf(err) {
	case apperr.Internal:
		logx.From(r.Context()).Error("authorising a download", "id", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	case apperr.Unauthenticated:
		w.Header().Set("WWW-Authenticate", `Bearer realm="parley"`)
		http.Error(w, "this needs a signed link or a valid token", http.StatusUnauthorized)
	case apperr.NotFound:
		http.Error(w, "no such file", http.StatusNotFound)
	default:
		http.Error(w, "you may not read this file", http.StatusForbidden)
	}
	return false
}

// servedType is the Content-Type a file is served with, and whether it may
// be shown in place. Only types that no browser executes keep their own;
// the rest (HTML, SVG, XML, scripts, unknown) become a neutral download.
func servedType(stored string) (ct string, inline bool) {
	mt, params, err := mime.ParseMediaType(stored)
	if err != nil {
		return "application/octet-stream", false
	}
	switch {
	case inlineImages[mt]:
		return mt, true
	case strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"), mt == "application/pdf":
		return mt, false
	case mt == "text/plain":
		if cs := params["charset"]; cs != "" {
			return mime.FormatMediaType(mt, map[string]string{"charset": cs}), false
		}
		return mt, false
	}
	return "application/octet-stream", false
}
