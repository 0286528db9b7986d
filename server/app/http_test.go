package app_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/app"
)

func TestMalformedRequestsGetBadUserInput(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		c := env.Admin
		for _, q := range []string{
			`{ me { id }`,     // parse error
			`{ me { nope } }`, // unknown field
			`query { users(first: "x") { totalCount } }`,
			`mutation { login }`, // missing arguments
		} {
			r := c.MustFail("BAD_USER_INPUT", q, nil)
			for _, e := range r.Errors {
				if strings.Contains(e.Message, ".go:") || strings.Contains(e.Message, "goroutine") {
					t.Fatalf("%s: error shows a stack: %q", q, e.Message)
				}
			}
		}
		// A query that does not validate is still a GraphQL response: 200 for
		// application/json, 400 for a client that asks for
		// application/graphql-response+json (GraphQL over HTTP).
		for accept, want := range map[string]int{"": 200, "application/json": 200, "application/graphql-response+json": 400} {
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/query", strings.NewReader(`{"query":"{ me { nope } }"}`))
			req.Header.Set("Content-Type", "application/json")
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			if r := c.Send(req); r.Status != want || r.Code() != "BAD_USER_INPUT" {
				t.Errorf("Accept %q: status %d, code %s; want %d", accept, r.Status, r.Code(), want)
			}
		}

		// A NUL character is refused the same way on both databases (PostgreSQL
		// cannot store one), in a variable, deep in an input object, or in a literal.
		c.MustFail("BAD_USER_INPUT", `query($s:String){ users(search:$s){ totalCount } }`, Vars{"s": "a\u0000b"})
		c.MustFail("BAD_USER_INPUT", `mutation($in:CreateGroupChatInput!){ createGroupChat(input:$in){ id } }`,
			Vars{"in": Vars{"title": "team\u0000", "memberIds": []string{}}})
		c.MustFail("BAD_USER_INPUT", `mutation{ createGroupChat(input:{title:"team\u0000", memberIds:[]}){ id } }`, nil)
		var chats struct{ Chats struct{ TotalCount int } }
		c.MustDo(`{ chats { totalCount } }`, nil, &chats)
		if chats.Chats.TotalCount != 0 {
			t.Fatal("a refused createGroupChat made a chat")
		}

		// GraphQL lets an ID be an integer: it names nothing here.
		for _, q := range []string{`{ node(id: 12345) { id } }`, `mutation { createDirectChat(userId: 7) { id } }`} {
			r := c.Do(q, nil)
			for _, e := range r.Errors {
				if code := e.Extensions["code"]; code != "NOT_FOUND" && code != "BAD_USER_INPUT" {
					t.Errorf("%s: %+v %s", q, r.Errors, r.Data)
				}
			}
		}
		for _, v := range []any{12345, 1.5} {
			if r := c.Do(`query($x:ID!){ node(id:$x){ id } }`, Vars{"x": v}); len(r.Errors) > 0 || string(r.Data) != `{"node":null}` {
				t.Errorf("node(id: %v): %+v %s", v, r.Errors, r.Data)
			}
		}

		// Wrong variable types are input errors too.
		c.MustFail("BAD_USER_INPUT", `query($n:Int){ users(first:$n){ totalCount } }`, Vars{"n": "ten"})
		c.MustFail("BAD_USER_INPUT", `{ users(first: 1000) { totalCount } }`, nil)

		// Page cursors this server never handed out: garbled, empty, or an
		// events cursor passed to a list.
		for _, q := range []string{
			`{ users(after: "!!notacursor") { totalCount } }`,
			`{ users(after: "") { totalCount } }`,
			`{ chats(after: "aGVsbG8") { totalCount } }`,
			`{ sessions(after: "ZTEuMC40OTI") { totalCount } }`,
			`{ customers(after: "x") { totalCount } }`,
			`{ searchMessages(query: "hello", after: "x") { totalCount } }`,
		} {
			c.MustFail("BAD_USER_INPUT", q, nil)
		}
		c.MustFail("BAD_USER_INPUT", `query($a:Cursor){ users(after:$a){ totalCount } }`, Vars{"a": "garbage"})

		// Not JSON at all, or no body: still a GraphQL error with a code.
		for _, body := range []string{"", "{not json", `{"query": 42}`} {
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/query", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if r := c.Send(req); r.Code() != "BAD_USER_INPUT" {
				t.Errorf("body %q: %+v", body, r.Errors)
			}
		}
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/query", strings.NewReader("{ me { id } }"))
		req.Header.Set("Content-Type", "text/plain")
		if r := c.Send(req); r.Code() != "BAD_USER_INPUT" {
			t.Errorf("text/plain body: %+v", r.Errors)
		}
	})
}

func TestComplexityLimit(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		// 100 chats x 100 messages x a few fields is far over the limit.
		q := `{ chats(first: 100) { edges { node { messages(last: 100) { edges { node { id text sender { name email } } } } } } } }`
		r := env.Admin.MustFail("LIMIT_EXCEEDED", q, nil)
		if r.Errors[0].Extensions["limit"] != "queryComplexity" || r.Errors[0].Extensions["max"] == nil {
			t.Fatalf("extensions = %v", r.Errors[0].Extensions)
		}
		// A normal screen's query passes.
		env.Admin.MustDo(`{ chats(first: 30) { edges { node { id title unreadCount lastMessage { text } } } } }`, nil, nil)
	})
}

