package app_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/server/apitest"
)

// The ids the WhatsApp fixtures carry.
const (
	waInbound = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=" // text.json (image.json and reaction.json reuse it)
	waSent    = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA"     // wa_send.response.json and status_*.json
	waReacted = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA"     // reaction.json's target
)

// waFixture is a WhatsApp webhook body with some strings replaced (ids,
// so that fixtures sharing one can be told apart).
func waFixture(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	return []byte(strings.NewReplacer(replace...).Replace(string(metaFixture(t, "whatsapp/"+name))))
}

// A WhatsApp conversation end to end: the customer writes (text, image,
// audio, voice, an unsupported type), the agent sees it live with the
// customer's name and number, answers in reply, the provider gets the
// exact request, receipts move the answer to READ and never back, the
// customer's reaction shows on it, and reading the session tells WhatsApp.
func TestWhatsAppConversation(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		metaChannel(t, env, "WHATSAPP", waPhoneNumberID, ann.ID)
		sock := ann.Connect()
		defer sock.Close()
		sub := sock.Subscribe(`subscription { events { type message { text direction } } }`, nil)
		time.Sleep(300 * time.Millisecond) // the stream starts from now: let it start

		for range 2 { // Meta delivers it twice: stored once
			mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/text.json"))
		}
		for {
			var ev struct {
				Events struct {
					Type    string
					Message *struct{ Text string }
				}
			}
			sub.Next(10*time.Second).Decode(t, &ev)
			if ev.Events.Type == "MESSAGE_ADDED" && ev.Events.Message != nil {
				if ev.Events.Message.Text != "Does it come in another color?" {
					t.Fatalf("live: %+v", ev.Events)
				}
				break
			}
		}
		ss := sessionsOfKind(t, ann, "WHATSAPP")
		if len(ss) != 1 || ss[0].Messages.TotalCount != 1 || ss[0].Contact.DisplayName != "Sheena Nelson" ||
			ss[0].Contact.Phone == nil || *ss[0].Contact.Phone != "+16505551234" || ss[0].ReplyState != "UNREAD" {
			t.Fatalf("after the text: %+v", ss)
		}
		session, first := ss[0].ID, ss[0].Messages.Edges[0].Node.ID

		// Media: fetched at once in two steps with the token; a download
		// that fails twice is tried again.
		g.mu.Lock()
		g.media["1003383421387256"] = tinyJPEG(t)
		g.media["1268899114460135"], _ = os.ReadFile("testdata/whatsapp-audio.mp3")
		g.media["1146425073957193"] = []byte("OggS\x00\x02 not really opus")
		g.mediaFailures = 2
		g.mu.Unlock()
		mustPostMeta(t, env, "/webhooks/whatsapp", waFixture(t, "image.json", waInbound, "wamid.image"))
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/audio_file.json"))
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/voice.json"))
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/unsupported.json"))
		var image, unsupported metaMessage
		audios := 0
		all := sessionsOfKind(t, ann, "WHATSAPP")[0].Messages.Edges
		for _, e := range all {
			m := e.Node
			switch {
			case m.Kind == "IMAGE" && m.Text == "Taj Mahal":
				image = m
			case m.Kind == "AUDIO":
				audios++
			case m.ProviderKind != nil && *m.ProviderKind == "unsupported" && m.Kind == "TEXT":
				unsupported = m
			}
		}
		if len(all) != 5 || image.ID == "" || audios != 2 || unsupported.ID == "" {
			t.Fatalf("text, image, audio file, voice note and an unsupported message: %+v", all)
		}
		waitMessage(t, ann, image.ID, "its picture", func(m metaMessage) bool {
			return len(m.Attachments) == 1 && m.Attachments[0].ContentType == "image/jpeg" && m.Attachments[0].URL != nil
		})
		// The picture three times (two failures), the audio, the voice note:
		// fetched in the background, the audio ones perhaps after the picture.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			g.mu.Lock()
			downloads := g.downloads
			g.mu.Unlock()
			if downloads >= 5 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d downloads", downloads)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			var out struct {
				Sessions struct {
					Edges []struct {
						Node struct {
							Messages struct {
								Edges []struct {
									Node struct {
										Kind        string
										Attachments []struct{ DurationSeconds *float64 }
									}
								}
							}
						}
					}
				}
			}
			ann.MustDo(`{ sessions(channelKind:WHATSAPP, first:1){ edges { node { messages(last:10){ edges { node { kind attachments { durationSeconds } } } } } } } }`, nil, &out)
			withDuration := 0
			for _, e := range out.Sessions.Edges[0].Node.Messages.Edges {
				for _, a := range e.Node.Attachments {
					if e.Node.Kind == "AUDIO" && a.DurationSeconds != nil && *a.DurationSeconds > 0 {
						withDuration++
					}
				}
			}
			if withDuration >= 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the audio file never got its duration: %+v", out)
			}
			time.Sleep(30 * time.Millisecond)
		}

		// The answer, in reply to the first message.
		g.mu.Lock()
		g.ids = []string{waSent}
		g.mu.Unlock()
		answer := send(t, ann, session, apitest.Vars{"text": "Yes, it also comes in blue.", "replyToId": first})
		waitStatus(t, ann, answer, "SENT")
		calls := g.waitSends(t, "/"+waPhoneNumberID+"/messages", 1)
		if calls[0].Auth != "Bearer "+metaToken {
			t.Fatalf("sent with %q", calls[0].Auth)
		}
		sameJSON(t, "the reply", calls[0].Body, metaFixture(t, "wa_send_reply.request.json"), nil)
		if s := sessionsOfKind(t, ann, "WHATSAPP")[0]; s.ReplyState != "ANSWERED" {
			t.Fatalf("answered session reads %s", s.ReplyState)
		}

		// Receipts, out of order: READ stays READ ("played" counts as read).
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/status_sent.json"))
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/status_read.json"))
		waitStatus(t, ann, answer, "READ")
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/status_delivered.json"))
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/status_failed.json"))
		if m := messageOf(t, ann, answer); m.Status != "READ" || m.FailureReason != nil {
			t.Fatalf("a receipt moved the answer back: %+v", m)
		}

		// The customer's thumbs-up lands on the answer.
		mustPostMeta(t, env, "/webhooks/whatsapp", waFixture(t, "reaction.json", waReacted, waSent, waInbound, "wamid.reaction"))
		m := waitMessage(t, ann, answer, "the reaction", func(m metaMessage) bool { return len(m.Reactions) == 1 })
		if r := m.Reactions[0]; r.Emoji != "👍" || r.Count != 1 || !r.ByCustomer {
			t.Fatalf("reaction: %+v", m.Reactions)
		}
		if got := sessionsOfKind(t, ann, "WHATSAPP")[0].Messages.TotalCount; got != 6 {
			t.Fatalf("a reaction became a message: %d messages", got)
		}

		// Reading the session tells WhatsApp, naming the newest inbound message.
		ann.MustDo(`mutation($c:ID!){ markRead(conversationId:$c){ id } }`, apitest.Vars{"c": session}, nil)
		var read graphCall
		deadline = time.Now().Add(10 * time.Second)
		for read.Body == nil {
			for _, c := range g.sends("/messages") {
				if c.Body["status"] == "read" {
					read = c
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("WhatsApp was not told the session was read")
			}
			time.Sleep(20 * time.Millisecond)
		}
		newest := "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQ3NDk5NzNDQzA2RjQ2RjA1QkJCRAA="
		var unsupportedBody map[string]any
		_ = json.Unmarshal(metaFixture(t, "whatsapp/unsupported.json"), &unsupportedBody)
		newest = unsupportedBody["entry"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any)["value"].(map[string]any)["messages"].([]any)[0].(map[string]any)["id"].(string)
		sameJSON(t, "mark read", read.Body, metaFixture(t, "wa_mark_read.request.json"), func(want map[string]any) { want["message_id"] = newest })

		// The admin reads where Meta must call.
		var chans struct {
			Channels []struct{ Kind, WebhookURL string }
		}
		env.Admin.MustDo(`{ channels { kind webhookUrl } }`, nil, &chans)
		if len(chans.Channels) != 1 || !strings.HasPrefix(chans.Channels[0].WebhookURL, "http") ||
			!strings.Contains(chans.Channels[0].WebhookURL, "/webhooks/whatsapp/") {
			t.Fatalf("webhookUrl: %+v", chans)
		}
	})
}

