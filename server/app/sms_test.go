package app_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/app"
	"parley/server/channel/sms"
	"parley/server/outbox"
)

// The Twilio fixtures are signed for a channel with this number and token.
const (
	twilioNumber  = "+14155552345"
	twilioAccount = "AC8f2b6e9d1c4a4f0e8b7d6c5a4f3e2d1c"
	twilioToken   = "2f4e6a8c0b1d3f5a7c9e1b3d5f7a9c0e"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/twilio/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// smsChannel creates a Twilio SMS channel answered by the agents.
func smsChannel(t *testing.T, env *apitest.Env, agents ...string) string {
	t.Helper()
	var out struct{ CreateChannel struct{ ID string } }
	env.Admin.MustDo(`mutation($n:String!,$a:[ID!],$s:String,$k:String){ createChannel(input:{kind:SMS, name:"Phone",
		externalId:$n, agentIds:$a, credentials:{accountSid:$s, authToken:$k}}){ id } }`,
		apitest.Vars{"n": twilioNumber, "a": agents, "s": twilioAccount, "k": twilioToken}, &out)
	return out.CreateChannel.ID
}

// postTwilio posts a form to path as Twilio would, signed for signedPath
// with token.
func postTwilio(t *testing.T, env *apitest.Env, path, signedPath, token, body string) (int, string, string) {
	t.Helper()
	form, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, env.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.Signature(token, env.URL+signedPath, form))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}

type smsSessions struct {
	Sessions struct {
		TotalCount int
		Edges      []struct {
			Node struct {
				ID       string
				Contact  struct{ DisplayName, Phone string }
				Messages struct {
					TotalCount int
					Edges      []struct{ Node struct{ Text string } }
				}
			}
		}
	}
}

func sessionsOf(t *testing.T, c *apitest.Client) smsSessions {
	t.Helper()
	var out smsSessions
	c.MustDo(`{ sessions(channelKind:SMS, first:5){ totalCount edges { node { id contact { displayName phone }
		messages(last:10){ totalCount edges { node { text } } } } } } }`, nil, &out)
	return out
}

// An inbound SMS, signed by Twilio, reaches the channel's agent once
// however often Twilio delivers it; unsigned, missigned or misaddressed
// requests store nothing.
func TestTwilioInboundSMS(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		ch := smsChannel(t, env, ann.ID)
		body := fixture(t, "sms_inbound.txt")

		for _, c := range []struct{ name, path, signed, token string }{
			{"wrong signature", "/webhooks/sms", "/webhooks/sms", "not-the-token"},
			{"signed for another URL", "/webhooks/sms", "/webhooks/sms/" + ch, twilioToken},
		} {
			if code, _, _ := postTwilio(t, env, c.path, c.signed, c.token, body); code != 401 {
				t.Errorf("%s: %d, want 401", c.name, code)
			}
		}
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/webhooks/sms", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
			t.Errorf("no signature: %v %v, want 401", res.Status, err)
		}
		other := strings.Replace(body, "To=%2B14155552345", "To=%2B14155559999", 1)
		if code, _, _ := postTwilio(t, env, "/webhooks/sms", "/webhooks/sms", twilioToken, other); code != 404 {
			t.Errorf("to an unknown number: %d, want 404", code)
		}
		if code, _, _ := postTwilio(t, env, "/webhooks/sms/ch_unknown", "/webhooks/sms/ch_unknown", twilioToken, body); code != 404 {
			t.Errorf("to an unknown channel: %d, want 404", code)
		}
		if n := sessionsOf(t, ann).Sessions.TotalCount; n != 0 {
			t.Fatalf("refused requests made %d sessions", n)
		}

		// Delivered twice (by number, then by channel id): stored once.
		for _, path := range []string{"/webhooks/sms", "/webhooks/sms/" + ch} {
			code, ctype, reply := postTwilio(t, env, path, path, twilioToken, body)
			if code != 200 || !strings.HasPrefix(ctype, "text/xml") || !strings.Contains(reply, "<Response/>") {
				t.Fatalf("POST %s: %d %q %q, want 200 with empty TwiML", path, code, ctype, reply)
			}
		}
		s := sessionsOf(t, ann).Sessions
		if s.TotalCount != 1 {
			t.Fatalf("%d sessions, want 1", s.TotalCount)
		}
		n := s.Edges[0].Node
		if n.Messages.TotalCount != 1 || n.Messages.Edges[0].Node.Text != "Hi, has order #1042 shipped? It's a gift!" {
			t.Fatalf("messages: %+v", n.Messages)
		}
		if n.Contact.Phone != "+14155550100" {
			t.Errorf("contact %+v, want phone +14155550100", n.Contact)
		}
	})
}