func TestCORSAllowsOnlyConfiguredOrigins(t *testing.T) {
	opts := apitest.Options{CORSOrigins: []string{"https://app.example.com"}}
	apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
		preflight := func(origin string) *http.Response {
			req, _ := http.NewRequest(http.MethodOptions, env.URL+"/query", nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		if got := preflight("https://app.example.com").Header.Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
			t.Fatalf("allowed origin: Access-Control-Allow-Origin = %q", got)
		}
		if got := preflight("https://evil.example.net").Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Fatalf("other origin: Access-Control-Allow-Origin = %q", got)
		}
		// WebSocket upgrades obey the same origins, scheme and port included.
		for _, origin := range []string{"https://evil.example.net", "http://app.example.com", "https://app.example.com:8443",
			"https://app.example.com.evil.example.net"} {
			if _, err := env.Admin.Dial(apitest.DialOptions{Origin: origin}); err == nil {
				t.Fatalf("a websocket from %s was accepted", origin)
			}
		}
		s, err := env.Admin.Dial(apitest.DialOptions{Origin: "https://app.example.com"})
		if err != nil {
			t.Fatalf("websocket from an allowed origin: %v", err)
		}
		if err := s.WaitAck(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	})
}

func TestHealthAndReadiness(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		get := func(path string) (int, string) {
			res, err := http.Get(env.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, _ := get("/healthz"); code != 200 {
			t.Fatalf("/healthz = %d", code)
		}
		if code, _ := get("/readyz"); code != 200 {
			t.Fatalf("/readyz = %d", code)
		}
		if code, body := get("/schema.graphql"); code != 200 || !strings.Contains(body, "type Query") {
			t.Fatalf("/schema.graphql = %d", code)
		}
		// Once the database is unreachable, readiness fails and liveness does not.
		env.App.DB.SQL.Close()
		if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz without a database = %d, want 503", code)
		}
		if code, _ := get("/healthz"); code != 200 {
			t.Fatalf("/healthz without a database = %d", code)
		}
	})
}

func TestQueriesOverGETAndPersistedQueries(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		q := `{ me { email } }`
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/query?query="+url.QueryEscape(q), nil)
		if r := env.Admin.Send(req); r.Code() != "" || !strings.Contains(string(r.Data), "admin@parley.test") {
			t.Fatalf("GET: %s %+v", r.Data, r.Errors)
		}
		// Mutations are not allowed over GET.
		req, _ = http.NewRequest(http.MethodGet, env.URL+"/query?query="+url.QueryEscape(`mutation { logout }`), nil)
		if r := env.Admin.Send(req); r.Code() == "" {
			t.Fatal("a mutation ran over GET")
		}

		// Automatic persisted queries: hash first, then hash and query, then hash alone.
		sum := sha256.Sum256([]byte(q))
		ext := `{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`
		post := func(body string) *apitest.Response {
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/query", bytes.NewBufferString(body))
			req.Header.Set("Content-Type", "application/json")
			return env.Admin.Send(req)
		}
		if r := post(`{"extensions":` + ext + `}`); len(r.Errors) == 0 || r.Errors[0].Message != "PersistedQueryNotFound" {
			t.Fatalf("unknown hash: %+v", r.Errors)
		}
		if r := post(`{"query":"{ me { email } }","extensions":` + ext + `}`); len(r.Errors) > 0 {
			t.Fatalf("register: %+v", r.Errors)
		}
		if r := post(`{"extensions":` + ext + `}`); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "admin@parley.test") {
			t.Fatalf("by hash: %s %+v", r.Data, r.Errors)
		}
	})
}

func TestAdminBootstrapOnlyOnAnEmptyDatabase(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			env := apitest.Start(t, backend, apitest.Options{AdminEmail: "first@parley.test", AdminPassword: "first-password"})
			var out struct{ Users struct{ TotalCount int } }
			env.Admin.MustDo(`{ users { totalCount } }`, nil, &out)
			if out.Users.TotalCount != 1 {
				t.Fatalf("users after bootstrap = %d", out.Users.TotalCount)
			}
		})
	}
}

func TestNodeResolvesUsers(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		u := env.NewUser("MEMBER", "Ulla")
		var out struct {
			Node  *struct{ ID, Name string }
			Nodes []*struct{ ID string }
		}
		u.MustDo(`query($id:ID!){ node(id:$id){ id ... on User { name } } nodes(ids:[$id, "us00000000000000000000000000", "garbage"]){ id } }`,
			Vars{"id": env.Admin.ID}, &out)
		if out.Node == nil || out.Node.ID != env.Admin.ID {
			t.Fatalf("node = %+v", out.Node)
		}
		if len(out.Nodes) != 3 || out.Nodes[0] == nil || out.Nodes[1] != nil || out.Nodes[2] != nil {
			t.Fatalf("nodes = %+v", out.Nodes)
		}
	})
}

// The playground suggests a login that works here: the bootstrap admin, or
// with --demo the demo agent.
func TestPlaygroundSuggestsAWorkingLogin(t *testing.T) {
	for demo, want := range map[bool]string{false: "admin@parley.test", true: "alex@demo.parley"} {
		env := apitest.Start(t, "sqlite", apitest.Options{Configure: func(c *app.Config) { c.Demo = demo }})
		res, err := http.Get(env.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), want) {
			t.Errorf("demo=%v: the playground does not suggest %s", demo, want)
		}
	}
}