// A template opens a conversation (free text cannot); the 24-hour window
// closes free text again; WhatsApp's own window error fails the message
// with its reason; a text over WhatsApp's limits is refused before storing.
func TestWhatsAppTemplateAndWindow(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		ch := metaChannel(t, env, "WHATSAPP", waPhoneNumberID, ann.ID)
		var started struct{ StartSession struct{ ID string } }
		ann.MustDo(`mutation($ch:ID!){ startSession(input:{channelId:$ch, to:"+1 650 555 1234",
			template:{name:"order_update", language:"en_US", parameters:["#1042"]}}){ id } }`, apitest.Vars{"ch": ch}, &started)
		session := started.StartSession.ID
		calls := g.waitSends(t, "/"+waPhoneNumberID+"/messages", 1)
		sameJSON(t, "the template", calls[0].Body, metaFixture(t, "wa_send_template.request.json"), nil)
		ann.MustFail("CANNOT_INITIATE", `mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"hi"}){ id } }`, apitest.Vars{"c": session})

		// The customer answers into the same session; now free text flows.
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/text.json"))
		if ss := sessionsOfKind(t, ann, "WHATSAPP"); len(ss) != 1 || ss[0].ID != session {
			t.Fatalf("the answer opened another session: %+v", ss)
		}
		g.mu.Lock()
		g.ids = []string{waSent}
		g.mu.Unlock()
		id := send(t, ann, session, apitest.Vars{"text": "Your order ships today."})
		waitStatus(t, ann, id, "SENT")
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/status_failed.json"))
		m := waitStatus(t, ann, id, "FAILED")
		if m.FailureReason == nil || !strings.Contains(*m.FailureReason, "131047") {
			t.Fatalf("failureReason: %v", m.FailureReason)
		}
		if s := sessionsOfKind(t, ann, "WHATSAPP")[0]; s.ReplyState != "UNANSWERED" {
			t.Fatalf("a session whose only answer failed reads %s", s.ReplyState)
		}

		// WhatsApp's per-type limits, checked before anything is stored.
		big := make([]byte, 5<<20+1)
		copy(big, tinyJPEG(t))
		var up struct{ UploadFile struct{ ID string } }
		ann.Upload(`mutation($c:ID!,$f:Upload!){ uploadFile(conversationId:$c, file:$f){ id } }`, apitest.Vars{"c": session, "f": nil},
			apitest.BytesFile("f", "big.jpg", big)).Decode(t, &up)
		if up.UploadFile.ID == "" {
			t.Fatal("the upload was refused")
		}
		r := ann.MustFail("FILE_TOO_LARGE", `mutation($c:ID!,$a:[ID!]){ sendMessage(input:{conversationId:$c, attachmentIds:$a}){ id } }`,
			apitest.Vars{"c": session, "a": []string{up.UploadFile.ID}})
		if !strings.Contains(r.Errors[0].Message, "5 MB") {
			t.Fatalf("the refusal does not name the limit: %s", r.Errors[0].Message)
		}

		// 24 hours after the customer's last message, only a template.
		env.Clock.Advance(25 * time.Hour)
		ann.MustFail("REPLY_WINDOW_CLOSED", `mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"still there?"}){ id } }`, apitest.Vars{"c": session})
	})
}