// A webhook Parley cannot store is not acknowledged: Twilio tries again.
func TestTwilioWebhookDatabaseDown(t *testing.T) {
	apitest.RunWith(t, apitest.Options{BreakableDatabase: true}, func(t *testing.T, env *apitest.Env) {
		smsChannel(t, env)
		env.BreakDatabase()
		if code, _, _ := postTwilio(t, env, "/webhooks/sms", "/webhooks/sms", twilioToken, fixture(t, "sms_inbound.txt")); code < 500 {
			t.Fatalf("database down: %d, want 5xx", code)
		}
	})
}

// fakeTwilio is Twilio's Messages resource on loopback.
type fakeTwilio struct {
	mu       sync.Mutex
	requests []url.Values
	auth     []string
	sids     []string
	// before runs before each answer, with the sid about to be returned.
	before func(sid string)
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+twilioAccount+"/Messages.json" ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "unexpected request", 400)
		return
	}
	user, pass, _ := r.BasicAuth()
	_ = r.ParseForm()
	f.mu.Lock()
	f.requests = append(f.requests, r.PostForm)
	f.auth = append(f.auth, user+":"+pass)
	sid := f.sids[0]
	f.sids = f.sids[1:]
	before := f.before
	f.mu.Unlock()
	if user != twilioAccount || pass != twilioToken {
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"code":20003,"message":"Authenticate","status":401}`)
		return
	}
	if before != nil {
		before(sid)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(201)
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": sid, "status": "queued"})
}

func runTwilio(t *testing.T, fn func(t *testing.T, env *apitest.Env, fake *fakeTwilio)) {
	t.Parallel()
	for _, b := range apitest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			fake := &fakeTwilio{sids: []string{"SMa3c1f6e20d9b4c7e8f1a2b3c4d5e6f70", "SMb000000000000000000000000000000b"}}
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			fn(t, apitest.Start(t, b, apitest.Options{Configure: func(c *app.Config) {
				c.TwilioAPIURL = srv.URL
				c.Outbox = &outbox.Config{MaxAttempts: 3, Backoff: 50 * time.Millisecond, MaxBackoff: time.Second,
					Lease: time.Minute, SendTimeout: 10 * time.Second}
			}}), fake)
		})
	}
}

type smsMessage struct {
	Node struct {
		Status        string
		FailureReason *string
	}
}

func waitSMSStatus(t *testing.T, c *apitest.Client, id, want string) smsMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var m smsMessage
		c.MustDo(`query($id:ID!){ node(id:$id){ ... on Message { status failureReason } } }`, apitest.Vars{"id": id}, &m)
		if m.Node.Status == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s is %s, want %s", id, m.Node.Status, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func reply(t *testing.T, env *apitest.Env, c *apitest.Client, text string) string {
	t.Helper()
	s := sessionsOf(t, c).Sessions.Edges[0].Node.ID
	var out struct{ SendMessage struct{ ID string } }
	c.MustDo(`mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
		apitest.Vars{"c": s, "t": text}, &out)
	return out.SendMessage.ID
}

