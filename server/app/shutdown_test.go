package app_test

import (
	"context"
	"net"
	"testing"
	"time"

	"parley/server/apitest"
)

// A graceful shutdown (what main does on SIGTERM) closes every WebSocket
// with 1012 (service restart), on which clients reconnect; 1000 would tell
// them they are done. http.Server.Shutdown alone leaves them open.
func TestShutdownClosesWebsocketsWithServiceRestart(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, shutdown := context.WithCancel(context.Background())
		defer shutdown()
		served := make(chan error, 1)
		go func() { served <- env.App.Serve(ctx, l) }()
		url := "http://" + l.Addr().String()

		u := env.NewUser("MEMBER", "Sid")
		user, err := u.Dial(apitest.DialOptions{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		anon, err := env.Anonymous().Dial(apitest.DialOptions{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []*apitest.Socket{user, anon} {
			if err := s.WaitAck(5 * time.Second); err != nil {
				t.Fatal(err)
			}
		}
		user.Subscribe(`subscription { badgesUpdated { total } }`, nil)

		shutdown()
		for name, s := range map[string]*apitest.Socket{"a user's": user, "an anonymous": anon} {
			if code, err := s.WaitClosed(10 * time.Second); err != nil || code != 1012 {
				t.Errorf("%s socket at shutdown: closed with %d (%v), want 1012", name, code, err)
			}
		}
		select {
		case err := <-served:
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Serve did not return after shutdown")
		}
	})
}
