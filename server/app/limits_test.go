package app_test

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"parley/graph"
	"parley/server/apitest"
	"parley/server/app"
)

//go:embed testdata/introspection.graphql
var introspectionQuery string

// fragmentBomb is a document of levels fragments, each spreading the one
// before twice: under a kilobyte for 25 levels, 2^24 fields spread out.
func fragmentBomb(levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "query{...F%d} fragment F0 on Query{__typename}", levels-1)
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, " fragment F%d on Query{...F%d ...F%d}", i, i-1, i-1)
	}
	return b.String()
}

// fieldBomb is one selection set of n __typename fields.
func fieldBomb(n int) string {
	return "{" + strings.Repeat("__typename ", n) + "}"
}

// wantLimit checks r is the LIMIT_EXCEEDED refusal of the named limit.
func wantLimit(t *testing.T, what string, r *apitest.Response, limit string, max int) {
	t.Helper()
	if r.Code() != "LIMIT_EXCEEDED" || r.Errors[0].Extensions["limit"] != limit || r.Errors[0].Extensions["max"] != float64(max) {
		t.Errorf("%s: want LIMIT_EXCEEDED %s (max %d), got HTTP %d %+v", what, limit, max, r.Status, r.Errors)
	}
}

// Documents that cost seconds to validate or to price (fragments spreading
// each other, thousands of fields) are refused before either, from anyone.
func TestHostileDocumentsAreRefusedBeforeValidation(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		anon := env.Anonymous()
		bomb := fragmentBomb(25) // the 905 bytes of the report, 5 s of CPU without the limit
		if len(bomb) != 905 {
			t.Fatalf("bomb is %d bytes", len(bomb))
		}
		wantLimit(t, "fragment bomb", anon.Do(bomb, nil), "queryNodes", graph.MaxNodes)
		wantLimit(t, "6,000 fields", anon.Do(fieldBomb(6000), nil), "queryNodes", graph.MaxNodes)
		wantLimit(t, "fields in inline fragments", anon.Do("{"+strings.Repeat("... on Query{__typename} ", 300)+"}", nil),
			"queryNodes", graph.MaxNodes)
		wantLimit(t, "a list literal spread 100 times", anon.Do(`{...A ...B} fragment A on Query{...B ...B ...B ...B ...B ...B ...B ...B ...B ...B}
			fragment B on Query{ nodes(ids: [`+strings.Repeat(`"x",`, 50)+`]) { id } }`, nil), "queryNodes", graph.MaxNodes)
		// Over the token limit: refused by the parser, whatever follows.
		wantLimit(t, "11,000 tokens", anon.Do(`query($x:[Int] = [`+strings.Repeat("1,", 11000)+`]){ __typename }`, nil),
			"queryTokens", graph.MaxTokens)
		wantLimit(t, "a megabyte of fields", anon.Do(fieldBomb(95000), nil), "queryTokens", graph.MaxTokens)
		// The same over a WebSocket.
		sub := anon.Connect().Subscribe(bomb, nil)
		wantLimit(t, "fragment bomb over a websocket", sub.Next(5*time.Second), "queryNodes", graph.MaxNodes)
		// A fragment that spreads itself is refused, not walked forever.
		r := anon.MustFail("BAD_USER_INPUT", `{...A} fragment A on Query{...B} fragment B on Query{__typename ...A}`, nil)
		if !strings.Contains(r.Errors[0].Message, "within itself") {
			t.Errorf("cycle: %+v", r.Errors)
		}

		// What clients send keeps working: GraphiQL's full introspection
		// query, and a fragment spread at several places.
		var intro struct {
			Schema struct{ Types []struct{ Name string } } `json:"__schema"`
		}
		anon.MustDo(introspectionQuery, nil, &intro)
		if len(intro.Schema.Types) < 20 {
			t.Fatalf("introspection found %d types", len(intro.Schema.Types))
		}
		env.Admin.MustDo(`{ me { ...U } users(first: 5) { edges { node { ...U } } } } fragment U on User { id name email }`, nil, nil)
		env.Admin.MustDo(fieldBomb(graph.MaxNodes), nil, nil)
	})
}