// An agent's reply reaches Twilio as the exact request its API takes, and
// Twilio's status callbacks move the message forward, never back.
func TestTwilioSendAndStatus(t *testing.T) {
	runTwilio(t, func(t *testing.T, env *apitest.Env, fake *fakeTwilio) {
		ann := env.NewUser("AGENT", "Ann")
		ch := smsChannel(t, env, ann.ID)
		postTwilio(t, env, "/webhooks/sms", "/webhooks/sms", twilioToken, fixture(t, "sms_inbound.txt"))
		id := reply(t, env, ann, "Yes, it shipped today.")
		waitSMSStatus(t, ann, id, "SENT")

		fake.mu.Lock()
		got, auth := fake.requests[0], fake.auth[0]
		fake.mu.Unlock()
		want := url.Values{"To": {"+14155550100"}, "From": {twilioNumber}, "Body": {"Yes, it shipped today."},
			"StatusCallback": {env.URL + "/webhooks/sms/" + ch + "/status"}}
		if got.Encode() != want.Encode() || auth != twilioAccount+":"+twilioToken {
			t.Fatalf("Twilio got %v as %s, want %v", got, auth, want)
		}

		status := "/webhooks/sms/" + ch + "/status"
		post := func(body string) {
			t.Helper()
			if code, _, _ := postTwilio(t, env, status, status, twilioToken, body); code != 200 {
				t.Fatalf("status callback: %d", code)
			}
		}
		post(fixture(t, "status_delivered.txt"))
		waitSMSStatus(t, ann, id, "DELIVERED")
		post(fixture(t, "status_sent.txt"))        // late and out of order
		post(fixture(t, "status_undelivered.txt")) // after delivery, no failure
		if m := waitSMSStatus(t, ann, id, "DELIVERED"); m.Node.FailureReason != nil {
			t.Fatalf("a delivered message failed: %v", *m.Node.FailureReason)
		}
		if code, _, _ := postTwilio(t, env, status, status, "not-the-token", fixture(t, "status_delivered.txt")); code != 401 {
			t.Fatalf("unsigned status callback: %d, want 401", code)
		}

		// The second reply: the customer opted out.
		id2 := reply(t, env, ann, "Anything else?")
		waitSMSStatus(t, ann, id2, "SENT")
		post("ErrorCode=21610&MessageSid=SMb000000000000000000000000000000b&MessageStatus=failed&To=%2B14155550100")
		m := waitSMSStatus(t, ann, id2, "FAILED")
		if m.Node.FailureReason == nil || !strings.Contains(*m.Node.FailureReason, "21610") || !strings.Contains(*m.Node.FailureReason, "STOP") {
			t.Fatalf("failureReason %v, want the opt-out", m.Node.FailureReason)
		}
		// Until the customer texts START, the session says so and takes nothing.
		session := sessionsOf(t, ann).Sessions.Edges[0].Node.ID
		expectOptedOut(t, ann, session, true)
		texts := func(sid, body string) {
			t.Helper()
			form := url.Values{"MessageSid": {sid}, "From": {"+14155550100"}, "To": {twilioNumber}, "Body": {body}, "NumMedia": {"0"}}
			if code, _, _ := postTwilio(t, env, "/webhooks/sms", "/webhooks/sms", twilioToken, form.Encode()); code != 200 {
				t.Fatalf("inbound %q: %d", body, code)
			}
		}
		texts("SMc000000000000000000000000000000c", "why did you write?")
		expectOptedOut(t, ann, session, true)
		texts("SMc000000000000000000000000000000d", " start ")
		expectOptedOut(t, ann, session, false)
		texts("SMc000000000000000000000000000000e", "STOP")
		expectOptedOut(t, ann, session, true)
	})
}

// expectOptedOut checks a session's replyPolicy and a send against the
// customer's SMS opt-out.
func expectOptedOut(t *testing.T, c *apitest.Client, session string, optedOut bool) {
	t.Helper()
	var out struct {
		Node struct{ ReplyPolicy struct{ CanReply bool } }
	}
	c.MustDo(`query($s:ID!){ node(id:$s){ ... on Session { replyPolicy { canReply } } } }`, apitest.Vars{"s": session}, &out)
	if out.Node.ReplyPolicy.CanReply == optedOut {
		t.Fatalf("opted out %v, but replyPolicy.canReply is %v", optedOut, out.Node.ReplyPolicy.CanReply)
	}
	if optedOut {
		c.MustFail("REPLY_WINDOW_CLOSED", `mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"hello?"}){ id } }`,
			apitest.Vars{"c": session})
	}
}

