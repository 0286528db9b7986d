package messenger

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

const (
	secret   = "parley-test-app-secret"
	page     = "682498302938465"
	customer = "5275811702471834"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// one parses a body that must carry exactly one part for the page.
func one(t *testing.T, body []byte) meta.Part {
	t.Helper()
	parts, err := parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1 || parts[0].Account != page {
		t.Fatalf("parts %+v", parts)
	}
	return parts[0]
}

func onlyMessage(t *testing.T, name string) channel.InboundMessage {
	t.Helper()
	p := one(t, fixture(t, name))
	if len(p.Messages) != 1 || len(p.Statuses) != 0 {
		t.Fatalf("%s: %+v", name, p)
	}
	return p.Messages[0]
}

func TestText(t *testing.T) {
	m := onlyMessage(t, "text.json")
	if m.ProviderID != "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P" ||
		m.Text != "hello, world!" || m.Contact.ExternalID != customer || m.Kind != "" || m.Echo || len(m.Media) != 0 {
		t.Fatalf("%+v", m)
	}
}

func TestImageAndAudio(t *testing.T) {
	for name, kind := range map[string]channel.MessageKind{"image.json": channel.KindImage, "audio.json": channel.KindAudio} {
		m := onlyMessage(t, name)
		if m.Kind != kind || len(m.Media) != 1 || !strings.HasPrefix(m.Media[0].URL, "https://") || m.ProviderID == "" || m.Contact.ExternalID != customer {
			t.Errorf("%s: %+v", name, m)
		}
	}
}

func TestDeliveryAndReadWatermarks(t *testing.T) {
	for name, st := range map[string]channel.Status{"delivery.json": channel.StatusDelivered, "read.json": channel.StatusRead} {
		p := one(t, fixture(t, name))
		want := channel.StatusUpdate{Status: st, Contact: customer, Watermark: time.UnixMilli(1458668856253)}
		if len(p.Messages) != 0 || len(p.Statuses) != 1 || p.Statuses[0] != want {
			t.Errorf("%s: %+v", name, p)
		}
	}
	// No watermark: one receipt per listed message.
	p := one(t, []byte(`{"object":"page","entry":[{"id":"`+page+`","messaging":[{"sender":{"id":"`+customer+`"},"recipient":{"id":"`+page+`"},"delivery":{"mids":["m_1","m_2"]}}]}]}`))
	if len(p.Statuses) != 2 || p.Statuses[1] != (channel.StatusUpdate{ProviderMessageID: "m_2", Status: channel.StatusDelivered}) {
		t.Fatalf("%+v", p.Statuses)
	}
}

func TestEchoes(t *testing.T) {
	m := onlyMessage(t, "echo.json")
	if !m.Echo || m.Contact.ExternalID != customer || m.Text != "Hello!" {
		t.Fatalf("%+v", m)
	}
	own := strings.Replace(string(fixture(t, "echo.json")), `"is_echo": true,`, `"is_echo": true, "metadata": "parley:01HXYZ",`, 1)
	if p := one(t, []byte(own)); len(p.Messages) != 0 {
		t.Fatalf("Parley's own send came back: %+v", p.Messages)
	}
	other := strings.Replace(string(fixture(t, "echo.json")), `"is_echo": true,`, `"is_echo": true, "metadata": "someone else",`, 1)
	if p := one(t, []byte(other)); len(p.Messages) != 1 || !p.Messages[0].Echo {
		t.Fatalf("%+v", p.Messages)
	}
}

func TestFeedComment(t *testing.T) {
	m := onlyMessage(t, "feed_comment.json")
	want := channel.Post{ID: "682498302938465_122131676912594941"}
	if m.Kind != channel.KindComment || m.ProviderID != "122131676912594941_1213590066982748" || m.Text != "Do you have this in blue?" ||
		m.Contact != (channel.InboundContact{ExternalID: "7230612345678901", Name: "Sheena Nelson"}) ||
		m.Post == nil || *m.Post != want || m.ReplyToProviderID != "" || m.Echo || m.Change != channel.ChangeNew {
		t.Fatalf("%+v", m)
	}
	feed := func(value string) []byte {
		return []byte(`{"object":"page","entry":[{"id":"` + page + `","time":1742667607,"changes":[{"field":"feed","value":` + value + `}]}]}`)
	}
	reply := one(t, feed(`{"item":"comment","verb":"add","comment_id":"P_C2","post_id":"`+page+`_P","parent_id":"P_C1",
		"from":{"id":"`+page+`","name":"The Shop"},"message":"Yes!","post":{"permalink_url":"https://www.facebook.com/p/1","message":"New sofa"}}`)).Messages
	if len(reply) != 1 || reply[0].ReplyToProviderID != "P_C1" || !reply[0].Echo ||
		*reply[0].Post != (channel.Post{ID: page + "_P", URL: "https://www.facebook.com/p/1", Text: "New sofa"}) {
		t.Fatalf("%+v", reply)
	}
	edited := one(t, feed(`{"item":"comment","verb":"edited","comment_id":"P_C2","post_id":"P","message":"Now in red?","from":{"id":"9"}}`)).Messages
	removed := one(t, feed(`{"item":"comment","verb":"remove","comment_id":"P_C2","post_id":"P","from":{"id":"9"}}`)).Messages
	if len(edited) != 1 || edited[0].Change != channel.ChangeEdit || edited[0].Text != "Now in red?" ||
		len(removed) != 1 || removed[0].Change != channel.ChangeRemove || removed[0].ProviderID != "P_C2" {
		t.Fatalf("%+v %+v", edited, removed)
	}
	for _, v := range []string{`{"item":"reaction","verb":"add","post_id":"P"}`, `{"item":"status","verb":"add"}`,
		`{"item":"comment","verb":"unhide","comment_id":"C"}`, `{"item":"comment","verb":"add"}`} {
		if p := one(t, feed(v)); len(p.Messages) != 0 {
			t.Errorf("%s: %+v", v, p.Messages)
		}
	}
}

// Reactions, postbacks, standby events, stickers, shares and replies;
// events Parley has no use for are skipped.
func TestOtherEvents(t *testing.T) {
	ev := func(events ...string) []byte {
		return []byte(`{"object":"page","entry":[{"id":"` + page + `","standby":[` + events[0] + `],"messaging":[` + strings.Join(events[1:], ",") + `]}]}`)
	}
	from := `"sender":{"id":"` + customer + `"},"recipient":{"id":"` + page + `"},"timestamp":1700000000000`
	p := one(t, ev(
		`{`+from+`,"message":{"mid":"m_standby","text":"in standby"}}`,
		`{`+from+`,"reaction":{"mid":"m_1","action":"react","emoji":"❤️","reaction":"love"}}`,
		`{`+from+`,"reaction":{"mid":"m_1","action":"unreact"}}`,
		`{`+from+`,"postback":{"title":"Get started","payload":"START"}}`,
		`{`+from+`,"message":{"mid":"m_s","attachments":[{"type":"sticker","payload":{"url":"https://cdn/s.png","sticker_id":369239263222822}},{"type":"image","payload":{"url":"https://cdn/s2.png","sticker_id":369239263222822}}]}}`,
		`{`+from+`,"message":{"mid":"m_share","text":"look","reply_to":{"mid":"m_0"},"attachments":[{"type":"fallback","payload":{"url":"https://example.com/x","title":"X"}}]}}`,
		`{`+from+`,"optin":{"ref":"x"}}`,
		`{`+from+`,"referral":{"ref":"x"}}`,
	))
	if len(p.Statuses) != 0 || len(p.Messages) != 6 {
		t.Fatalf("%+v", p)
	}
	m := p.Messages
	if m[5].ProviderID != "m_standby" || m[5].Text != "in standby" {
		t.Fatalf("%+v", m[5])
	}
	react, unreact := m[0].Reaction, m[1].Reaction
	if react == nil || *react != (channel.Reaction{ToProviderID: "m_1", Emoji: "❤️"}) ||
		unreact == nil || *unreact != (channel.Reaction{ToProviderID: "m_1"}) || m[0].ProviderID == m[1].ProviderID {
		t.Fatalf("%+v", m[:2])
	}
	if m[2].ProviderKind != "postback" || m[2].Text != "Get started" || m[2].ProviderID == "" {
		t.Fatalf("%+v", m[2])
	}
	if m[3].Kind != channel.KindImage || m[3].ProviderKind != "sticker" || len(m[3].Media) != 1 {
		t.Fatalf("%+v", m[3])
	}
	if m[4].ProviderKind != "fallback" || m[4].Text != "look\nX\nhttps://example.com/x" || m[4].ReplyToProviderID != "m_0" || len(m[4].Media) != 0 {
		t.Fatalf("%+v", m[4])
	}
}

func TestBadShapes(t *testing.T) {
	long := strings.Repeat("9", 300)
	for _, body := range []string{
		`not json`, `{"object":"instagram","entry":[]}`, `{"object":"page","entry":[{"id":"` + long + `"}]}`,
		`{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"message":{"mid":"` + long + `"}}]}]}`,
		`{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"message":{"mid":"m","text":5}}]}]}`,
		`{"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":[1]}]}]}`,
	} {
		if _, err := parse([]byte(body)); apperr.CodeOf(err) != apperr.BadUserInput {
			t.Errorf("%.60s: %v", body, err)
		}
	}
}

// lookup is channels by id and external id.
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
	var out []channel.Channel
	for _, c := range l {
		if c.Kind == k {
			out = append(out, c)
		}
	}
	return out, nil
}