// Throttling is retried until WhatsApp takes the message; a revoked token
// in the middle of a burst fails the rest, disconnects the channel (next
// send CHANNEL_SYNC_LOST, inbound still taken), and reconnecting restores it.
func TestWhatsAppThrottlingAndSyncLost(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		ch := metaChannel(t, env, "WHATSAPP", waPhoneNumberID, ann.ID)
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/text.json"))
		session := sessionsOfKind(t, ann, "WHATSAPP")[0].ID

		g.answer(graphAnswer{Status: 400, Body: string(metaFixture(t, "wa_error_130429_throughput.json"))},
			graphAnswer{Status: 429, Body: string(metaFixture(t, "meta_error_80007_business_rate_limit.json"))})
		id := send(t, ann, session, apitest.Vars{"text": "one"})
		waitStatus(t, ann, id, "SENT")
		if n := len(g.sends("/messages")); n != 3 {
			t.Fatalf("throttled twice then taken: %d sends", n)
		}

		// The burst is all stored before the first of it reaches WhatsApp;
		// the token is revoked after the second is taken.
		var sent int
		var mu sync.Mutex
		release := make(chan struct{})
		g.mu.Lock()
		g.beforeSend = func(string) {
			<-release
			mu.Lock()
			defer mu.Unlock()
			if sent++; sent == 2 {
				g.setToken("EAAG-rotated")
			}
		}
		g.mu.Unlock()
		var ids []string
		for i := range 5 {
			ids = append(ids, send(t, ann, session, apitest.Vars{"text": "burst " + string(rune('a'+i))}))
		}
		close(release)
		counts := map[string]int{}
		for _, id := range ids {
			m := waitMessage(t, ann, id, "an outcome", func(m metaMessage) bool { return m.Status == "SENT" || m.Status == "FAILED" })
			counts[m.Status]++
		}
		if counts["SENT"] != 2 || counts["FAILED"] != 3 {
			t.Fatalf("burst outcome: %v", counts)
		}
		var chs struct{ Channels []struct{ Connected bool } }
		ann.MustDo(`{ channels { connected } }`, nil, &chs)
		if chs.Channels[0].Connected {
			t.Fatal("a revoked token left the channel connected")
		}
		ann.MustFail("CHANNEL_SYNC_LOST", `mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"x"}){ id } }`, apitest.Vars{"c": session})
		mustPostMeta(t, env, "/webhooks/whatsapp", waFixture(t, "text.json", waInbound, "wamid.after-revoke"))
		if got := sessionsOfKind(t, ann, "WHATSAPP")[0].Messages.TotalCount; got != 8 {
			t.Fatalf("inbound while disconnected: %d messages, want 8", got)
		}

		env.Admin.MustDo(`mutation($id:ID!){ reconnectChannel(id:$id, input:{accessToken:"EAAG-rotated"}){ connected } }`, apitest.Vars{"id": ch}, nil)
		waitStatus(t, ann, send(t, ann, session, apitest.Vars{"text": "back"}), "SENT")
	})
}

