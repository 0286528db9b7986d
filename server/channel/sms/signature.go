package sms

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"net/url"
	"slices"
	"strings"
)

// Signature is Twilio's X-Twilio-Signature of a form POST to rawURL:
// base64(HMAC-SHA1(auth token, URL + every parameter, sorted by name, as
// name+value)). A repeated name adds each distinct value, sorted.
func Signature(authToken, rawURL string, form url.Values) string {
	names := make([]string, 0, len(form))
	for name := range form {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(rawURL)
	for _, name := range names {
		values := slices.Clone(form[name])
		slices.Sort(values)
		for _, v := range slices.Compact(values) {
			b.WriteString(name)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Valid reports whether sig is Twilio's signature of the request. Like
// Twilio's own validators it accepts the URL as given, with its port
// removed, or with the scheme's default port added: Twilio signs
// inconsistently there. The comparison takes constant time.
func Valid(authToken, rawURL string, form url.Values, sig string) bool {
	if authToken == "" || sig == "" {
		return false
	}
	ok := false
	for _, u := range urlVariants(rawURL) {
		if hmac.Equal([]byte(Signature(authToken, u, form)), []byte(sig)) {
			ok = true
		}
	}
	return ok
}

// urlVariants are rawURL, rawURL without its port, and rawURL with the
// default port, each once.
func urlVariants(rawURL string) []string {
	out := []string{rawURL}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return out
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	def := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	for _, h := range []string{host, net.JoinHostPort(u.Hostname(), def)} {
		if def == "" && h != host {
			continue
		}
		if v := withHost(rawURL, u, h); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// withHost replaces the host[:port] of rawURL, leaving every other byte
// (user info, path, query) as Twilio sent it.
func withHost(rawURL string, u *url.URL, host string) string {
	prefix := u.Scheme + "://"
	if !strings.HasPrefix(rawURL, prefix) {
		return rawURL
	}
	rest := rawURL[len(prefix):]
	if u.User != nil {
		at := strings.Index(rest, "@")
		if at < 0 {
			return rawURL
		}
		prefix += rest[:at+1]
		rest = rest[at+1:]
	}
	if !strings.HasPrefix(rest, u.Host) {
		return rawURL
	}
	return prefix + host + rest[len(u.Host):]
}
