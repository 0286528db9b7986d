package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/channel/meta"
)

// The customers of the Messenger and Instagram fixtures.
const (
	fbCustomer = "5275811702471834"
	igCustomer = "1914016185466021"
)

// metaBody is a fixture of testdata/{kind}/ as decoded JSON, changed by
// edit (which gets the first messaging event, or the first change's value).
func metaBody(t *testing.T, name string, edit func(ev map[string]any)) []byte {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(metaFixture(t, name), &body); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		entry := body["entry"].([]any)[0].(map[string]any)
		if ms, ok := entry["messaging"].([]any); ok {
			edit(ms[0].(map[string]any))
		} else {
			edit(entry["changes"].([]any)[0].(map[string]any)["value"].(map[string]any))
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// obj is the object under key of a decoded JSON object.
func obj(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }

// withPageID puts a webhook's first entry on another account.
func withAccount(t *testing.T, body []byte, account string) []byte {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	v["entry"].([]any)[0].(map[string]any)["id"] = account
	b, _ := json.Marshal(v)
	return b
}

// jpegBytes is a small real JPEG.
func jpegBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// watermarkSoon is a receipt watermark after everything sent so far, in ms.
func watermarkSoon(env *apitest.Env) float64 {
	return float64(env.Clock.Now().Add(time.Minute).UnixMilli())
}

// waitSession polls a kind's only session until ok says it is as wanted.
func waitSession(t *testing.T, c *apitest.Client, kind, what string, ok func(s metaSession) bool) metaSession {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ss := sessionsOfKind(t, c, kind)
		if len(ss) == 1 && ok(ss[0]) {
			return ss[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %s session never got %s: %+v", kind, what, ss)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// onlySession is a kind's one session.
func onlySession(t *testing.T, c *apitest.Client, kind string) metaSession {
	t.Helper()
	ss := sessionsOfKind(t, c, kind)
	if len(ss) != 1 {
		t.Fatalf("%d %s sessions, want 1: %+v", len(ss), kind, ss)
	}
	return ss[0]
}

// messageSends are the Send API calls that carried a message (not mark_seen).
func messageSends(g *fakeGraph, account string) []graphCall {
	var out []graphCall
	for _, c := range g.sends("/" + account + "/messages") {
		if c.Body["message"] != nil {
			out = append(out, c)
		}
	}
	return out
}

func waitMessageSends(t *testing.T, g *fakeGraph, account string, n int) []graphCall {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s := messageSends(g, account); len(s) >= n {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fake Graph API got %d sends, want %d", len(messageSends(g, account)), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// withMetadata is a sameJSON edit: the text, and the metadata Parley adds.
func withMetadata(text, messageID string) func(want map[string]any) {
	return func(want map[string]any) {
		obj(want, "message")["text"] = text
		obj(want, "message")["metadata"] = "parley:" + messageID
	}
}

func replyToComment(t *testing.T, c *apitest.Client, comment, text string) string {
	t.Helper()
	var out struct{ ReplyToComment struct{ ID string } }
	c.MustDo(`mutation($m:ID!,$t:String!){ replyToComment(messageId:$m, text:$t){ id } }`,
		apitest.Vars{"m": comment, "t": text}, &out)
	return out.ReplyToComment.ID
}

// A Messenger customer's conversation end to end: live to the agent,
// stored once, named by the profile API, with files, replies as Meta's
// Send API takes them, receipts by watermark, echoes, and mark_seen.
func TestMessengerConversation(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		metaChannel(t, env, "MESSENGER", fbPageID, ann.ID)
		g.mu.Lock()
		g.profiles[fbCustomer] = `{"first_name":"Peter","last_name":"Chang","profile_pic":"https://scontent.xx.fbcdn.net/v/peter.jpg"}`
		g.mu.Unlock()

		sub := liveEvents(t, env, ann)
		text := metaFixture(t, "messenger/text.json")
		mustPostMeta(t, env, "/webhooks/messenger", text)
		for {
			r := sub.Next(10 * time.Second)
			var ev struct {
				Events struct {
					Type    string
					Message *struct{ ID, Text, Direction string }
				}
			}
			r.Decode(t, &ev)
			if ev.Events.Type == "MESSAGE_ADDED" && ev.Events.Message != nil && ev.Events.Message.Direction != "INTERNAL" {
				if ev.Events.Message.Text != "hello, world!" || ev.Events.Message.Direction != "INBOUND" {
					t.Fatalf("MESSAGE_ADDED live: %+v", ev.Events.Message)
				}
				break
			}
		}
		mustPostMeta(t, env, "/webhooks/messenger", text) // Meta delivers again
		s := waitSession(t, ann, "MESSENGER", "the profile's name and avatar", func(s metaSession) bool {
			return s.Contact.DisplayName == "Peter Chang" && s.Contact.AvatarURL != nil
		})
		if s.Messages.TotalCount != 1 {
			t.Fatalf("a webhook delivered twice made %d messages", s.Messages.TotalCount)
		}
		if m := s.Messages.Edges[0].Node; m.Kind != "TEXT" || m.Sender != nil || m.ProviderKind != nil {
			t.Fatalf("the customer's text: %+v", m)
		}

		// An image: kind IMAGE, its file fetched from Meta's CDN.
		g.mu.Lock()
		g.media["/cdn/fb/photo.jpg"] = jpegBytes(t)
		g.mu.Unlock()
		mustPostMeta(t, env, "/webhooks/messenger", metaBody(t, "messenger/image.json", func(ev map[string]any) {
			msg := obj(ev, "message")
			msg["mid"] = "m_image_1"
			obj(msg["attachments"].([]any)[0].(map[string]any), "payload")["url"] = g.srv.URL + "/cdn/fb/photo.jpg"
		}))
		s = onlySession(t, ann, "MESSENGER")
		img := s.Messages.Edges[len(s.Messages.Edges)-1].Node
		if img.Kind != "IMAGE" {
			t.Fatalf("the image: %+v", img)
		}
		waitMessage(t, ann, img.ID, "its file", func(m metaMessage) bool {
			return len(m.Attachments) == 1 && m.Attachments[0].ContentType == "image/jpeg" && m.Attachments[0].URL != nil
		})

		// The agent's reply, as the Send API takes it.
		sent := metaFixture(t, "messenger_send.response.json")
		var sendResp struct {
			MessageID string `json:"message_id"`
		}
		_ = json.Unmarshal(sent, &sendResp)
		g.mu.Lock()
		g.ids = []string{sendResp.MessageID}
		g.mu.Unlock()
		replyID := send(t, ann, s.ID, apitest.Vars{"text": "Hello!"})
		call := waitMessageSends(t, g, fbPageID, 1)[0]
		if call.Auth != "Bearer "+metaToken {
			t.Errorf("the send's Authorization: %q", call.Auth)
		}
		sameJSON(t, "the reply", call.Body, metaFixture(t, "meta-api/messenger_send_text.request.json"), withMetadata("Hello!", replyID))
		waitStatus(t, ann, replyID, "SENT")

		// Receipts by watermark move it forward, never back.
		delivery := metaBody(t, "messenger/delivery.json", func(ev map[string]any) { obj(ev, "delivery")["watermark"] = watermarkSoon(env) })
		mustPostMeta(t, env, "/webhooks/messenger", delivery)
		waitStatus(t, ann, replyID, "DELIVERED")
		mustPostMeta(t, env, "/webhooks/messenger", metaBody(t, "messenger/read.json", func(ev map[string]any) {
			obj(ev, "read")["watermark"] = watermarkSoon(env)
		}))
		waitStatus(t, ann, replyID, "READ")
		mustPostMeta(t, env, "/webhooks/messenger", delivery)
		if m := messageOf(t, ann, replyID); m.Status != "READ" {
			t.Fatalf("a late delivery moved the reply back to %s", m.Status)
		}

		// Parley's own send coming back stores nothing, by metadata or by id.
		before := onlySession(t, ann, "MESSENGER").Messages.TotalCount
		mustPostMeta(t, env, "/webhooks/messenger", metaBody(t, "messenger/echo.json", func(ev map[string]any) {
			obj(ev, "message")["metadata"] = "parley:" + replyID
			obj(ev, "message")["mid"] = "m_echo_with_metadata"
		}))
		mustPostMeta(t, env, "/webhooks/messenger", metaFixture(t, "messenger/echo.json"))
		if n := onlySession(t, ann, "MESSENGER").Messages.TotalCount; n != before {
			t.Fatalf("Parley's own echoes made %d messages of %d", n, before)
		}
		// A page admin writing in Meta's inbox: an outbound message of no one's.
		mustPostMeta(t, env, "/webhooks/messenger", metaBody(t, "messenger/echo.json", func(ev map[string]any) {
			obj(ev, "message")["mid"] = "m_typed_in_meta_inbox"
			obj(ev, "message")["text"] = "Typed in Meta Business Suite"
		}))
		s = onlySession(t, ann, "MESSENGER")
		if s.Messages.TotalCount != before+1 {
			t.Fatalf("an admin's echo: %d messages, want %d", s.Messages.TotalCount, before+1)
		}
		if m := s.Messages.Edges[len(s.Messages.Edges)-1].Node; m.Direction != "OUTBOUND" || m.Sender != nil ||
			m.Text != "Typed in Meta Business Suite" {
			t.Fatalf("an admin's echo: %+v", m)
		}

		// The customer reacts to the reply.
		mustPostMeta(t, env, "/webhooks/messenger", metaBody(t, "messenger/text.json", func(ev map[string]any) {
			delete(ev, "message")
			ev["reaction"] = map[string]any{"mid": sendResp.MessageID, "action": "react", "reaction": "love", "emoji": "❤️"}
		}))
		if r := messageOf(t, ann, replyID).Reactions; len(r) != 1 || r[0].Emoji != "❤️" || r[0].Count != 1 || !r[0].ByCustomer {
			t.Fatalf("the customer's reaction: %+v", r)
		}

		// An echo overtaking the send's own answer: it waits for the send
		// and stores nothing.
		echoed := make(chan int, 1)
		g.mu.Lock()
		g.beforeSend = func(id string) {
			body := metaBody(t, "messenger/echo.json", func(ev map[string]any) {
				obj(ev, "message")["mid"] = id
				obj(ev, "message")["text"] = "Quick one"
			})
			go func() {
				req, _ := http.NewRequest(http.MethodPost, env.URL+"/webhooks/messenger", bytes.NewReader(body))
				req.Header.Set("X-Hub-Signature-256", meta.Signature(metaSecret, body))
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					echoed <- 0
					return
				}
				res.Body.Close()
				echoed <- res.StatusCode
			}()
		}
		g.mu.Unlock()
		quick := send(t, ann, s.ID, apitest.Vars{"text": "Quick one"})
		waitStatus(t, ann, quick, "SENT")
		select {
		case code := <-echoed:
			if code != 200 {
				t.Fatalf("the echo of a send in flight: %d, want 200", code)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the echo of a send in flight got no answer")
		}
		g.mu.Lock()
		g.beforeSend = nil
		g.mu.Unlock()
		if n := onlySession(t, ann, "MESSENGER").Messages.TotalCount; n != before+2 {
			t.Fatalf("the echo of a send in flight: %d messages, want %d", n, before+2)
		}

		// The agent reads: the customer sees it seen.
		ann.MustDo(`mutation($c:ID!){ markRead(conversationId:$c){ id } }`, apitest.Vars{"c": s.ID}, nil)
		deadline := time.Now().Add(10 * time.Second)
		for {
			var seen []graphCall
			for _, c := range g.sends("/" + fbPageID + "/messages") {
				if c.Body["sender_action"] != nil {
					seen = append(seen, c)
				}
			}
			if len(seen) > 0 {
				sameJSON(t, "mark_seen", seen[0].Body, metaFixture(t, "meta-api/messenger_mark_seen.request.json"), nil)
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("markRead sent no mark_seen")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// Past Messenger's 7 days, a reply needs a message tag, and goes out with it.
func TestMessengerMessageTag(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		metaChannel(t, env, "MESSENGER", fbPageID, ann.ID)
		mustPostMeta(t, env, "/webhooks/messenger", metaFixture(t, "messenger/text.json"))
		s := onlySession(t, ann, "MESSENGER")
		const text = "Sorry for the wait - your replacement ships today."

		// Inside the first day a reply is a plain RESPONSE; after it, until
		// the seventh, Meta wants a human agent's answer tagged as one.
		env.Clock.Advance(2 * 24 * time.Hour)
		late := send(t, ann, s.ID, apitest.Vars{"text": text})
		call := waitMessageSends(t, g, fbPageID, 1)[0]
		sameJSON(t, "a reply after a day", call.Body, metaFixture(t, "meta-api/messenger_send_human_agent.request.json"), withMetadata(text, late))
		waitStatus(t, ann, late, "SENT")
		env.Clock.Advance(5*24*time.Hour + time.Minute)

		ann.MustFail("MESSAGE_TAG_REQUIRED", `mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
			apitest.Vars{"c": s.ID, "t": text})
		if n := onlySession(t, ann, "MESSENGER").Messages.TotalCount; n != 2 {
			t.Fatalf("a refused reply was stored: %d messages", n)
		}
		id := send(t, ann, s.ID, apitest.Vars{"text": text, "messageTag": "HUMAN_AGENT"})
		call = waitMessageSends(t, g, fbPageID, 2)[1]
		sameJSON(t, "a tagged reply", call.Body, metaFixture(t, "meta-api/messenger_send_human_agent.request.json"), withMetadata(text, id))
		waitStatus(t, ann, id, "SENT")
	})
}

// Comments under the page's posts: taken in (unless turned off), answered
// in public, edited and removed as on the page, the page's own echoed back.
func TestMessengerComments(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		ch := metaChannel(t, env, "MESSENGER", fbPageID, ann.ID)
		const commentID = "122131676912594941_1213590066982748"
		const postID = "682498302938465_122131676912594941"
		mustPostMeta(t, env, "/webhooks/messenger", metaFixture(t, "messenger/feed_comment.json"))
		mustPostMeta(t, env, "/webhooks/messenger/"+ch, metaFixture(t, "messenger/feed_comment.json")) // again, by channel id
		s := onlySession(t, ann, "MESSENGER")
		if s.Messages.TotalCount != 1 {
			t.Fatalf("a comment delivered twice made %d messages", s.Messages.TotalCount)
		}
		comment := s.Messages.Edges[0].Node
		if comment.Kind != "COMMENT" || comment.Post == nil || comment.Post.ID != postID || comment.Text != "Do you have this in blue?" {
			t.Fatalf("the comment: %+v", comment)
		}

		setComments := func(on bool) {
			env.Admin.MustDo(`mutation($id:ID!,$on:Boolean){ updateChannel(id:$id, input:{receiveComments:$on}){ id } }`,
				apitest.Vars{"id": ch, "on": on}, nil)
		}
		setComments(false)
		mustPostMeta(t, env, "/webhooks/messenger", metaBody(t, "messenger/feed_comment.json", func(v map[string]any) {
			v["comment_id"] = "122131676912594941_999"
			v["message"] = "Not taken in"
		}))
		if n := onlySession(t, ann, "MESSENGER").Messages.TotalCount; n != 1 {
			t.Fatalf("with comments off a comment was stored: %d messages", n)
		}
		setComments(true)

		g.mu.Lock()
		g.ids = []string{"122131676912594941_5000", "122131676912594941_5001"}
		g.mu.Unlock()
		r1 := replyToComment(t, ann, comment.ID, "Hi Sheena - yes! Sending you the blue options here.")
		waitStatus(t, ann, r1, "SENT")
		r2 := replyToComment(t, ann, comment.ID, "And in green too.")
		waitStatus(t, ann, r2, "SENT")
		calls := g.waitSends(t, "/"+commentID+"/comments", 2)
		if len(calls) != 2 {
			t.Fatalf("%d public replies, want 2", len(calls))
		}
		for i, text := range []string{"Hi Sheena - yes! Sending you the blue options here.", "And in green too."} {
			if want := map[string]any{"message": text}; fmt.Sprint(calls[i].Body) != fmt.Sprint(want) {
				t.Errorf("public reply %d: %v, want %v", i, calls[i].Body, want)
			}
			if calls[i].Auth != "Bearer "+metaToken {
				t.Errorf("public reply %d: Authorization %q", i, calls[i].Auth)
			}
		}
		s = onlySession(t, ann, "MESSENGER")
		if s.Messages.TotalCount != 3 {
			t.Fatalf("%d messages after two replies, want 3", s.Messages.TotalCount)
		}
		for _, id := range []string{r1, r2} {
			if m := messageOf(t, ann, id); m.Kind != "COMMENT" || m.Direction != "OUTBOUND" || m.ReplyTo == nil || m.ReplyTo.ID != comment.ID {
				t.Fatalf("a public reply: %+v", m)
			}
		}

		// Edited, then removed, on the page.
		mustPostMeta(t, env, "/webhooks/messenger", metaBody(t, "messenger/feed_comment.json", func(v map[string]any) {
			v["verb"] = "edited"
			v["message"] = "Do you have this in navy blue?"
		}))
		m := messageOf(t, ann, comment.ID)
		if m.EditedAt == nil || m.Text != "Do you have this in navy blue?" || m.DeletedAt != nil {
			t.Fatalf("the edited comment: %+v", m)
		}
		mustPostMeta(t, env, "/webhooks/messenger", metaBody(t, "messenger/feed_comment.json", func(v map[string]any) {
			v["verb"] = "remove"
			delete(v, "message")
		}))
		var raw struct{ Node struct{ Text *string } }
		ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Message { text } } }`, apitest.Vars{"id": comment.ID}, &raw)
		if m := messageOf(t, ann, comment.ID); m.DeletedAt == nil || raw.Node.Text != nil {
			t.Fatalf("the removed comment: %+v, text %v", m, raw.Node.Text)
		}

		// The page's own reply coming back in the feed.
		mustPostMeta(t, env, "/webhooks/messenger", metaBody(t, "messenger/feed_comment.json", func(v map[string]any) {
			v["comment_id"] = "122131676912594941_5000"
			v["parent_id"] = commentID
			v["message"] = "Hi Sheena - yes! Sending you the blue options here."
			v["from"] = map[string]any{"id": fbPageID, "name": "Shop"}
		}))
		if n := onlySession(t, ann, "MESSENGER").Messages.TotalCount; n != 3 {
			t.Fatalf("the page's echo of a reply made %d messages, want 3", n)
		}
	})
}

// An Instagram conversation: texts, files, replies as the Send API takes
// them, seen receipts, the profile's handle, the byte limit, comments.
func TestInstagramConversation(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		metaChannel(t, env, "INSTAGRAM", igAccountID, ann.ID)
		g.mu.Lock()
		g.profiles[igCustomer] = `{"name":"Sheena Nelson","username":"sheena.nelson","profile_pic":"https://scontent.cdninstagram.com/sheena.jpg"}`
		g.media["/cdn/ig/photo.jpg"] = jpegBytes(t)
		g.mu.Unlock()

		mustPostMeta(t, env, "/webhooks/instagram", metaFixture(t, "instagram/text.json"))
		mustPostMeta(t, env, "/webhooks/instagram", metaBody(t, "instagram/image.json", func(ev map[string]any) {
			obj(obj(ev, "message")["attachments"].([]any)[0].(map[string]any), "payload")["url"] = g.srv.URL + "/cdn/ig/photo.jpg"
		}))
		s := waitSession(t, ann, "INSTAGRAM", "the profile's handle", func(s metaSession) bool {
			return s.Contact.Nickname != nil && *s.Contact.Nickname == "sheena.nelson"
		})
		if s.Contact.DisplayName != "Sheena Nelson" || s.Messages.TotalCount != 2 {
			t.Fatalf("the session: %+v", s)
		}
		if m := s.Messages.Edges[0].Node; m.Kind != "TEXT" || m.Text != "Hi! Is the blue one in stock?" {
			t.Fatalf("the text: %+v", m)
		}
		img := s.Messages.Edges[1].Node
		if img.Kind != "IMAGE" {
			t.Fatalf("the image: %+v", img)
		}
		waitMessage(t, ann, img.ID, "its file", func(m metaMessage) bool {
			return len(m.Attachments) == 1 && m.Attachments[0].ContentType == "image/jpeg" && m.Attachments[0].URL != nil
		})

		// Two replies; the customer's seen receipt names the last.
		var resp struct {
			MessageID string `json:"message_id"`
		}
		_ = json.Unmarshal(metaFixture(t, "ig_send.response.json"), &resp)
		g.mu.Lock()
		g.ids = []string{"ig-earlier-reply", resp.MessageID}
		g.mu.Unlock()
		first := send(t, ann, s.ID, apitest.Vars{"text": "Let me check."})
		waitStatus(t, ann, first, "SENT")
		id := send(t, ann, s.ID, apitest.Vars{"text": "Yes, it is!"})
		waitStatus(t, ann, id, "SENT")
		calls := waitMessageSends(t, g, igAccountID, 2)
		sameJSON(t, "the reply", calls[1].Body, metaFixture(t, "meta-api/ig_send_text.request.json"), withMetadata("Yes, it is!", id))
		if calls[1].Auth != "Bearer "+metaToken {
			t.Errorf("the send's Authorization: %q", calls[1].Auth)
		}
		mustPostMeta(t, env, "/webhooks/instagram", metaFixture(t, "instagram/read.json"))
		waitStatus(t, ann, id, "READ")
		waitStatus(t, ann, first, "READ")
		mustPostMeta(t, env, "/webhooks/instagram", metaFixture(t, "instagram/echo.json")) // of the reply: nothing new
		if n := onlySession(t, ann, "INSTAGRAM").Messages.TotalCount; n != 4 {
			t.Fatalf("the echo of Parley's reply: %d messages, want 4", n)
		}

		// 600 characters are 1,200 bytes: over Instagram's limit.
		before := onlySession(t, ann, "INSTAGRAM").Messages.TotalCount
		ann.MustFail("TEXT_TOO_LONG", `mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
			apitest.Vars{"c": s.ID, "t": strings.Repeat("é", 600)})
		if n := onlySession(t, ann, "INSTAGRAM").Messages.TotalCount; n != before {
			t.Fatalf("a reply over the limit was stored: %d messages of %d", n, before)
		}

		// Comments on the account's media.
		mustPostMeta(t, env, "/webhooks/instagram", metaFixture(t, "instagram/comment.json"))
		mustPostMeta(t, env, "/webhooks/instagram", metaFixture(t, "instagram/comment_reply.json"))
		var comment, answer *metaMessage
		for _, ss := range sessionsOfKind(t, ann, "INSTAGRAM") {
			for _, e := range ss.Messages.Edges {
				switch e.Node.Text {
				case "Do you ship to Canada?":
					comment = &e.Node
				case "@sheena.nelson they do, I got mine last week":
					answer = &e.Node
				}
			}
		}
		if comment == nil || answer == nil {
			t.Fatalf("the comments were not stored: %v %v", comment, answer)
		}
		if comment.Kind != "COMMENT" || comment.Post == nil || comment.Post.ID != "18172143295349192" {
			t.Fatalf("the comment: %+v", comment)
		}
		if answer.Kind != "COMMENT" || answer.ReplyTo == nil || answer.ReplyTo.ID != comment.ID {
			t.Fatalf("the answer to the comment: %+v", answer)
		}
		r := replyToComment(t, ann, comment.ID, "Hi! We do ship to Canada - details here.")
		waitStatus(t, ann, r, "SENT")
		call := g.waitSends(t, "/17919697626119712/replies", 1)[0]
		if fmt.Sprint(call.Body) != fmt.Sprint(map[string]any{"message": "Hi! We do ship to Canada - details here."}) {
			t.Fatalf("the public reply: %v", call.Body)
		}

		// Past 7 days Instagram takes nothing; the refusal links to Instagram.
		env.Clock.Advance(7*24*time.Hour + time.Minute)
		r2 := ann.MustFail("REPLY_WINDOW_CLOSED", `mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
			apitest.Vars{"c": s.ID, "t": "Still there?"})
		if link := r2.Errors[0].Extensions["deepLink"]; link != "https://ig.me/m/sheena.nelson" {
			t.Fatalf("the closed window's deepLink: %v", link)
		}
	})
}

// Meta's webhooks are taken only signed with the channel's secret, for a
// channel of their kind; the subscription handshake wants its token.
func TestMetaWebhookSecurity(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		fb := metaChannel(t, env, "MESSENGER", fbPageID, ann.ID)
		ig := metaChannel(t, env, "INSTAGRAM", igAccountID, ann.ID)
		for _, c := range []struct{ kind, channel, fixture, account string }{
			{"messenger", fb, "messenger/text.json", fbPageID},
			{"instagram", ig, "instagram/text.json", igAccountID},
		} {
			body := metaFixture(t, c.fixture)
			for _, path := range []string{"/webhooks/" + c.kind, "/webhooks/" + c.kind + "/" + c.channel} {
				if code, _ := postMeta(t, env, path, "", body); code != 401 {
					t.Errorf("%s unsigned: %d, want 401", path, code)
				}
				if code, _ := postMeta(t, env, path, "not-the-secret", body); code != 401 {
					t.Errorf("%s signed with another secret: %d, want 401", path, code)
				}
			}
			if code, _ := postMeta(t, env, "/webhooks/"+c.kind, metaSecret, withAccount(t, body, "123456789")); code != 404 {
				t.Errorf("%s for an unknown account: %d, want 404", c.kind, code)
			}
			if n := len(sessionsOfKind(t, ann, strings.ToUpper(c.kind))); n != 0 {
				t.Fatalf("refused %s webhooks made %d sessions", c.kind, n)
			}
		}
		for _, path := range []string{"/webhooks/messenger/" + ig, "/webhooks/instagram/" + fb} {
			if code, _ := postMeta(t, env, path, metaSecret, metaFixture(t, "instagram/text.json")); code != 404 {
				t.Errorf("%s (another kind's channel): %d, want 404", path, code)
			}
		}

		for _, path := range []string{"/webhooks/messenger", "/webhooks/instagram", "/webhooks/instagram/" + ig, "/webhooks/messenger/" + fb} {
			code, ctype, body := getText(t, env.URL+path+"?hub.mode=subscribe&hub.verify_token="+metaVerify+"&hub.challenge=1158201444")
			if code != 200 || !strings.HasPrefix(ctype, "text/plain") || body != "1158201444" {
				t.Errorf("handshake on %s: %d %q %q", path, code, ctype, body)
			}
			if code, _, _ := getText(t, env.URL+path+"?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444"); code != 403 {
				t.Errorf("handshake on %s with a wrong token: %d, want 403", path, code)
			}
		}
		if code, _, _ := getText(t, env.URL+"/webhooks/messenger/"+ig+"?hub.mode=subscribe&hub.verify_token="+metaVerify+"&hub.challenge=1"); code != 403 {
			t.Errorf("a Messenger handshake for an Instagram channel: %d, want 403", code)
		}
	})
}

// When Meta refuses the token, the channel is disconnected until an admin
// gives a new one; busy answers are retried; a refusal fails the reply.
func TestMessengerSyncLost(t *testing.T) {
	runMeta(t, func(t *testing.T, env *apitest.Env, g *fakeGraph) {
		ann := env.NewUser("AGENT", "Ann")
		ch := metaChannel(t, env, "MESSENGER", fbPageID, ann.ID)
		mustPostMeta(t, env, "/webhooks/messenger", metaFixture(t, "messenger/text.json"))
		s := waitSession(t, ann, "MESSENGER", "its profile asked for", func(s metaSession) bool { return s.Contact.PrivacyRestricted })
		connected := func() bool {
			var out struct{ Node struct{ Connected bool } }
			env.Admin.MustDo(`query($id:ID!){ node(id:$id){ ... on Channel { connected } } }`, apitest.Vars{"id": ch}, &out)
			return out.Node.Connected
		}

		g.setToken("other")
		failed := send(t, ann, s.ID, apitest.Vars{"text": "Hello!"})
		m := waitStatus(t, ann, failed, "FAILED")
		if m.FailureReason == nil || *m.FailureReason == "" {
			t.Fatalf("the failed reply has no reason: %+v", m)
		}
		if connected() {
			t.Fatal("the channel is still connected after Meta refused its token")
		}
		if st := onlySession(t, ann, "MESSENGER").ReplyState; st != "UNANSWERED" {
			t.Fatalf("after a failed reply the session is %s, want UNANSWERED", st)
		}
		ann.MustFail("CHANNEL_SYNC_LOST", `mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
			apitest.Vars{"c": s.ID, "t": "Again"})
		mustPostMeta(t, env, "/webhooks/messenger", metaBody(t, "messenger/text.json", func(ev map[string]any) {
			obj(ev, "message")["mid"] = "m_while_disconnected"
			obj(ev, "message")["text"] = "anyone there?"
		}))
		s = onlySession(t, ann, "MESSENGER")
		if s.Messages.TotalCount != 3 {
			t.Fatalf("%d messages, want 3 (an inbound one while disconnected)", s.Messages.TotalCount)
		}
		if !s.Contact.PrivacyRestricted {
			t.Fatal("a new message made a private customer public again")
		}

		env.Admin.MustDo(`mutation($id:ID!){ reconnectChannel(id:$id, input:{accessToken:"other"}){ id } }`, apitest.Vars{"id": ch}, nil)
		if !connected() {
			t.Fatal("reconnectChannel left the channel disconnected")
		}
		ok := send(t, ann, s.ID, apitest.Vars{"text": "Back!"})
		waitStatus(t, ann, ok, "SENT")
		if n := profileLookups(g, fbCustomer); n != 1 {
			t.Fatalf("a private customer's profile was asked for %d times, want once", n)
		}
		if c := messageSends(g, fbPageID); c[len(c)-1].Auth != "Bearer other" {
			t.Fatalf("the reply after reconnecting went with %q", c[len(c)-1].Auth)
		}

		// Graph busy: tried again until it takes it.
		g.answer(graphAnswer{Status: 400, Body: string(metaFixture(t, "meta_error_4_app_rate_limit.json"))})
		busy := send(t, ann, s.ID, apitest.Vars{"text": "Throttled"})
		waitStatus(t, ann, busy, "SENT")
		n := 0
		for _, c := range messageSends(g, fbPageID) {
			if obj(c.Body, "message")["text"] == "Throttled" {
				n++
			}
		}
		if n != 2 {
			t.Fatalf("a throttled send was tried %d times, want 2", n)
		}

		// Outside the window: failed, and it says why.
		g.answer(graphAnswer{Status: 400, Body: string(metaFixture(t, "messenger_error_outside_window.json"))})
		late := send(t, ann, s.ID, apitest.Vars{"text": "Too late"})
		m = waitStatus(t, ann, late, "FAILED")
		if m.FailureReason == nil || !strings.Contains(*m.FailureReason, "window") {
			t.Fatalf("an outside-window refusal: %+v", m)
		}
		if !connected() {
			t.Fatal("an outside-window refusal disconnected the channel")
		}
	})
}

// getText GETs a URL and returns its status, content type and body.
func getText(t *testing.T, url string) (int, string, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}

// liveEvents subscribes c to its events and returns once the subscription
// is live: a note c writes to the admin has come through it (the pings'
// events, INTERNAL messages, may still follow).
func liveEvents(t *testing.T, env *apitest.Env, c *apitest.Client) *apitest.Subscription {
	t.Helper()
	sub := c.Connect().Subscribe(`subscription { events { type message { id text direction } } }`, nil)
	var dc struct{ CreateDirectChat struct{ ID string } }
	c.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, apitest.Vars{"u": env.Admin.ID}, &dc)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"ping"}){ id } }`,
			apitest.Vars{"c": dc.CreateDirectChat.ID}, nil)
		select {
		case r, ok := <-sub.C:
			if !ok {
				t.Fatal("the events subscription ended")
			}
			_ = r
			return sub
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the events subscription never came live")
		}
	}
}

// profileLookups counts the profile API calls for a customer.
func profileLookups(g *fakeGraph, id string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, c := range g.calls {
		if c.Method == http.MethodGet && c.Path == "/v23.0/"+id {
			n++
		}
	}
	return n
}
