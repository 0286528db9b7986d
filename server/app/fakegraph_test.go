package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/app"
	"parley/server/channel/meta"
	"parley/server/outbox"
)

// The Meta fixtures are for these accounts; the tests sign with this secret.
const (
	waPhoneNumberID = "106540352242922"
	fbPageID        = "682498302938465"
	igAccountID     = "17841405309211844"
	metaSecret      = "parley-test-app-secret"
	metaVerify      = "parley-verify-token-123"
	metaToken       = "EAAG-test-access-token"
)

// graphCall is one request the fake Graph API received.
type graphCall struct {
	Method, Path, Query, Auth string
	Body                      map[string]any
}

// graphAnswer is a canned answer to the next send.
type graphAnswer struct {
	Status int
	Body   string
}

// fakeGraph speaks Meta's Graph API on loopback: it takes sends, serves
// media and profiles, and refuses any call without the current token.
type fakeGraph struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	// token is the bearer token Graph accepts (a revoked one gets 190).
	token string
	calls []graphCall
	// ids are the message ids the next sends get (then generated ones).
	ids []string
	n   int
	// answers, when queued, answer the next sends instead.
	answers []graphAnswer
	// media are files by WhatsApp media id (served with the token) or by
	// CDN path (/cdn/..., served to anyone).
	media map[string][]byte
	// mediaFailures fail the next downloads with 500.
	mediaFailures int
	downloads     int
	// profiles answer GET /{user-id} (absent: a Graph refusal).
	profiles map[string]string
	// beforeSend runs before a send is answered, with the id it gets.
	beforeSend func(id string)
}