func pageChannel(id, ext string) channel.Channel {
	return channel.Channel{ID: id, Kind: channel.Messenger, ExternalID: ext,
		Credentials: map[string]string{meta.AppSecret: secret, meta.VerifyToken: "verify-me", meta.AccessToken: "page-token"}}
}

func post(body []byte, signature string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/messenger", strings.NewReader(string(body)))
	if signature != "" {
		r.Header.Set(meta.SignatureHeader, signature)
	}
	return r
}

func TestSignedRoutingSplitsPages(t *testing.T) {
	body := []byte(`{"object":"page","entry":[
	 {"id":"` + page + `","time":1,"messaging":[{"sender":{"id":"` + customer + `"},"recipient":{"id":"` + page + `"},"timestamp":1,"message":{"mid":"m_a","text":"a"}}]},
	 {"id":"222","time":1,"messaging":[{"sender":{"id":"u2"},"recipient":{"id":"222"},"timestamp":1,"message":{"mid":"m_b","text":"b"}}]},
	 {"id":"333","time":1,"messaging":[{"sender":{"id":"u3"},"recipient":{"id":"333"},"timestamp":1,"message":{"mid":"m_c","text":"c"}}]},
	 {"id":"` + page + `","time":1,"messaging":[{"sender":{"id":"` + customer + `"},"recipient":{"id":"` + page + `"},"read":{"watermark":5}}]}]}`)
	channels := lookup{pageChannel("ch-1", page), pageChannel("ch-2", "222")}
	batches, err := Provider{}.Webhook(post(body, meta.Signature(secret, body)), channels)
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) != 2 || batches[0].Channel.ID != "ch-1" || len(batches[0].Messages) != 1 || len(batches[0].Statuses) != 1 ||
		batches[1].Channel.ID != "ch-2" || len(batches[1].Messages) != 1 || batches[1].Messages[0].ProviderID != "m_b" {
		t.Fatalf("%+v", batches)
	}
	for _, sig := range []string{"", meta.Signature("wrong", body), "sha256=00"} {
		if _, err := (Provider{}).Webhook(post(body, sig), channels); !errors.Is(err, channel.ErrBadSignature) {
			t.Errorf("signature %q: %v", sig, err)
		}
	}
	// Through the channel's own path, the fixture.
	text := fixture(t, "text.json")
	r := post(text, meta.Signature(secret, text))
	r.SetPathValue("channelId", "ch-1")
	if b, err := (Provider{}).Webhook(r, channels); err != nil || len(b) != 1 || len(b[0].Messages) != 1 {
		t.Fatalf("%+v %v", b, err)
	}
}

func TestHandshake(t *testing.T) {
	channels := lookup{pageChannel("ch-1", page)}
	for token, want := range map[string]int{"verify-me": http.StatusOK, "nope": http.StatusForbidden} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/webhooks/messenger?hub.mode=subscribe&hub.verify_token="+token+"&hub.challenge=1158201444", nil)
		Provider{}.Handshake(w, r, channels)
		if w.Code != want || want == http.StatusOK && w.Body.String() != "1158201444" {
			t.Errorf("%s: %d %q", token, w.Code, w.Body.String())
		}
	}
}
