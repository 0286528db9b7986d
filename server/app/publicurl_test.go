package app

import (
	"slices"
	"strings"
	"testing"
)

func TestDefaultPublicURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":           "http://localhost:8080",
		"127.0.0.1:27345": "http://127.0.0.1:27345",
		"0.0.0.0:9000":    "http://localhost:9000",
		"[::]:9000":       "http://localhost:9000",
		"[::1]:9000":      "http://[::1]:9000",
		"parley.lan:80":   "http://parley.lan:80",
	} {
		if got := DefaultPublicURL(addr); got != want {
			t.Errorf("DefaultPublicURL(%q) = %q, want %q", addr, got, want)
		}
	}
	c, err := FromEnv(func(k string) string { return map[string]string{"PARLEY_ADDR": "127.0.0.1:27345"}[k] })
	if err != nil || c.PublicURL != "http://127.0.0.1:27345" || len(c.Warnings()) != 0 {
		t.Errorf("PARLEY_ADDR alone: public URL %q, warnings %q, err %v", c.PublicURL, c.Warnings(), err)
	}
}

func TestPublicURLWarnings(t *testing.T) {
	for _, tc := range []struct {
		addr, public, warning string // "" for none
	}{
		{"127.0.0.1:27345", "http://localhost:8080", "port 8080 but the server listens on 27345"},
		{":9000", "http://127.0.0.1", "port 80 but"},
		{":443", "https://localhost", ""},
		{":8080", "https://parley.example.com", ""}, // behind a proxy
		{":8080", "http://localhost:8080", ""},
		{":8080", "ftp://localhost:8080", "not an http or https URL"},
		{":8080", "https://parley.example.com/?x=1", "query or fragment"},
	} {
		got := Config{Addr: tc.addr, PublicURL: tc.public}.Warnings()
		ok := len(got) == 0
		if tc.warning != "" {
			ok = slices.ContainsFunc(got, func(w string) bool { return strings.Contains(w, tc.warning) })
		}
		if !ok {
			t.Errorf("addr %s, public URL %s: warnings %q, want %q", tc.addr, tc.public, got, tc.warning)
		}
	}
}

func TestDebugAddrLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:6060": true, "localhost:6060": true, "[::1]:6060": true,
		":6060": false, "0.0.0.0:6060": false, "10.0.0.5:6060": false, "example.com:6060": false, "6060": false,
	} {
		_, err := FromEnv(func(k string) string { return map[string]string{"PARLEY_DEBUG_ADDR": addr}[k] })
		if (err == nil) != ok {
			t.Errorf("PARLEY_DEBUG_ADDR=%s: err %v", addr, err)
		}
	}
	for k, v := range map[string]string{"PARLEY_LOG_LEVEL": "loud", "PARLEY_LOG_FORMAT": "xml"} {
		if _, err := FromEnv(func(n string) string { return map[string]string{k: v}[n] }); err == nil {
			t.Errorf("%s=%s accepted", k, v)
		}
	}
}
