package app

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/rs/cors"
)

// PARLEY_CORS_ORIGINS is the one rule for browsers on other origins, for
// /query, /files and WebSocket upgrades alike: unset, none (same origin
// only); a list, those origins (with wildcards like https://*.example.com);
// "*", every origin. Clients that are not browsers send no Origin and are
// not concerned.

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

// websocketUpgrades refuses a browser's WebSocket upgrade from an origin
// that is neither this server nor allowed by PARLEY_CORS_ORIGINS, compared
// as CORS compares them: scheme, host and port. An upgrade it lets through
// becomes one of the open sockets (see socket).
func (a *App) websocketUpgrades(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isWebsocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			u, err := url.Parse(origin)
			if err != nil || (!strings.EqualFold(u.Host, r.Host) && !originAllowed(a.cfg.CORSOrigins, origin)) {
				writeText(w, http.StatusForbidden, "origin not allowed")
				return
			}
		}
		s := &socket{upgradeAuth: r.Header.Get("Authorization"), done: make(chan struct{})}
		a.sockets.add(s)
		defer func() {
			s.finish()
			a.sockets.remove(s)
			close(s.done)
		}()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), socketKey{}, s)))
	})
}

func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// originAllowed matches an Origin header against the configured origins.
func originAllowed(allowed []string, origin string) bool {
	origin = strings.ToLower(origin)
	for _, o := range allowed {
		if o == anyOrigin {
			return true
		}
		if ok, _ := path.Match(strings.ToLower(o), origin); ok {
			return true
		}
	}
	return false
}

// originHosts turns configured origins into coder/websocket's host
// patterns, which check the upgrade again after websocketUpgrades.
func originHosts(origins []string) []string {
	var hosts []string
	for _, o := range origins {
		if o == anyOrigin {
			return []string{"*"}
		}
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		}
	}
	return hosts
}
