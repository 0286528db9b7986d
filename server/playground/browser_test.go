package playground_test

import (
	"encoding/json"
	"strings"
	"testing"

	"parley/server/apitest"
	"parley/server/browsertest"
)

// TestPlaygroundInBrowser opens GET / in headless Chromium (skipped without
// one, unless PARLEY_REQUIRE_BROWSER=1): GraphiQL must render from this
// server alone and run queries over HTTP and subscriptions over WebSocket,
// both authenticated by the headers pane.
func TestPlaygroundInBrowser(t *testing.T) {
	browsertest.Require(t) // before starting a server for nothing
	env := apitest.Start(t, "sqlite", apitest.Options{})
	sender := env.NewUser("MEMBER", "Sam")
	var dc struct{ CreateDirectChat struct{ ID string } }
	sender.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, apitest.Vars{"u": env.Admin.ID}, &dc)
	rep := browsertest.Run(t, "testdata/playground.cjs", browsertest.Options{
		URL:    env.URL,
		Params: map[string]string{"token": env.Admin.Token, "senderToken": sender.Token, "chatId": dc.CreateDirectChat.ID},
	})
	type gqlResult struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	var got struct {
		SchemaStatus int
		Rendered     struct{ DefaultQuery, DefaultHeaders string }
		DocsText     string
		MeAnonymous  gqlResult
		Me           struct {
			Data struct{ Me struct{ Email string } }
		}
		SubAnonymous, SubToken, SubBadToken gqlResult
		BadTokenMillis                      int
		Sockets                             []struct {
			URL    string
			Init   map[string]any
			Closed bool
		}
	}
	rep.Decode(t, &got)
	code := func(r gqlResult) any {
		if len(r.Errors) == 0 {
			return nil
		}
		return r.Errors[0].Extensions["code"]
	}

	if len(rep.ConsoleErrors) > 0 || len(rep.PageErrors) > 0 {
		t.Errorf("console errors %q, page errors %q", rep.ConsoleErrors, rep.PageErrors)
	}
	if got.SchemaStatus != 200 || !strings.Contains(got.Rendered.DefaultQuery, "login(") ||
		!strings.Contains(got.Rendered.DefaultHeaders, `"Authorization": "Bearer <token from login>"`) {
		t.Errorf("rendered: introspection %d, editors %+v", got.SchemaStatus, got.Rendered)
	}
	for _, root := range []string{"Query", "Mutation", "Subscription"} {
		if !strings.Contains(got.DocsText, root) {
			t.Errorf("the Docs explorer shows no %s: %q", root, got.DocsText)
		}
	}

	// HTTP: the placeholder is not sent as a token; the real one is.
	if code(got.MeAnonymous) != "UNAUTHENTICATED" || !strings.Contains(got.MeAnonymous.Errors[0].Message, "needs a token") {
		t.Errorf("me with the placeholder header: %+v", got.MeAnonymous)
	}
	if got.Me.Data.Me.Email != env.Admin.Email {
		t.Errorf("me with the token: %+v, want %s", got.Me, env.Admin.Email)
	}

	// WebSocket: an anonymous subscription is refused by the API; with the
	// token in connection_init it runs and shows the badge change a message
	// to the admin makes; a bad token is refused at once.
	if code(got.SubAnonymous) != "UNAUTHENTICATED" {
		t.Errorf("anonymous subscription: %+v", got.SubAnonymous)
	}
	var badges struct{ BadgesUpdated struct{ Total int } }
	if len(got.SubToken.Errors) > 0 || json.Unmarshal(got.SubToken.Data, &badges) != nil || badges.BadgesUpdated.Total != 1 {
		t.Errorf("subscription with the token: %s %+v", got.SubToken.Data, got.SubToken.Errors)
	}
	// (Retrying would take seconds.)
	if len(got.SubBadToken.Errors) == 0 || !strings.Contains(got.SubBadToken.Errors[0].Message, "WebSocket closed (4403)") ||
		got.BadTokenMillis > 5000 {
		t.Errorf("subscription with a bad token, after %d ms: %+v", got.BadTokenMillis, got.SubBadToken)
	}
	var inits []map[string]any
	for _, s := range got.Sockets {
		if !strings.HasSuffix(s.URL, "/query") {
			t.Errorf("socket to %s", s.URL)
		}
		inits = append(inits, s.Init)
	}
	if len(inits) != 3 || len(inits[0]) != 0 || inits[1]["authorization"] != "Bearer "+env.Admin.Token ||
		inits[2]["authorization"] != "Bearer nope" {
		t.Errorf("connection_init payloads: %v", inits)
	}
}