// Twilio's callback can arrive before its answer to the send: the
// callback waits for the message's sid instead of being lost.
func TestTwilioStatusBeforeSendAnswer(t *testing.T) {
	runTwilio(t, func(t *testing.T, env *apitest.Env, fake *fakeTwilio) {
		ann := env.NewUser("AGENT", "Ann")
		ch := smsChannel(t, env, ann.ID)
		postTwilio(t, env, "/webhooks/sms", "/webhooks/sms", twilioToken, fixture(t, "sms_inbound.txt"))
		status := "/webhooks/sms/" + ch + "/status"
		callback := make(chan int, 1)
		fake.before = func(string) {
			go func() {
				code, _, _ := postTwilio(t, env, status, status, twilioToken, fixture(t, "status_delivered.txt"))
				callback <- code
			}()
			// Give the callback time to arrive first; its answer waits for the sid.
			select {
			case code := <-callback:
				callback <- code
			case <-time.After(300 * time.Millisecond):
			}
		}
		id := reply(t, env, ann, "On its way.")
		if code := <-callback; code != 200 {
			t.Fatalf("early callback: %d, want 200", code)
		}
		waitSMSStatus(t, ann, id, "DELIVERED")
	})
}

// tinyJPEG is a 2x1 picture.
func tinyJPEG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 2, 1)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// An MMS is stored at once with its text; its picture, fetched from
// Twilio with the account's credentials through Twilio's redirect, joins
// it, also when the first fetch fails.
func TestTwilioInboundMMS(t *testing.T) {
	t.Parallel()
	for _, b := range apitest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			fetches, pic := 0, tinyJPEG(t)
			media := http.NewServeMux()
			media.HandleFunc("/media", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				fetches++
				first := fetches == 1
				mu.Unlock()
				if u, p, _ := r.BasicAuth(); u != twilioAccount || p != twilioToken {
					w.WriteHeader(401)
					return
				}
				if first {
					w.WriteHeader(503)
					return
				}
				http.Redirect(w, r, "/file", http.StatusTemporaryRedirect)
			})
			media.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pic) })
			srv := httptest.NewServer(media)
			t.Cleanup(srv.Close)
			env := apitest.Start(t, b, apitest.Options{Configure: func(c *app.Config) { c.MediaRetry = 20 * time.Millisecond }})

			ann := env.NewUser("AGENT", "Ann")
			smsChannel(t, env, ann.ID)
			body := fixture(t, "mms_inbound.txt")
			i := strings.Index(body, "MediaUrl0=")
			j := i + strings.Index(body[i:], "&")
			body = body[:i] + "MediaUrl0=" + url.QueryEscape(srv.URL+"/media") + body[j:]
			if code, _, _ := postTwilio(t, env, "/webhooks/sms", "/webhooks/sms", twilioToken, body); code != 200 {
				t.Fatalf("MMS: %d", code)
			}
			type att struct{ ContentType string }
			var out struct {
				Sessions struct {
					Edges []struct {
						Node struct {
							Messages struct {
								Edges []struct {
									Node struct {
										Text        string
										Attachments []att
									}
								}
							}
						}
					}
				}
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				ann.MustDo(`{ sessions(channelKind:SMS, first:1){ edges { node { messages(last:1){ edges { node {
					text attachments { contentType } } } } } } } }`, nil, &out)
				m := out.Sessions.Edges[0].Node.Messages.Edges[0].Node
				if m.Text != "The box arrived damaged" {
					t.Fatalf("text %q", m.Text)
				}
				if len(m.Attachments) == 1 && m.Attachments[0].ContentType == "image/jpeg" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("attachments %+v", m.Attachments)
				}
				time.Sleep(20 * time.Millisecond)
			}
			// A replay stores nothing more and fetches nothing more.
			postTwilio(t, env, "/webhooks/sms", "/webhooks/sms", twilioToken, body)
			mu.Lock()
			defer mu.Unlock()
			if fetches != 2 {
				t.Fatalf("%d fetches, want 2 (a failed one, then one)", fetches)
			}
		})
	}
}

