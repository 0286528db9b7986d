package instagram

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

const (
	secret   = "parley-test-app-secret"
	account  = "17841405309211844"
	customer = "1914016185466021"
	lastMid  = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1MzA5MjExODQ0OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTk5OTc4MzQ3OTg5NTYyNTo5ODc2NTQzMjEwOTg3NjU0MzIx"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func one(t *testing.T, body []byte) meta.Part {
	t.Helper()
	parts, err := parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1 || parts[0].Account != account {
		t.Fatalf("parts %+v", parts)
	}
	return parts[0]
}

func onlyMessage(t *testing.T, body []byte) channel.InboundMessage {
	t.Helper()
	p := one(t, body)
	if len(p.Messages) != 1 || len(p.Statuses) != 0 {
		t.Fatalf("%+v", p)
	}
	return p.Messages[0]
}

func TestDirectMessages(t *testing.T) {
	m := onlyMessage(t, fixture(t, "text.json"))
	if m.Text != "Hi! Is the blue one in stock?" || m.Contact.ExternalID != customer || !strings.HasPrefix(m.ProviderID, "aWdf") || m.Echo {
		t.Fatalf("%+v", m)
	}
	m = onlyMessage(t, fixture(t, "image.json"))
	if m.Kind != channel.KindImage || len(m.Media) != 1 || !strings.HasPrefix(m.Media[0].URL, "https://lookaside.fbsbx.com/") {
		t.Fatalf("%+v", m)
	}
	m = onlyMessage(t, fixture(t, "echo.json"))
	if !m.Echo || m.Contact.ExternalID != customer || m.Text != "Yes, it is!" || m.ProviderID != lastMid {
		t.Fatalf("%+v", m)
	}
	own := strings.Replace(string(fixture(t, "echo.json")), `"is_echo": true`, `"is_echo": true, "metadata": "parley:01HMSG"`, 1)
	if p := one(t, []byte(own)); len(p.Messages) != 0 {
		t.Fatalf("Parley's own send came back: %+v", p.Messages)
	}
}

func TestSeen(t *testing.T) {
	p := one(t, fixture(t, "read.json"))
	want := channel.StatusUpdate{ProviderMessageID: lastMid, Status: channel.StatusRead, AndEarlier: true}
	if len(p.Messages) != 0 || len(p.Statuses) != 1 || p.Statuses[0] != want {
		t.Fatalf("%+v", p)
	}
	// A watermark instead, as Messenger sends it.
	p = one(t, []byte(`{"object":"instagram","entry":[{"id":"`+account+`","messaging":[{"sender":{"id":"`+customer+`"},"recipient":{"id":"`+account+`"},"read":{"watermark":1569262490000}}]}]}`))
	if len(p.Statuses) != 1 || p.Statuses[0].Contact != customer || p.Statuses[0].Watermark.UnixMilli() != 1569262490000 {
		t.Fatalf("%+v", p.Statuses)
	}
}

func TestUnsendReelAndStoryMention(t *testing.T) {
	from := `"sender":{"id":"` + customer + `"},"recipient":{"id":"` + account + `"},"timestamp":1569262485349`
	p := one(t, []byte(`{"object":"instagram","entry":[{"id":"`+account+`","messaging":[
	 {`+from+`,"message":{"mid":"m_gone","is_deleted":true}},
	 {`+from+`,"message":{"mid":"m_reel","attachments":[{"type":"ig_reel","payload":{"url":"https://lookaside.fbsbx.com/r","title":"Reel","reel_video_id":"1"}}]}},
	 {`+from+`,"message":{"mid":"m_story","attachments":[{"type":"story_mention","payload":{"url":"https://lookaside.fbsbx.com/s"}}]}},
	 {`+from+`,"message":{"mid":"m_odd","is_unsupported":true}}]}]}`))
	m := p.Messages
	if len(m) != 4 || m[0].Change != channel.ChangeRemove || m[0].ProviderID != "m_gone" ||
		m[1].Kind != channel.KindVideo || len(m[1].Media) != 1 ||
		m[2].ProviderKind != "story_mention" || m[2].Text != "https://lookaside.fbsbx.com/s" || len(m[2].Media) != 0 ||
		m[3].ProviderKind != "unsupported" {
		t.Fatalf("%+v", m)
	}
}

