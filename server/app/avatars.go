package app

import (
	"net/http"

	"github.com/rs/cors"

	"parley/server/apperr"
	"parley/server/files"
)

// AvatarPath is where avatars are served: AvatarPath + "{userId}".
const AvatarPath = "/avatars/"

// avatars serves user avatars to whoever holds a signed URL from
// User.avatarUrl, or, without a signature, to any colleague's bearer token:
// every colleague sees every other.
func (a *App) avatars() http.Handler {
	h := &files.Handler{Store: a.Files, Signer: a.AvatarSigner, Lookup: a.Users.Avatar, Authorize: a.authorizeAvatar}
	return a.withCORS(h, cors.Options{
		AllowedMethods: []string{http.MethodGet, http.MethodHead},
		AllowedHeaders: []string{"Authorization", "If-None-Match", "If-Modified-Since", "X-Request-Id"},
		ExposedHeaders: []string{"Content-Length", "ETag", "X-Request-Id"},
		MaxAge:         600,
	})
}

func (a *App) authorizeAvatar(r *http.Request, _ string) error {
	h := r.Header.Get("Authorization")
	if h == "" {
		return apperr.Unauth("this needs a signed link or a token")
	}
	v, err := a.Auth.Authenticate(r.Context(), h)
	if err != nil {
		return err
	}
	if v.IsVisitor() {
		return apperr.Forbid("avatars are for colleagues")
	}
	return nil
}
