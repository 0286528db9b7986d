package livechat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/ent/schema/pulid"
	"parley/ent/token"
	"parley/server/apitest"
	"parley/server/browsertest"
)

type vars = apitest.Vars

// The app serves the widget and the demo page (the rest is livechat_test.go).
func TestServedByTheApp(t *testing.T) {
	env := apitest.Start(t, "sqlite", apitest.Options{})
	for path, ctype := range map[string]string{
		"/livechat/widget.js":      "text/javascript; charset=utf-8",
		"/livechat/demo?channel=x": "text/html; charset=utf-8",
	} {
		res, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != ctype {
			t.Errorf("%s: %s, %q", path, res.Status, res.Header.Get("Content-Type"))
		}
	}
}

// TestWidgetInBrowser runs the widget in headless Chromium (skipped without
// one, unless PARLEY_REQUIRE_BROWSER=1) against a real server, with this
// test as the agent: see testdata/widget.cjs for the visitor's side.
func TestWidgetInBrowser(t *testing.T) {
	browsertest.Require(t) // before starting a server for nothing
	// One backend after the other: two Chromiums at once crowd a small machine.
	for _, backend := range apitest.Backends {
		t.Run(backend, func(t *testing.T) { widgetInBrowser(t, apitest.Start(t, backend, apitest.Options{})) })
	}
}

const (
	text1   = "Hello! Do you ship to Norway? <b>not bold</b> & 'quotes'"
	reply1  = "Yes, we ship to Norway. <i>Free</i> over 50 €"
	text2   = "Great. Still there?"
	reply2  = "Still here, answered while your connection was down."
	lost    = "This one's answer gets lost"
	retried = "This one fails and is retried"
	reply3  = "One more thing: it ships tomorrow."
	text3   = "Hello again"
)