func TestComments(t *testing.T) {
	m := onlyMessage(t, fixture(t, "comment.json"))
	if m.Kind != channel.KindComment || m.ProviderID != "17919697626119712" || m.Text != "Do you ship to Canada?" ||
		m.Contact != (channel.InboundContact{ExternalID: customer, Name: "sheena.nelson", Nickname: "sheena.nelson"}) ||
		m.Post == nil || *m.Post != (channel.Post{ID: "18172143295349192"}) || m.ReplyToProviderID != "" || m.Echo {
		t.Fatalf("%+v", m)
	}
	m = onlyMessage(t, fixture(t, "comment_reply.json"))
	if m.ReplyToProviderID != "17919697626119712" || m.Contact.Nickname != "another.customer" || m.ProviderID != "17919697626119999" {
		t.Fatalf("%+v", m)
	}
	own := strings.Replace(string(fixture(t, "comment_reply.json")), `"id": "2105722729836161"`, `"id": "`+account+`"`, 1)
	if m = onlyMessage(t, []byte(own)); !m.Echo {
		t.Fatalf("the account's own comment: %+v", m)
	}
	live := strings.Replace(string(fixture(t, "comment.json")), `"field": "comments"`, `"field": "live_comments"`, 1)
	if m = onlyMessage(t, []byte(live)); m.Kind != channel.KindComment {
		t.Fatalf("%+v", m)
	}
	mention := strings.Replace(string(fixture(t, "comment.json")), `"field": "comments"`, `"field": "mentions"`, 1)
	if p := one(t, []byte(mention)); len(p.Messages) != 0 {
		t.Fatalf("%+v", p)
	}
}

func TestBadShapes(t *testing.T) {
	for _, body := range []string{`[]`, `{"object":"page","entry":[]}`,
		`{"object":"instagram","entry":[{"id":"1","changes":[{"field":"comments","value":{"id":{}}}]}]}`} {
		if _, err := parse([]byte(body)); apperr.CodeOf(err) != apperr.BadUserInput {
			t.Errorf("%.60s: %v", body, err)
		}
	}
}

type lookup []channel.Channel

func (l lookup) ByID(_ context.Context, id string) (channel.Channel, error) {
	for _, c := range l {
		if c.ID == id {
			return c, nil
		}
	}
	return channel.Channel{}, channel.ErrUnknownChannel
}

func (l lookup) ByExternalID(_ context.Context, k channel.Kind, ext string) (channel.Channel, error) {
	for _, c := range l {
		if c.Kind == k && c.ExternalID == ext {
			return c, nil
		}
	}
	return channel.Channel{}, channel.ErrUnknownChannel
}

func (l lookup) OfKind(_ context.Context, k channel.Kind) ([]channel.Channel, error) {
	return []channel.Channel(l), nil
}

func igChannel(id, ext string) channel.Channel {
	return channel.Channel{ID: id, Kind: channel.Instagram, ExternalID: ext,
		Credentials: map[string]string{meta.AppSecret: secret, meta.VerifyToken: "verify-me", meta.AccessToken: "page-token"}}
}

func TestSignedRouting(t *testing.T) {
	body := []byte(`{"object":"instagram","entry":[
	 {"id":"` + account + `","time":1,"messaging":[{"sender":{"id":"` + customer + `"},"recipient":{"id":"` + account + `"},"timestamp":1,"message":{"mid":"a","text":"a"}}]},
	 {"id":"42","time":1,"changes":[{"field":"comments","value":{"id":"c1","text":"hi","from":{"id":"7","username":"u"},"media":{"id":"m"}}}]}]}`)
	channels := lookup{igChannel("ig-1", account), igChannel("ig-2", "42")}
	r := httptest.NewRequest(http.MethodPost, "/webhooks/instagram", strings.NewReader(string(body)))
	r.Header.Set(meta.SignatureHeader, meta.Signature(secret, body))
	batches, err := Provider{}.Webhook(r, channels)
	if err != nil || len(batches) != 2 || batches[1].Channel.ID != "ig-2" || batches[1].Messages[0].Kind != channel.KindComment {
		t.Fatalf("%+v %v", batches, err)
	}
	r = httptest.NewRequest(http.MethodPost, "/webhooks/instagram", strings.NewReader(string(body)))
	r.Header.Set(meta.SignatureHeader, meta.Signature("not-the-secret", body))
	if _, err := (Provider{}).Webhook(r, channels); !errors.Is(err, channel.ErrBadSignature) {
		t.Fatalf("%v", err)
	}
	w := httptest.NewRecorder()
	Provider{}.Handshake(w, httptest.NewRequest(http.MethodGet, "/webhooks/instagram?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=abc", nil), channels)
	if w.Code != http.StatusOK || w.Body.String() != "abc" {
		t.Fatalf("%d %q", w.Code, w.Body.String())
	}
}