// A receipt can overtake WhatsApp's answer to the send: it waits for the
// message's id instead of being lost.
func TestWhatsAppStatusBeforeSendAnswer(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		metaChannel(t, env, "WHATSAPP", waPhoneNumberID, ann.ID)
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/text.json"))
		session := sessionsOfKind(t, ann, "WHATSAPP")[0].ID
		done := make(chan int, 1)
		g.mu.Lock()
		g.ids = []string{waSent}
		g.beforeSend = func(string) {
			go func() {
				code, _ := postMeta(t, env, "/webhooks/whatsapp", metaSecret, metaFixture(t, "whatsapp/status_delivered.json"))
				done <- code
			}()
			time.Sleep(200 * time.Millisecond) // the receipt is in before the answer
		}
		g.mu.Unlock()
		id := send(t, ann, session, apitest.Vars{"text": "on its way"})
		if code := <-done; code != 200 {
			t.Fatalf("the early receipt: %d", code)
		}
		waitStatus(t, ann, id, "DELIVERED")
	})
}

// Two different first messages of one new customer, at once, make one session.
func TestWhatsAppFirstMessagesRace(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		metaChannel(t, env, "WHATSAPP", waPhoneNumberID, ann.ID)
		var wg sync.WaitGroup
		codes := make(chan int, 6)
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, _ := postMeta(t, env, "/webhooks/whatsapp", metaSecret,
					waFixture(t, "text.json", waInbound, "wamid.race."+string(rune('a'+i))))
				codes <- code
			}()
		}
		wg.Wait()
		close(codes)
		for c := range codes {
			if c != 200 {
				t.Fatalf("a racing first message: %d", c)
			}
		}
		if ss := sessionsOfKind(t, ann, "WHATSAPP"); len(ss) != 1 || ss[0].Messages.TotalCount != 6 {
			t.Fatalf("racing first messages: %d sessions", len(ss))
		}
	})
}