func widgetInBrowser(t *testing.T, env *apitest.Env) {
	ann := env.NewUser("AGENT", "Ann")
	var ch struct{ CreateChannel struct{ ID string } }
	env.Admin.MustDo(`mutation($a:[ID!]){ createChannel(input:{kind:LIVE_CHAT, name:"Website", agentIds:$a}){ id } }`,
		vars{"a": []string{ann.ID}}, &ch)
	channel := ch.CreateChannel.ID

	// The agent plays its part alongside the browser, and is stopped and
	// waited for however the browser's run ends.
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var got agentResult
	wg.Go(func() { got = playAgent(ctx, env, ann, channel) })
	defer func() { cancel(); wg.Wait() }()

	rep := browsertest.Run(t, "testdata/widget.cjs", browsertest.Options{
		URL: env.URL, Timeout: 150 * time.Second,
		Params: map[string]string{"channel": channel, "name": "Vera",
			"text1": text1, "reply1": reply1, "text2": text2, "reply2": reply2,
			"lost": lost, "retried": retried, "reply3": reply3, "text3": text3, "agentToken": ann.Token},
	})
	cancel()
	wg.Wait()
	if got.err != nil {
		t.Fatalf("agent: %v", got.err)
	}
	// The two requests the script cut off are logged by Chromium; nothing else may be.
	consoleErrors := slices.DeleteFunc(rep.ConsoleErrors, func(e string) bool {
		return e == "Failed to load resource: net::ERR_CONNECTION_RESET"
	})
	if len(consoleErrors) > 0 || len(rep.PageErrors) > 0 {
		t.Errorf("console errors %q, page errors %q", rep.ConsoleErrors, rep.PageErrors)
	}

	type stored struct{ Token, ID string }
	var b struct {
		Closed struct {
			Label, Expanded string
			PanelVisible    bool
		}
		Opened  struct{ Expanded, Focus string }
		TooLong struct {
			Counter      string
			SendDisabled bool
		}
		BadEmail struct {
			Status, Text, Focus string
			Messages            []msg
		}
		Session1    *stored
		AfterReply  []msg
		AfterReload struct {
			Session  *stored
			Messages []msg
			Focus    string
		}
		AfterGap struct {
			Messages   []msg
			NewSockets int
			Reply2Live bool
		}
		FailedMeta string
		AfterRetry []msg
		Mobile     struct {
			Panel           struct{ X, Y, Width, Height float64 }
			LauncherVisible bool
		}
		AfterEscape  struct{ Focus, Expanded string }
		WhileClosed  struct{ Label, Status string }
		AfterOpen    struct{ BadgeVisible bool }
		AfterRefusal struct {
			Stored       *stored
			Messages     []msg
			IntroVisible bool
		}
		Restarted struct {
			Session  *stored
			Messages []msg
		}
		Sockets []struct {
			URL  string
			Sent []struct {
				ID      string
				Type    string
				Payload map[string]any
			}
		}
	}
	rep.Decode(t, &b)

	// Closed, then opened with the keyboard: focus goes to the message box.
	if b.Closed.Label != "Open chat" || b.Closed.Expanded != "false" || b.Closed.PanelVisible {
		t.Errorf("closed: %+v", b.Closed)
	}
	if b.Opened.Expanded != "true" || b.Opened.Focus != "textarea#text" {
		t.Errorf("opened: %+v", b.Opened)
	}

	if b.TooLong.Counter != "1001 / 1000" || !b.TooLong.SendDisabled {
		t.Errorf("a text over the limit: %+v", b.TooLong)
	}
	if b.BadEmail.Status != "Please check your e-mail address." || b.BadEmail.Text != text1 ||
		b.BadEmail.Focus != "input#email" || len(b.BadEmail.Messages) != 0 {
		t.Errorf("a bad e-mail address: %+v", b.BadEmail)
	}

	// The session the widget started is the one the agent answered, under the visitor's name.
	if b.Session1 == nil || b.Session1.ID != got.session || b.Session1.Token == "" {
		t.Fatalf("the widget stored %+v; the agent answered %s", b.Session1, got.session)
	}
	var s struct {
		Node struct {
			Title    string
			Messages struct {
				Edges []struct {
					Node struct{ Text, Direction, Status string }
				}
			}
		}
	}
	ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Session { title messages(last:10){ edges { node { text direction status } } } } } }`,
		vars{"id": got.session}, &s)
	if s.Node.Title != "Vera" {
		t.Errorf("the session is titled %q", s.Node.Title)
	}

	// Both texts shown as text, the agent's under their name.
	want := []msg{{Cls: "mine", Text: text1}, {Cls: "theirs", Name: "Ann", Text: reply1}}
	sameMessages(t, "after the reply", b.AfterReply, want)
	if m := b.AfterReply[len(b.AfterReply)-1]; m.Elements != 0 || b.AfterReply[0].Elements != 0 {
		t.Errorf("message text became markup: %+v", b.AfterReply)
	}
	// The widget marked the reply read; the agent sees READ.
	if st := status(t, ann, got.reply1); st != "READ" {
		t.Errorf("the reply is %s, want READ", st)
	}

	// A reload continues the same session and shows its history.
	if b.AfterReload.Session == nil || *b.AfterReload.Session != *b.Session1 {
		t.Errorf("after the reload the widget has %+v, before %+v", b.AfterReload.Session, b.Session1)
	}
	sameMessages(t, "after the reload", b.AfterReload.Messages, want)
	if b.AfterReload.Focus != "textarea#text" {
		t.Errorf("opened with a click, the focus is on %s", b.AfterReload.Focus)
	}

	// The reply sent while the socket was down arrived after reconnecting, once.
	want = append(want, msg{Cls: "mine", Text: text2}, msg{Cls: "theirs", Name: "Ann", Text: reply2})
	sameMessages(t, "after the gap", b.AfterGap.Messages, want)
	if b.AfterGap.NewSockets < 1 {
		t.Errorf("the widget did not reconnect: %d new sockets", b.AfterGap.NewSockets)
	}
	// (Normally it came in the history read after reconnecting; on a slow
	// machine the new subscription may have been first.)
	t.Logf("the reply sent while the socket was down came live: %v", b.AfterGap.Reply2Live)

	// A send whose answer was lost, and one retried by hand: each there once,
	// for the visitor and for the agent.
	if !strings.HasPrefix(b.FailedMeta, "Not sent. We could not reach the chat.") || !strings.HasSuffix(b.FailedMeta, "Retry") {
		t.Errorf("a failed message says %q", b.FailedMeta)
	}
	want = append(want, msg{Cls: "mine", Text: lost}, msg{Cls: "mine", Text: retried})
	sameMessages(t, "after the retry", b.AfterRetry, want)
	ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Session { title messages(last:10){ edges { node { text direction status } } } } } }`,
		vars{"id": got.session}, &s)
	var texts []string
	for _, e := range s.Node.Messages.Edges {
		texts = append(texts, e.Node.Text)
	}
	if want := []string{text1, reply1, text2, reply2, lost, retried, reply3}; !slices.Equal(texts, want) {
		t.Errorf("the agent sees %q\nwant %q", texts, want)
	}

	// Phone width: the panel is the whole screen; Escape closes it and gives focus back.
	if p := b.Mobile.Panel; p.X != 0 || p.Y != 0 || p.Width != 390 || p.Height != 740 || b.Mobile.LauncherVisible {
		t.Errorf("panel at phone width: %+v", b.Mobile)
	}
	if b.AfterEscape.Focus != "button.launcher" || b.AfterEscape.Expanded != "false" {
		t.Errorf("after Escape: %+v", b.AfterEscape)
	}

	if b.WhileClosed.Label != "Open chat (1 unread)" || b.WhileClosed.Status == "READ" || b.AfterOpen.BadgeVisible {
		t.Errorf("an answer to the closed panel: %+v, then badge shown %v", b.WhileClosed, b.AfterOpen.BadgeVisible)
	}

	// A refused token: forgotten, the chat cleared, and the next message starts a new session.
	if b.AfterRefusal.Stored != nil || len(b.AfterRefusal.Messages) != 0 || !b.AfterRefusal.IntroVisible {
		t.Errorf("after the token was refused: %+v", b.AfterRefusal)
	}
	if r := b.Restarted.Session; r == nil || r.ID == b.Session1.ID || r.Token == b.Session1.Token {
		t.Errorf("after starting over: %+v", r)
	}
	sameMessages(t, "the new chat", b.Restarted.Messages, []msg{{Cls: "mine", Text: text3}})
	var list struct{ Sessions struct{ TotalCount int } }
	ann.MustDo(`query($c:ID!){ sessions(channelId:$c){ totalCount } }`, vars{"c": channel}, &list)
	if list.Sessions.TotalCount != 2 {
		t.Errorf("%d sessions, want the first and the new one", list.Sessions.TotalCount)
	}

	// The protocol: graphql-transport-ws to /query, the token in connection_init, one subscription to the session.
	for i, sock := range b.Sockets {
		if !strings.HasSuffix(sock.URL, "/query") || len(sock.Sent) == 0 || sock.Sent[0].Type != "connection_init" {
			t.Errorf("socket %d: %+v", i, sock)
			continue
		}
		auth, _ := sock.Sent[0].Payload["authorization"].(string)
		if !strings.HasPrefix(auth, "Bearer ") {
			t.Errorf("socket %d: connection_init %v", i, sock.Sent[0].Payload)
		}
		for _, f := range sock.Sent[1:] {
			if f.Type == "subscribe" && !strings.Contains(fmt.Sprint(f.Payload["query"]), "messageAdded(conversationId:") {
				t.Errorf("socket %d subscribed to %v", i, f.Payload)
			}
		}
	}
}

