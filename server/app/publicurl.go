package app

import (
	"cmp"
	"net"
	"net/netip"
	"net/url"
)

// DefaultPublicURL is the public URL when PARLEY_PUBLIC_URL is unset: the
// listen address as a browser on this machine reaches it. A wildcard or
// missing host (":8080", "0.0.0.0:9000", "[::]:80") is localhost; a
// named host or address is kept.
func DefaultPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost:8080"
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Warnings are the settings that look wrong without being refused, said at
// start: a public URL on this machine that names another port than the
// one listened on (attachment links would not load), or one that is not
// plain http(s).
func (c Config) Warnings() []string {
	var out []string
	u, err := url.Parse(c.PublicURL)
	if err != nil {
		return nil // FromEnv refuses it
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		out = append(out, "PARLEY_PUBLIC_URL is not an http or https URL: the links it makes will not load in a browser")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		out = append(out, "PARLEY_PUBLIC_URL has a query or fragment: URLs are made by appending paths to it")
	}
	if _, listenPort, err := net.SplitHostPort(c.Addr); err == nil && isLoopbackHost(u.Hostname()) {
		port := cmp.Or(u.Port(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		if port != listenPort {
			out = append(out, "PARLEY_PUBLIC_URL names this machine on port "+port+" but the server listens on "+
				listenPort+" (PARLEY_ADDR): attachment and webhook URLs will not reach it")
		}
	}
	return out
}

// isLoopback reports whether the host of addr (host:port) is localhost or a
// loopback address; an empty host (every interface) is not.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && isLoopbackHost(host)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
