package app

import (
	"net/http"
	"slices"

	"github.com/rs/cors"
)

// PARLEY_CORS_ORIGINS is the one rule for browsers on other origins, for
// /query, /files and WebSocket upgrades (live checks those) alike: unset,
// none (same origin only); a list, those origins (with wildcards like
// https://*.example.com); "*", every origin. Clients that are not browsers
// send no Origin and are not concerned.

// anyOrigin is the PARLEY_CORS_ORIGINS entry that allows every origin.
const anyOrigin = "*"

// queryCORS is what a web app on another origin needs for /query.
var queryCORS = cors.Options{
	AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
	AllowedHeaders: []string{"Authorization", "Content-Type", "Accept", "X-Request-Id",
		"Apollo-Require-Preflight", "X-Apollo-Operation-Name", "GraphQL-Preflight"},
	ExposedHeaders: []string{"X-Request-Id"},
	MaxAge:         600,
}

// withCORS answers browsers' CORS requests for next with o, for the
// configured origins. With none configured it adds nothing, so browsers
// refuse cross-origin answers: rs/cors would take an empty list for "*".
func (a *App) withCORS(next http.Handler, o cors.Options) http.Handler {
	if len(a.cfg.CORSOrigins) == 0 {
		return next
	}
	o.AllowedOrigins = a.cfg.CORSOrigins
	return cors.New(o).Handler(next)
}

// logCORS says at start-up which browsers may use the API from other origins.
func (a *App) logCORS() {
	switch origins := a.cfg.CORSOrigins; {
	case len(origins) == 0:
		a.log.Info("CORS: browsers on other origins are refused (same origin only); " +
			"set PARLEY_CORS_ORIGINS to allow web apps and Live Chat sites")
	case slices.Contains(origins, anyOrigin):
		a.log.Warn("CORS: browsers on every origin are allowed (PARLEY_CORS_ORIGINS=*)")
	default:
		a.log.Info("CORS: browsers on these origins are allowed", "origins", origins)
	}
}