// msg is a message as the widget shows it.
type msg struct {
	Cls, Name, Text, Meta string
	Elements              int // child elements of the text's bubble
}

// sameMessages compares what the widget shows with want: class, text and,
// where want has one, the sender's name.
func sameMessages(t *testing.T, when string, got, want []msg) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, w := got[i], want[i]
		ok = g.Cls == w.Cls && g.Text == w.Text && (w.Name == "" || g.Name == w.Name)
	}
	if !ok {
		t.Errorf("%s, the widget shows %+v\nwant %+v", when, got, want)
	}
}

type agentResult struct {
	session, reply1, reply2 string
	err                     error
}

// playAgent answers the visitor as Ann does in the inbox: it waits for the
// session to show text1 and answers; then for text2, and answers while the
// visitor's WebSocket is down (closed on the server, as a restart or a
// proxy would).
func playAgent(ctx context.Context, env *apitest.Env, ann *apitest.Client, channel string) (r agentResult) {
	var err error
	if r.session, err = waitForText(ctx, ann, channel, text1); err != nil {
		return agentResult{err: err}
	}
	if r.reply1, err = reply(ann, r.session, reply1); err != nil {
		return agentResult{err: err}
	}
	if _, err = waitForText(ctx, ann, channel, text2); err != nil {
		return agentResult{err: err}
	}
	tokens, err := env.App.DB.Client.Token.Query().Where(token.ConversationID(pulid.ID(r.session))).IDs(ctx)
	if err != nil || len(tokens) != 1 {
		return agentResult{err: fmt.Errorf("the visitor's tokens: %v, %v", tokens, err)}
	}
	env.App.Presence.Drop(tokens[0]) // closes the sockets as a restart would; the token stays valid
	if r.reply2, err = reply(ann, r.session, reply2); err != nil {
		return agentResult{err: err}
	}
	return r
}

