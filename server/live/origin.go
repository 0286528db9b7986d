package live

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// anyOrigin is the Config.Origins entry that allows every origin.
const anyOrigin = "*"

// originOK refuses a browser's WebSocket upgrade from an origin that is
// neither this server nor one of origins, compared as CORS compares them:
// scheme, host and port. Clients that are not browsers send no Origin.
func originOK(r *http.Request, origins []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && (strings.EqualFold(u.Host, r.Host) || originAllowed(origins, origin))
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
// patterns, which check the upgrade again after originOK.
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

func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}