// Only Meta's signed requests are taken; the handshake answers only the
// channel's verify token; a channel that is not there is 404.
func TestWhatsAppWebhookSecurity(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		ch := metaChannel(t, env, "WHATSAPP", waPhoneNumberID, ann.ID)
		body := metaFixture(t, "whatsapp/text.json")
		for _, path := range []string{"/webhooks/whatsapp", "/webhooks/whatsapp/" + ch} {
			if code, _ := postMeta(t, env, path, "", body); code != 401 {
				t.Fatalf("%s unsigned: %d", path, code)
			}
			if code, _ := postMeta(t, env, path, "not-the-secret", body); code != 401 {
				t.Fatalf("%s missigned: %d", path, code)
			}
		}
		if code, _ := postMeta(t, env, "/webhooks/whatsapp", metaSecret, waFixture(t, "text.json", waPhoneNumberID, "999999999")); code != 404 {
			t.Fatalf("an unknown number: %d", code)
		}
		if code, _ := postMeta(t, env, "/webhooks/whatsapp/cn_unknown", metaSecret, body); code != 404 {
			t.Fatalf("an unknown channel: %d", code)
		}
		if ss := sessionsOfKind(t, ann, "WHATSAPP"); len(ss) != 0 {
			t.Fatalf("refused webhooks stored %d sessions", len(ss))
		}
		mustPostMeta(t, env, "/webhooks/whatsapp/"+ch, body)
		// A receipt for a message Parley never sent (another app on the
		// number) is taken and changes nothing; it is not sent back for days.
		mustPostMeta(t, env, "/webhooks/whatsapp", metaFixture(t, "whatsapp/status_read.json"))

		for _, path := range []string{"/webhooks/whatsapp", "/webhooks/whatsapp/" + ch} {
			res, text := env.FetchAnonymously(env.URL + path + "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + metaVerify)
			if res.StatusCode != 200 || string(text) != "1158201444" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("%s handshake: %d %q %s", path, res.StatusCode, text, res.Header.Get("Content-Type"))
			}
			res, _ = env.FetchAnonymously(env.URL + path + "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong")
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("%s handshake with a wrong token: %d", path, res.StatusCode)
			}
		}
	})
}

// A webhook Parley cannot store is not acknowledged: Meta sends it again.
func TestWhatsAppWebhookDatabaseDown(t *testing.T) {
	apitest.RunWith(t, apitest.Options{BreakableDatabase: true}, func(t *testing.T, env *apitest.Env) {
		metaChannel(t, env, "WHATSAPP", waPhoneNumberID)
		env.BreakDatabase()
		if code, _ := postMeta(t, env, "/webhooks/whatsapp", metaSecret, metaFixture(t, "whatsapp/text.json")); code < 500 {
			t.Fatalf("database down: %d, want 5xx", code)
		}
	})
}