// waitForText polls the agent's inbox until a session on the channel has text as its last message.
func waitForText(ctx context.Context, ann *apitest.Client, channel, text string) (string, error) {
	for {
		r := ann.Do(`query($c:ID!){ sessions(channelId:$c){ edges { node { id lastMessage { text direction } } } } }`, vars{"c": channel})
		if len(r.Errors) > 0 {
			return "", fmt.Errorf("sessions: %+v", r.Errors)
		}
		var out struct {
			Sessions struct {
				Edges []struct {
					Node struct {
						ID          string
						LastMessage *struct{ Text, Direction string }
					}
				}
			}
		}
		if err := jsonDecode(r, &out); err != nil {
			return "", err
		}
		for _, e := range out.Sessions.Edges {
			if m := e.Node.LastMessage; m != nil && m.Text == text && m.Direction == "INBOUND" {
				return e.Node.ID, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no session shows %q", text)
		case <-time.After(150 * time.Millisecond):
		}
	}
}

func reply(ann *apitest.Client, session, text string) (string, error) {
	r := ann.Do(`mutation($c:ID!,$t:String!){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`, vars{"c": session, "t": text})
	if len(r.Errors) > 0 {
		return "", fmt.Errorf("sendMessage: %+v", r.Errors)
	}
	var out struct{ SendMessage struct{ ID string } }
	return out.SendMessage.ID, jsonDecode(r, &out)
}

// status polls a message's delivery status until it is READ (or 10 s pass).
func status(t *testing.T, c *apitest.Client, id string) string {
	t.Helper()
	var out struct{ Node struct{ Status string } }
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		c.MustDo(`query($id:ID!){ node(id:$id){ ... on Message { status } } }`, vars{"id": id}, &out)
		if out.Node.Status == "READ" || time.Now().After(end) {
			return out.Node.Status
		}
	}
}

func jsonDecode(r *apitest.Response, out any) error {
	if err := json.Unmarshal(r.Data, out); err != nil {
		return fmt.Errorf("decoding %s: %w", r.Data, err)
	}
	return nil
}

// TestWidgetInBrowserOnAnotherSite embeds the widget in a page of another origin, as
// customers do: with that origin in PARLEY_CORS_ORIGINS, HTTP and WebSocket
// both work, and the Parley URL defaults to where widget.js came from.
func TestWidgetInBrowserOnAnotherSite(t *testing.T) {
	browsertest.Require(t)
	// The shop's page: where Parley is and the channel come in its query.
	page := template.Must(template.New("shop").Parse(`<!DOCTYPE html><title>Shop</title><h1>A shop</h1>
<script src="{{.parley}}/livechat/widget.js" data-channel="{{.channel}}" async></script>`))
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		q := r.URL.Query()
		_ = page.Execute(w, map[string]string{"parley": q.Get("parley"), "channel": q.Get("channel")})
	}))
	defer site.Close()
	env := apitest.Start(t, "sqlite", apitest.Options{CORSOrigins: []string{site.URL}})
	var ch struct{ CreateChannel struct{ ID string } }
	env.Admin.MustDo(`mutation{ createChannel(input:{kind:LIVE_CHAT, name:"Shop", agentIds:[]}){ id } }`, nil, &ch)
	channel := ch.CreateChannel.ID

	rep := browsertest.Run(t, "testdata/othersite.cjs", browsertest.Options{
		URL: site.URL, Params: map[string]string{"site": site.URL + "/?" + url.Values{"parley": {env.URL}, "channel": {channel}}.Encode(),
			"parley": env.URL, "adminToken": env.Admin.Token, "text": "Hi from the shop"},
	})
	var got struct {
		PageOrigin  string
		Acked, Live bool
		Stored      []string
	}
	rep.Decode(t, &got)
	if got.PageOrigin != site.URL || got.PageOrigin == env.URL || !got.Acked || !got.Live || !slices.Equal(got.Stored, []string{"parley.livechat." + channel}) {
		t.Errorf("on another site: %+v", got)
	}
	if len(rep.ConsoleErrors) > 0 || len(rep.PageErrors) > 0 {
		t.Errorf("console errors %q, page errors %q", rep.ConsoleErrors, rep.PageErrors)
	}
}