// A voice note by MMS is measured like an upload: its attachment says how
// long it plays, so it can be transcribed.
func TestTwilioVoiceNoteHasItsDuration(t *testing.T) {
	voice, err := os.ReadFile("../media/testdata/voice.opus")
	if err != nil {
		t.Fatal(err)
	}
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/ogg")
		_, _ = w.Write(voice)
	}))
	t.Cleanup(files.Close)
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		smsChannel(t, env, ann.ID)
		form := url.Values{"MessageSid": {"MMd000000000000000000000000000000d"}, "From": {"+14155550100"}, "To": {twilioNumber},
			"Body": {""}, "NumMedia": {"1"}, "MediaUrl0": {files.URL + "/voice"}, "MediaContentType0": {"audio/ogg"}}
		if code, _, _ := postTwilio(t, env, "/webhooks/sms", "/webhooks/sms", twilioToken, form.Encode()); code != 200 {
			t.Fatalf("MMS: %d", code)
		}
		var out struct {
			Sessions struct {
				Edges []struct {
					Node struct {
						Messages struct {
							Edges []struct {
								Node struct {
									Attachments []struct{ DurationSeconds *float64 }
								}
							}
						}
					}
				}
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			ann.MustDo(`{ sessions(channelKind:SMS, first:1){ edges { node { messages(last:1){ edges { node {
				attachments { durationSeconds } } } } } } } }`, nil, &out)
			if a := out.Sessions.Edges[0].Node.Messages.Edges[0].Node.Attachments; len(a) == 1 {
				if d := a[0].DurationSeconds; d == nil || *d < 3.4 || *d > 3.6 {
					t.Fatalf("durationSeconds %v, want about 3.5", d)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the voice note was never attached")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// A reply with a file goes out as MMS: Twilio gets a signed download URL
// that serves the file without a token.
func TestTwilioSendMMS(t *testing.T) {
	runTwilio(t, func(t *testing.T, env *apitest.Env, fake *fakeTwilio) {
		ann := env.NewUser("AGENT", "Ann")
		smsChannel(t, env, ann.ID)
		postTwilio(t, env, "/webhooks/sms", "/webhooks/sms", twilioToken, fixture(t, "sms_inbound.txt"))
		s := sessionsOf(t, ann).Sessions.Edges[0].Node.ID
		pic := tinyJPEG(t)
		var up struct{ UploadFile struct{ ID string } }
		r := ann.Upload(`mutation($c:ID!,$f:Upload!){ uploadFile(conversationId:$c, file:$f){ id } }`,
			apitest.Vars{"c": s}, apitest.BytesFile("f", "label.jpg", pic))
		if len(r.Errors) > 0 {
			t.Fatalf("upload: %+v", r.Errors)
		}
		r.Decode(t, &up)
		var out struct{ SendMessage struct{ ID string } }
		ann.MustDo(`mutation($c:ID!,$a:[ID!]){ sendMessage(input:{conversationId:$c, text:"The label", attachmentIds:$a}){ id } }`,
			apitest.Vars{"c": s, "a": []string{up.UploadFile.ID}}, &out)
		waitSMSStatus(t, ann, out.SendMessage.ID, "SENT")
		fake.mu.Lock()
		media := fake.requests[0]["MediaUrl"]
		fake.mu.Unlock()
		if len(media) != 1 || !strings.HasPrefix(media[0], env.URL+"/files/"+up.UploadFile.ID+"?") {
			t.Fatalf("MediaUrl %v", media)
		}
		res, body := env.FetchAnonymously(media[0])
		if res.StatusCode != 200 || !bytes.Equal(body, pic) {
			t.Fatalf("fetching the MediaUrl: %s, %d bytes", res.Status, len(body))
		}
	})
}