func newFakeGraph(t *testing.T) *fakeGraph {
	f := &fakeGraph{t: t, token: metaToken, media: map[string][]byte{}, profiles: map[string]string{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// Base is the Graph URL Parley is configured with.
func (f *fakeGraph) Base() string { return f.srv.URL + "/v23.0" }

func (f *fakeGraph) setToken(tok string) { f.mu.Lock(); f.token = tok; f.mu.Unlock() }

func (f *fakeGraph) answer(a ...graphAnswer) {
	f.mu.Lock()
	f.answers = append(f.answers, a...)
	f.mu.Unlock()
}

// sends are the calls that posted to a path ending in suffix.
func (f *fakeGraph) sends(suffix string) []graphCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []graphCall
	for _, c := range f.calls {
		if c.Method == http.MethodPost && strings.HasSuffix(c.Path, suffix) {
			out = append(out, c)
		}
	}
	return out
}

// waitSends waits for n calls posted to a path ending in suffix.
func (f *fakeGraph) waitSends(t *testing.T, suffix string, n int) []graphCall {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s := f.sends(suffix); len(s) >= n {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fake Graph API got %d posts to *%s, want %d", len(f.sends(suffix)), suffix, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	call := graphCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization")}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &call.Body); err != nil {
			http.Error(w, "not JSON", 400)
			return
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	token := f.token
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.HasPrefix(r.URL.Path, "/cdn/") { // Messenger's and Instagram's CDN: no token
		f.serveFile(w, r.URL.Path, "")
		return
	}
	if call.Auth != "Bearer "+token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(metaFixture(f.t, "meta_error_190.json"))
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v23.0/")
	switch {
	case strings.HasPrefix(r.URL.Path, "/wa-media/"):
		f.serveFile(w, strings.TrimPrefix(r.URL.Path, "/wa-media/"), "")
	case r.Method == http.MethodGet && f.media[path] != nil:
		_ = json.NewEncoder(w).Encode(map[string]any{"messaging_product": "whatsapp", "url": f.srv.URL + "/wa-media/" + path,
			"mime_type": http.DetectContentType(f.media[path]), "file_size": fmt.Sprint(len(f.media[path])), "id": path})
	case r.Method == http.MethodGet:
		f.mu.Lock()
		p, ok := f.profiles[path]
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":{"message":"(#230) User consent is required to access user profile","type":"OAuthException","code":230,"fbtrace_id":"A1"}}`)
			return
		}
		_, _ = io.WriteString(w, p)
	case r.Method == http.MethodPost && (strings.HasSuffix(path, "/messages") || strings.HasSuffix(path, "/comments") || strings.HasSuffix(path, "/replies")):
		f.serveSend(w, path, call.Body)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"message":"Unknown path components","type":"OAuthException","code":2500}}`)
	}
}

func (f *fakeGraph) serveFile(w http.ResponseWriter, key, _ string) {
	f.mu.Lock()
	f.downloads++
	fail := f.mediaFailures > 0
	if fail {
		f.mediaFailures--
	}
	data := f.media[key]
	f.mu.Unlock()
	switch {
	case fail:
		w.WriteHeader(http.StatusInternalServerError)
	case data == nil:
		w.WriteHeader(http.StatusNotFound)
	default:
		w.Header().Set("Content-Type", http.DetectContentType(data))
		_, _ = w.Write(data)
	}
}

func (f *fakeGraph) serveSend(w http.ResponseWriter, path string, body map[string]any) {
	if body["status"] == "read" || body["sender_action"] != nil {
		_, _ = io.WriteString(w, `{"success":true}`)
		return
	}
	f.mu.Lock()
	var canned *graphAnswer
	if len(f.answers) > 0 {
		canned = &f.answers[0]
		f.answers = f.answers[1:]
	}
	id := ""
	if canned == nil {
		if len(f.ids) > 0 {
			id, f.ids = f.ids[0], f.ids[1:]
		} else {
			f.n++
			id = fmt.Sprintf("fake.%d.%d", time.Now().UnixNano(), f.n)
		}
	}
	before := f.beforeSend
	f.mu.Unlock()
	if canned != nil {
		w.WriteHeader(canned.Status)
		_, _ = io.WriteString(w, canned.Body)
		return
	}
	if before != nil {
		before(id)
	}
	switch {
	case body["messaging_product"] == "whatsapp":
		_ = json.NewEncoder(w).Encode(map[string]any{"messaging_product": "whatsapp",
			"contacts": []any{map[string]any{"input": body["to"], "wa_id": body["to"]}}, "messages": []any{map[string]any{"id": id}}})
	case strings.HasSuffix(path, "/comments") || strings.HasSuffix(path, "/replies"):
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id})
	default:
		recipient, _ := body["recipient"].(map[string]any)
		_ = json.NewEncoder(w).Encode(map[string]any{"recipient_id": recipient["id"], "message_id": id})
	}
}

// metaFixture reads a file of testdata/meta-api, or of testdata/{kind}/.
func metaFixture(t testing.TB, name string) []byte {
	t.Helper()
	dir := "testdata/meta-api/"
	if strings.Contains(name, "/") {
		dir = "testdata/"
	}
	b, err := os.ReadFile(dir + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameJSON compares a request body with a fixture, as decoded JSON.
func sameJSON(t *testing.T, what string, got map[string]any, fixture []byte, edit func(want map[string]any)) {
	t.Helper()
	var want map[string]any
	if err := json.Unmarshal(fixture, &want); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(want)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("%s: Graph got\n%s\nwant\n%s", what, g, w)
	}
}

// postMeta posts a webhook body to path as Meta would, signed with secret
// ("" sends no signature).
func postMeta(t testing.TB, env *apitest.Env, path, secret string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, env.URL+path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Hub-Signature-256", meta.Signature(secret, body))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// mustPostMeta posts a signed webhook and wants 200.
func mustPostMeta(t testing.TB, env *apitest.Env, path string, body []byte) {
	t.Helper()
	if code, text := postMeta(t, env, path, metaSecret, body); code != 200 {
		t.Fatalf("webhook %s: %d %s", path, code, text)
	}
}

// runMeta runs a test on each database with a fake Graph API and a quick outbox.
func runMeta(t *testing.T, fn func(t *testing.T, env *apitest.Env, g *fakeGraph)) {
	t.Parallel()
	for _, b := range apitest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			g := newFakeGraph(t)
			fn(t, apitest.Start(t, b, apitest.Options{Configure: func(c *app.Config) {
				c.MetaGraphURL = g.Base()
				c.MediaRetry = 20 * time.Millisecond
				c.Outbox = &outbox.Config{MaxAttempts: 4, Backoff: 50 * time.Millisecond, MaxBackoff: time.Second,
					Lease: time.Minute, SendTimeout: 10 * time.Second}
			}}), g)
		})
	}
}

// metaChannel creates a channel of a Meta kind for the account, answered by the agents.
func metaChannel(t *testing.T, env *apitest.Env, kind, account string, agents ...string) string {
	t.Helper()
	var out struct{ CreateChannel struct{ ID string } }
	env.Admin.MustDo(`mutation($k:ChannelKind!,$x:String!,$a:[ID!],$tok:String,$sec:String,$ver:String){
		createChannel(input:{kind:$k, name:"Shop", externalId:$x, agentIds:$a,
			credentials:{accessToken:$tok, appSecret:$sec, verifyToken:$ver}}){ id } }`,
		apitest.Vars{"k": kind, "x": account, "a": agents, "tok": metaToken, "sec": metaSecret, "ver": metaVerify}, &out)
	return out.CreateChannel.ID
}

// metaMessage is a message as these tests read it.
type metaMessage struct {
	ID, Text, Kind, Direction, Status string
	FailureReason, ProviderKind       *string
	Sender                            *struct{ ID string }
	ReplyTo                           *struct{ ID string }
	Post                              *struct{ ID string }
	Attachments                       []struct {
		ContentType string
		URL         *string
	}
	Reactions []struct {
		Emoji      string
		Count      int
		ByCustomer bool
	}
	EditedAt, DeletedAt *string
}

const metaMessageFields = `id text kind direction status failureReason providerKind sender { id } replyTo { id } post { id }
	attachments { contentType url } reactions { emoji count byCustomer } editedAt deletedAt`

// metaSession is a session as these tests read it.
type metaSession struct {
	ID, ReplyState string
	Contact        struct {
		DisplayName                string
		Phone, Nickname, AvatarURL *string
		PrivacyRestricted          bool
	}
	Messages struct {
		TotalCount int
		Edges      []struct{ Node metaMessage }
	}
}

// sessionsOfKind lists a kind's sessions with their last messages.
func sessionsOfKind(t *testing.T, c *apitest.Client, kind string) []metaSession {
	t.Helper()
	var out struct {
		Sessions struct{ Edges []struct{ Node metaSession } }
	}
	c.MustDo(`query($k:ChannelKind){ sessions(channelKind:$k, first:2){ edges { node { id replyState
		contact { displayName phone nickname avatarUrl privacyRestricted }
		messages(last:30){ totalCount edges { node { `+metaMessageFields+` } } } } } } }`, apitest.Vars{"k": kind}, &out)
	var ss []metaSession
	for _, e := range out.Sessions.Edges {
		ss = append(ss, e.Node)
	}
	return ss
}

// messageOf reads one message.
func messageOf(t *testing.T, c *apitest.Client, id string) metaMessage {
	t.Helper()
	var out struct{ Node metaMessage }
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Message { `+metaMessageFields+` } } }`, apitest.Vars{"id": id}, &out)
	return out.Node
}

// waitMessage polls a message until ok says it is as wanted.
func waitMessage(t *testing.T, c *apitest.Client, id, what string, ok func(m metaMessage) bool) metaMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := messageOf(t, c, id)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s never got %s: %+v", id, what, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitStatus(t *testing.T, c *apitest.Client, id, status string) metaMessage {
	t.Helper()
	return waitMessage(t, c, id, status, func(m metaMessage) bool { return m.Status == status })
}

// send writes an agent's reply and returns its id.
func send(t *testing.T, c *apitest.Client, session string, input apitest.Vars) string {
	t.Helper()
	input["conversationId"] = session
	var out struct{ SendMessage struct{ ID string } }
	c.MustDo(`mutation($in:SendMessageInput!){ sendMessage(input:$in){ id } }`, apitest.Vars{"in": input}, &out)
	return out.SendMessage.ID
}
