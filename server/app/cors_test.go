package app_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/app"
)

// preflight asks, as a browser on origin would, whether it may POST to path
// with a token, and returns the Access-Control-Allow-Origin it is given.
func preflight(t *testing.T, env *apitest.Env, path, origin string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, env.URL+path, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "authorization")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.Header.Get("Access-Control-Allow-Origin")
}

// Without PARLEY_CORS_ORIGINS no other origin may use the API from a
// browser, over HTTP or WebSocket alike; the server's own origin may.
func TestCORSDefaultIsSameOriginOnly(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		const other = "https://shop.example.com"
		for _, path := range []string{"/query", "/files/at00000000000000000000000000"} {
			if got := preflight(t, env, path, other); got != "" {
				t.Errorf("%s: preflight from %s: Access-Control-Allow-Origin = %q", path, other, got)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/query?query=%7B__typename%7D", nil)
		req.Header.Set("Origin", other)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("GET from %s: Access-Control-Allow-Origin = %q", other, got)
		}
		if _, err := env.Admin.Dial(apitest.DialOptions{Origin: other}); err == nil {
			t.Errorf("a websocket from %s was accepted", other)
		}
		s, err := env.Admin.Dial(apitest.DialOptions{Origin: env.URL})
		if err != nil {
			t.Fatalf("a websocket from the server's own origin: %v", err)
		}
		if err := s.WaitAck(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	})
}

// PARLEY_CORS_ORIGINS=* opens the API to every origin, WebSocket included.
func TestCORSAnyOrigin(t *testing.T) {
	c, err := app.FromEnv(fakeEnv("PARLEY_CORS_ORIGINS", "*"))
	if err != nil || len(c.CORSOrigins) != 1 || c.CORSOrigins[0] != "*" {
		t.Fatalf("PARLEY_CORS_ORIGINS=*: %v, %v", c.CORSOrigins, err)
	}
	apitest.RunWith(t, apitest.Options{CORSOrigins: c.CORSOrigins}, func(t *testing.T, env *apitest.Env) {
		const anywhere = "https://anywhere.example.org"
		for _, path := range []string{"/query", "/files/at00000000000000000000000000"} {
			if got := preflight(t, env, path, anywhere); got != "*" {
				t.Errorf("%s: Access-Control-Allow-Origin = %q, want *", path, got)
			}
		}
		s, err := env.Admin.Dial(apitest.DialOptions{Origin: anywhere})
		if err != nil {
			t.Fatalf("a websocket from %s: %v", anywhere, err)
		}
		if err := s.WaitAck(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	})
}

// The start-up log says which origins browsers may use the API from.
func TestCORSRuleIsLoggedAtStartup(t *testing.T) {
	for _, c := range []struct {
		origins []string
		want    string
	}{
		{nil, "refused"},
		{[]string{"https://shop.example.com"}, "https://shop.example.com"},
		{[]string{"*"}, "every origin"},
	} {
		var mu sync.Mutex
		var buf bytes.Buffer
		apitest.Start(t, "sqlite", apitest.Options{CORSOrigins: c.origins, Configure: func(cfg *app.Config) {
			cfg.Log = slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, nil))
		}})
		mu.Lock()
		var line string
		for _, l := range strings.Split(buf.String(), "\n") {
			if strings.Contains(l, "CORS") {
				line = l
			}
		}
		mu.Unlock()
		if !strings.Contains(line, c.want) {
			t.Errorf("origins %v: logged %q, want it to say %q", c.origins, line, c.want)
		}
	}
}

type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}
