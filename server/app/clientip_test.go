package app

import (
	"net/http"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := parseProxies("10.0.0.0/8, 192.168.1.5, ::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		remote, xff, want string
	}{
		{"203.0.113.9:5000", "", "203.0.113.9"},
		{"203.0.113.9:5000", "1.2.3.4", "203.0.113.9"},                       // not a proxy: its header is not believed
		{"10.1.2.3:5000", "198.51.100.7", "198.51.100.7"},                    // one trusted hop
		{"10.1.2.3:5000", "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"}, // forged left part ignored
		{"192.168.1.5:80", "198.51.100.8", "198.51.100.8"},
		{"[::1]:80", "2001:db8::1", "2001:db8::1"},
		{"10.1.2.3:5000", "", "10.1.2.3"},
		{"10.1.2.3:5000", "garbage", "10.1.2.3"},
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := clientIP(r, trusted); got != c.want {
			t.Errorf("%s with X-Forwarded-For %q: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
	if _, err := parseProxies("10.0.0.0/33"); err == nil {
		t.Error("a bad prefix was accepted")
	}
}