// Request bodies are bounded, and errors about a body never repeat it.
func TestRequestBodyLimit(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		post := func(body io.Reader) *apitest.Response {
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/query", body)
			req.Header.Set("Content-Type", "application/json")
			return env.Anonymous().Send(req)
		}
		withPadding := func(n int) string {
			return `{"query":"query($s:String!){ __type(name:$s){ name } }","variables":{"s":"` + strings.Repeat("a", n) + `"}}`
		}
		// Just under the limit: a normal request.
		if r := post(strings.NewReader(withPadding(app.DefaultMaxBody - 100))); len(r.Errors) > 0 || string(r.Data) != `{"__type":null}` {
			t.Fatalf("a body under the limit: HTTP %d %+v", r.Status, r.Errors)
		}
		// Over it, with a Content-Length or streamed without one.
		big := withPadding(app.DefaultMaxBody)
		for name, body := range map[string]io.Reader{"sized": strings.NewReader(big), "chunked": io.MultiReader(strings.NewReader(big))} {
			r := post(body)
			wantLimit(t, name, r, "requestBody", app.DefaultMaxBody)
			if r.Status != http.StatusRequestEntityTooLarge {
				t.Errorf("%s: HTTP %d, want 413", name, r.Status)
			}
		}

		// Bodies that do not decode: the error says so, and no more.
		for _, body := range []string{
			`{"query":"mutation{ login(email:\"a@b.c\", password:\"hunter2-SECRET\"){ token } }",}`,
			`{"query":"{ __typename }","variables":"hunter2-SECRET"}`,
			`[{"query":"{ __typename }","variables":{"p":"hunter2-SECRET"}}]`,
		} {
			r := post(strings.NewReader(body))
			if r.Status != http.StatusBadRequest || r.Code() != "BAD_USER_INPUT" {
				t.Errorf("%s: HTTP %d %+v", body, r.Status, r.Errors)
			}
			for _, e := range r.Errors {
				if strings.Contains(e.Message, "SECRET") || strings.Contains(e.Message, "RawParams") || strings.Contains(e.Message, "Go ") {
					t.Errorf("%s: the error repeats the body or names Go types: %q", body, e.Message)
				}
			}
		}

		// A GET's query string: bounded, and not repeated when malformed.
		get := func(rawQuery string) *apitest.Response {
			req, _ := http.NewRequest(http.MethodGet, env.URL+"/query?"+rawQuery, nil)
			return env.Anonymous().Send(req)
		}
		long := get("query=" + url.QueryEscape("{ __typename }"+strings.Repeat(" ", 40<<10)))
		wantLimit(t, "a 40 KB query string", long, "queryString", 32<<10)
		if long.Status != http.StatusRequestURITooLong {
			t.Errorf("a 40 KB query string: HTTP %d, want 414", long.Status)
		}
		if r := get("query=%7B__typename%7D&x=%zzSECRET"); r.Code() != "BAD_USER_INPUT" || strings.Contains(r.Errors[0].Message, "%zz") {
			t.Errorf("a malformed query string: %+v", r.Errors)
		}
		if r := get("query=" + url.QueryEscape("{ __typename }")); len(r.Errors) > 0 {
			t.Errorf("GET: %+v", r.Errors)
		}

		// Uploads have their own, larger, limits.
		var chat struct{ CreateDirectChat struct{ ID string } }
		env.Admin.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, Vars{"u": env.CreateUser("MEMBER", "Una")}, &chat)
		file := apitest.BytesFile("f", "big.bin", make([]byte, 3<<20))
		if r := env.Admin.Upload(`mutation($c:ID!,$f:Upload!){ uploadFile(conversationId:$c, file:$f){ size } }`,
			Vars{"c": chat.CreateDirectChat.ID}, file); len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"size":3145728`) {
			t.Fatalf("a 3 MiB upload: %s %+v", r.Data, r.Errors)
		}
	})
}

// The query caches keep short queries only: a thousand megabyte documents
// would hold gigabytes. A long persisted query is asked for again.
func TestLongQueriesAreNotCached(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		persisted := func(q string) (first, again *apitest.Response) {
			sum := sha256.Sum256([]byte(q))
			ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
			send := func(body map[string]any) *apitest.Response {
				b, _ := json.Marshal(body)
				req, _ := http.NewRequest(http.MethodPost, env.URL+"/query", bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				return env.Anonymous().Send(req)
			}
			return send(map[string]any{"query": q, "extensions": ext}), send(map[string]any{"extensions": ext})
		}
		short := `{ __type(name: "` + strings.Repeat("a", 1000) + `") { name } }`
		if first, again := persisted(short); len(first.Errors)+len(again.Errors) > 0 {
			t.Fatalf("a short persisted query: %+v, then %+v", first.Errors, again.Errors)
		}
		long := `{ __type(name: "` + strings.Repeat("a", 20<<10) + `") { name } }`
		first, again := persisted(long)
		if len(first.Errors) > 0 || string(first.Data) != `{"__type":null}` {
			t.Fatalf("a long persisted query: %s %+v", first.Data, first.Errors)
		}
		if len(again.Errors) == 0 || again.Errors[0].Message != "PersistedQueryNotFound" {
			t.Fatalf("a long query by its hash alone: %s %+v, want PersistedQueryNotFound", again.Data, again.Errors)
		}
	})
}

func TestBodyLimitIsConfigurable(t *testing.T) {
	c, err := app.FromEnv(fakeEnv("PARLEY_MAX_BODY_BYTES", "4096"))
	if err != nil || c.MaxBodyBytes != 4096 {
		t.Fatalf("PARLEY_MAX_BODY_BYTES=4096: %d, %v", c.MaxBodyBytes, err)
	}
	for _, v := range []string{"1k", "-1", "100"} {
		if _, err := app.FromEnv(fakeEnv("PARLEY_MAX_BODY_BYTES", v)); err == nil {
			t.Errorf("PARLEY_MAX_BODY_BYTES=%s accepted", v)
		}
	}
	e := apitest.Start(t, "sqlite", apitest.Options{Configure: func(c *app.Config) { c.MaxBodyBytes = 4096 }})
	body, _ := json.Marshal(map[string]any{"query": "{ __typename }", "variables": map[string]any{"s": strings.Repeat("a", 5000)}})
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/query", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	wantLimit(t, "5 KB body, 4 KB limit", e.Anonymous().Send(req), "requestBody", 4096)
}

// fakeEnv is a getenv that knows the given keys and values.
func fakeEnv(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}
