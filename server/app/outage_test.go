package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"parley/server/apitest"
)

// While the database cannot be reached nobody is logged out: a valid token
// gets GraphQL's INTERNAL over HTTP (not UNAUTHENTICATED, not a bare 500),
// and a WebSocket closes with 1013 (try again later), on which clients
// retry, instead of 4403, on which they forget their token.
func TestDatabaseOutageLogsNobodyOut(t *testing.T) {
	apitest.RunWith(t, apitest.Options{BreakableDatabase: true}, func(t *testing.T, env *apitest.Env) {
		u := env.NewUser("MEMBER", "Olga")
		env.BreakDatabase()

		r := u.Do(`{ me { id } }`, nil)
		if r.Code() != "INTERNAL" || r.Status != 200 || r.Errors[0].Message != "internal error" {
			t.Fatalf("HTTP during an outage: status %d, errors %+v; want 200 with INTERNAL", r.Status, r.Errors)
		}
		// A client that asks for application/graphql-response+json gets a 5xx, as GraphQL over HTTP wants.
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/query", bytes.NewReader([]byte(`{"query":"{ me { id } }"}`)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/graphql-response+json")
		req.Header.Set("Authorization", "Bearer "+u.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var gr apitest.Response
		if res.StatusCode != 500 || res.Header.Get("Content-Type") != "application/graphql-response+json" ||
			json.Unmarshal(body, &gr) != nil || gr.Code() != "INTERNAL" {
			t.Fatalf("graphql-response+json during an outage: %s %q %s", res.Status, res.Header.Get("Content-Type"), body)
		}

		for name, opts := range map[string]apitest.DialOptions{
			"token in connection_init": {},
			"token on the upgrade":     {InitPayload: map[string]any{}, Header: http.Header{"Authorization": {"Bearer " + u.Token}}},
		} {
			s, err := u.Dial(opts)
			if err != nil {
				t.Fatal(err)
			}
			if code, err := s.WaitClosed(10 * time.Second); err != nil || code != 1013 {
				t.Errorf("%s during an outage: closed with %d (%v), want 1013", name, code, err)
			}
		}
	})
}
