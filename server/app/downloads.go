package app

import (
	"context"
	"net/http"

	"github.com/rs/cors"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/files"
)

// downloads serves attachments at /files/{id}: to whoever holds a signed
// URL from Attachment.url, or, without a signature, to a bearer token whose
// holder may read the attachment's conversation.
func (a *App) downloads() http.Handler {
	h := &files.Handler{Store: a.Files, Signer: a.Signer, Lookup: a.lookupAttachment, Authorize: a.authorizeDownload}
	// A web app on another origin may fetch() files with its token and seek
	// in them: allow those headers and let it read the answer's.
	return a.withCORS(h, cors.Options{
		AllowedMethods: []string{http.MethodGet, http.MethodHead},
		AllowedHeaders: []string{"Authorization", "Range", "If-None-Match", "If-Modified-Since", "If-Range", "X-Request-Id"},
		ExposedHeaders: []string{"Content-Disposition", "Content-Range", "Accept-Ranges", "Content-Length", "ETag", "X-Request-Id"},
		MaxAge:         600,
	})
}

// lookupAttachment finds what the download handler serves. The signature
// (or authorizeDownload) has already decided who may have it.
func (a *App) lookupAttachment(ctx context.Context, id string) (files.Meta, error) {
	att, err := a.DB.Attachment.Get(ctx, pulid.ID(id))
	if ent.IsNotFound(err) {
		return files.Meta{}, apperr.Missing("no such attachment")
	}
	if err != nil {
		return files.Meta{}, err
	}
	return files.Meta{Key: att.StorageKey, Filename: att.Filename, ContentType: att.ContentType,
		Expired: a.Chat.FileExpired(att)}, nil
}

// authorizeDownload applies the conversation's access rule to the bearer
// token of a request without a signature.
func (a *App) authorizeDownload(r *http.Request, id string) error {
	h := r.Header.Get("Authorization")
	if h == "" {
		return apperr.Unauth("this needs a signed link or a token")
	}
	v, err := a.Auth.Authenticate(r.Context(), h)
	if err != nil {
		return err
	}
	_, err = a.Chat.Attachment(r.Context(), v, pulid.ID(id))
	return err
}
