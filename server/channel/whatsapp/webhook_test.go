package whatsapp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

const (
	testSecret = "parley-test-app-secret"
	testNumber = "106540352242922" // the fixtures' phone_number_id
)

// lookup is a few channels, found as the app's store would.
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

func testChannel(id, number string) channel.Channel {
	return channel.Channel{ID: id, Kind: channel.WhatsApp, ExternalID: number, Credentials: map[string]string{
		meta.AccessToken: "tok-" + id, meta.AppSecret: testSecret, meta.VerifyToken: "parley-verify-token-123"}}
}

var channels = lookup{testChannel("ch_1", testNumber), testChannel("ch_2", "200000000000002")}

// routed is r as the app's routes hand it over, path values set.
func routed(r *http.Request) *http.Request {
	mux := http.NewServeMux()
	var out *http.Request
	for _, p := range []string{"/webhooks/{kind}", "/webhooks/{kind}/{channelId}", "/webhooks/{kind}/{channelId}/{event}"} {
		mux.HandleFunc(p, func(_ http.ResponseWriter, r *http.Request) { out = r })
	}
	mux.ServeHTTP(httptest.NewRecorder(), r)
	return out
}

// post is a webhook POST of body to path, signed with secret ("" unsigned).
func post(path string, body []byte, secret string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	if secret != "" {
		r.Header.Set(meta.SignatureHeader, meta.Signature(secret, body))
	}
	return routed(r)
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// one parses a fixture that carries one event for the fixtures' number.
func one(t *testing.T, name string) meta.Part {
	t.Helper()
	parts, err := parse(fixture(t, name))
	if err != nil || len(parts) != 1 || parts[0].Account != testNumber || len(parts[0].Messages)+len(parts[0].Statuses) != 1 {
		t.Fatalf("%s: %+v %v", name, parts, err)
	}
	return parts[0]
}

func TestParseMessages(t *testing.T) {
	sheena := channel.InboundContact{ExternalID: "16505551234", Phone: "+16505551234", Name: "Sheena Nelson"}
	for _, c := range []struct {
		file string
		want channel.InboundMessage
	}{
		{"text.json", channel.InboundMessage{ProviderID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
			Contact: sheena, Kind: channel.KindText, Text: "Does it come in another color?"}},
		{"text_unicode_escaped.json", channel.InboundMessage{ProviderID: "wamid.HBgLMTk4MzU1NTIzMTkVAgASGBQzQUQ3QzQ1RjY3MjE4NzE5MTQ2MAA=",
			Contact: channel.InboundContact{ExternalID: "19835552319", Phone: "+19835552319", Name: "Lucía Gómez"},
			Kind:    channel.KindText, Text: "¿Tienen envío a Canadá? 😊"}},
		{"image.json", channel.InboundMessage{ProviderID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
			Contact: sheena, Kind: channel.KindImage, Text: "Taj Mahal",
			Media: []channel.MediaRef{{ID: "1003383421387256", ContentType: "image/jpeg"}}}},
		{"voice.json", channel.InboundMessage{ProviderID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUI5Q0I4QTZGRjQ3RkI1RjdGMQA=",
			Contact: sheena, Kind: channel.KindAudio,
			Media: []channel.MediaRef{{ID: "1146425073957193", ContentType: "audio/ogg; codecs=opus"}}}},
		{"audio_file.json", channel.InboundMessage{ProviderID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUY3QTIxNEQ2N0FGQzIyQzk3OQA=",
			Contact: sheena, Kind: channel.KindAudio,
			Media: []channel.MediaRef{{ID: "1268899114460135", ContentType: "audio/mpeg"}}}},
		{"document.json", channel.InboundMessage{ProviderID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTc5RDk1MDVFQTgwNzc2OEQ3NgA=",
			Contact: sheena, Kind: channel.KindFile, Text: "Receipt for order 1042",
			Media: []channel.MediaRef{{ID: "2004517623456789", ContentType: "application/pdf", Filename: "receipt.pdf"}}}},
		{"reaction.json", channel.InboundMessage{ProviderID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
			Contact:  sheena,
			Reaction: &channel.Reaction{ToProviderID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA", Emoji: "👍"}}},
		{"unsupported.json", channel.InboundMessage{ProviderID: "wamid.HBgLMTQyMDU1NTA3NDkVAgASGBI5N0MwRjg0RTVBNUI1RDA2OTkA",
			Contact: sheena, ProviderKind: "unsupported", Text: unreadable}},
	} {
		t.Run(c.file, func(t *testing.T) {
			got := one(t, c.file).Messages
			if len(got) != 1 || !equalMessage(got[0], c.want) {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func equalMessage(a, b channel.InboundMessage) bool {
	if (a.Reaction == nil) != (b.Reaction == nil) || a.Reaction != nil && *a.Reaction != *b.Reaction || len(a.Media) != len(b.Media) {
		return false
	}
	for i := range a.Media {
		if a.Media[i] != b.Media[i] {
			return false
		}
	}
	a.Reaction, b.Reaction, a.Media, b.Media = nil, nil, nil, nil
	return a.ProviderID == b.ProviderID && a.Contact == b.Contact && a.Kind == b.Kind && a.Text == b.Text &&
		a.ProviderKind == b.ProviderKind && a.ReplyToProviderID == b.ReplyToProviderID
}

func TestParseStatuses(t *testing.T) {
	const id = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA"
	for file, want := range map[string]channel.Status{"status_sent.json": channel.StatusSent,
		"status_delivered.json": channel.StatusDelivered, "status_read.json": channel.StatusRead, "status_failed.json": channel.StatusFailed} {
		s := one(t, file).Statuses
		if len(s) != 1 || s[0].ProviderMessageID != id || s[0].Status != want {
			t.Fatalf("%s: %+v", file, s)
		}
		if want == channel.StatusFailed {
			if !strings.Contains(s[0].Reason, "131047") || !strings.Contains(s[0].Reason, "template") {
				t.Fatalf("reason %q", s[0].Reason)
			}
		} else if s[0].Reason != "" {
			t.Fatalf("%s: reason %q", file, s[0].Reason)
		}
	}
}

// entry is a webhook entry of number with one messages change of inner.
func entry(number, inner string) string {
	return `{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"` +
		number + `"},` + inner + `}}]}`
}

// wrap is a webhook body of entries.
func wrap(number, inner string, more ...string) string {
	return `{"object":"whatsapp_business_account","entry":[` + strings.Join(append([]string{entry(number, inner)}, more...), ",") + `]}`
}

func TestParseOtherTypes(t *testing.T) {
	const contacts = `"contacts":[{"profile":{"name":"Other"},"wa_id":"1999"},{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],`
	msg := func(typ, body string) string {
		return wrap(testNumber, contacts+`"messages":[{"from":"16505551234","id":"wamid.X","timestamp":"1","type":"`+typ+`"`+body+`}]`)
	}
	for _, c := range []struct {
		body         string
		kind         channel.MessageKind
		providerKind string
		text         string
	}{
		{msg("location", `,"location":{"latitude":38.9,"longitude":-77.03,"name":"Philz","address":"1 Main St"}`), "", "location",
			"📍 Philz, 1 Main St (38.9, -77.03)"},
		{msg("contacts", `,"contacts":[{"name":{"formatted_name":"Ann Lee"},"phones":[{"phone":"+1 555 0100"},{"phone":"+1 555 0101"}]}]`),
			"", "contacts", "👤 Ann Lee: +1 555 0100, +1 555 0101"},
		{msg("button", `,"button":{"payload":"P","text":"Yes please"}`), "", "button", "Yes please"},
		{msg("interactive", `,"interactive":{"type":"button_reply","button_reply":{"id":"b1","title":"Track order"}}`), "", "interactive", "Track order"},
		{msg("interactive", `,"interactive":{"type":"list_reply","list_reply":{"id":"l1","title":"Blue","description":"Size M"}}`), "", "interactive", "Blue — Size M"},
		{msg("sticker", `,"sticker":{"id":"77","mime_type":"image/webp","animated":false}`), channel.KindImage, "sticker", ""},
		{msg("system", `,"system":{"body":"Sheena changed her number","type":"customer_changed_number"}`), "", "system", "Sheena changed her number"},
		{msg("hologram", `,"hologram":{}`), "", "hologram", unreadable},
		{msg("unknown", ``), "", "unknown", unreadable},
		{msg("image", `,"image":"not an object"`), "", "image", unreadable}, // unreadable body: still arrives
		{msg("video", `,"video":{"id":"88","mime_type":"video/mp4","url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=88"}`),
			channel.KindVideo, "", ""},
	} {
		parts, err := parse([]byte(c.body))
		if err != nil || len(parts) != 1 || len(parts[0].Messages) != 1 {
			t.Fatalf("%s: %+v %v", c.body, parts, err)
		}
		m := parts[0].Messages[0]
		if m.Kind != c.kind || m.ProviderKind != c.providerKind || m.Text != c.text || m.Contact.Name != "Sheena" {
			t.Errorf("%s:\n got %+v", c.body, m)
		}
		if c.kind == channel.KindVideo && (len(m.Media) != 1 || m.Media[0].ID != "88" || !strings.HasPrefix(m.Media[0].URL, "https://lookaside")) {
			t.Errorf("video media %+v", m.Media)
		}
	}
}

func TestParseContextAndIdentity(t *testing.T) {
	body := wrap(testNumber, `"contacts":[{"profile":{"name":"Bee"},"user_id":"US.13491208655302741918"}],"messages":[`+
		`{"from_user_id":"US.13491208655302741918","id":"wamid.A","type":"text","text":{"body":"hi"},"context":{"from":"1555","id":"wamid.Q"}},`+
		`{"id":"wamid.B","type":"text","text":{"body":"no from"}}],"errors":[{"code":131000,"title":"Something went wrong"}]`)
	parts, err := parse([]byte(body))
	if err != nil || len(parts) != 1 || len(parts[0].Messages) != 2 {
		t.Fatalf("%+v %v", parts, err)
	}
	for _, m := range parts[0].Messages {
		if m.Contact.ExternalID != "US.13491208655302741918" || m.Contact.Phone != "" || m.Contact.Name != "Bee" {
			t.Fatalf("contact %+v", m.Contact)
		}
	}
	if parts[0].Messages[0].ReplyToProviderID != "wamid.Q" {
		t.Fatalf("reply to %q", parts[0].Messages[0].ReplyToProviderID)
	}
	// No sender at all: nothing to put it under, and no crash.
	parts, err = parse([]byte(wrap(testNumber, `"messages":[{"id":"wamid.C","type":"text"}]`)))
	if err != nil || len(parts) != 0 {
		t.Fatalf("%+v %v", parts, err)
	}
}

func TestParseBounds(t *testing.T) {
	long := strings.Repeat("x", 300)
	body := wrap(testNumber, `"contacts":[{"wa_id":"1555"}],"messages":[{"from":"1555","id":"`+long+`","type":"text"},`+
		`{"from":"`+long+`","id":"wamid.1","type":"text"},{"from":"1555","id":"wamid.2","type":"reaction","reaction":{"message_id":"","emoji":"x"}},`+
		`{"from":"1555","id":"wamid.3","type":"text","text":{"body":"`+strings.Repeat("é", maxText+10)+`"}}],`+
		`"statuses":[{"id":"wamid.S","status":"deleted"},{"id":"wamid.P","status":"played"},{"id":"`+long+`","status":"read"}]`)
	parts, err := parse([]byte(body))
	if err != nil || len(parts) != 1 {
		t.Fatalf("%+v %v", parts, err)
	}
	p := parts[0]
	if len(p.Messages) != 1 || p.Messages[0].ProviderID != "wamid.3" || len([]rune(p.Messages[0].Text)) != maxText {
		t.Fatalf("messages %d", len(p.Messages))
	}
	if len(p.Statuses) != 1 || p.Statuses[0].ProviderMessageID != "wamid.P" || p.Statuses[0].Status != channel.StatusRead {
		t.Fatalf("statuses %+v", p.Statuses)
	}
}

func TestParseRefusesWhatIsNotAWebhook(t *testing.T) {
	for _, body := range []string{``, `[]`, `"x"`, `{"object":"page","entry":[]}`, `{"object":"whatsapp_business_account","entry":{}}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":"x"}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":{}}}]}]}`} {
		if _, err := parse([]byte(body)); apperr.CodeOf(err) != apperr.BadUserInput {
			t.Errorf("%s: %v", body, err)
		}
	}
	// Another field is nothing to Parley, not an error.
	parts, err := parse([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"account_update","value":{"x":1}}]}]}`))
	if err != nil || len(parts) != 0 {
		t.Fatalf("%+v %v", parts, err)
	}
}

// One body for two numbers is one batch for each channel; a number no
// channel has is skipped.
func TestWebhookRoutesEachNumber(t *testing.T) {
	text := func(id string) string {
		return `"contacts":[{"wa_id":"1555"}],"messages":[{"from":"1555","id":"` + id + `","type":"text","text":{"body":"hi"}}]`
	}
	body := []byte(wrap(testNumber, text("wamid.one"), entry("200000000000002", text("wamid.two")), entry("999", text("wamid.nobody"))))
	parts, err := parse(body)
	if err != nil || len(parts) != 3 || parts[0].Account != testNumber || parts[1].Account != "200000000000002" {
		t.Fatalf("%+v %v", parts, err)
	}
	batches, err := Provider{}.Webhook(post("/webhooks/whatsapp", body, testSecret), channels)
	if err != nil || len(batches) != 2 {
		t.Fatalf("%+v %v", batches, err)
	}
	if batches[0].Channel.ID != "ch_1" || batches[0].Messages[0].ProviderID != "wamid.one" ||
		batches[1].Channel.ID != "ch_2" || batches[1].Messages[0].ProviderID != "wamid.two" {
		t.Fatalf("%+v", batches)
	}
}

func TestWebhookSignature(t *testing.T) {
	body := fixture(t, "text_unicode_escaped.json")
	for _, path := range []string{"/webhooks/whatsapp", "/webhooks/whatsapp/ch_1"} {
		b, err := Provider{}.Webhook(post(path, body, testSecret), channels)
		if err != nil || len(b) != 1 || b[0].Channel.ID != "ch_1" || len(b[0].Messages) != 1 {
			t.Fatalf("%s: %+v %v", path, b, err)
		}
		for _, secret := range []string{"another-secret", ""} {
			if _, err := (Provider{}).Webhook(post(path, body, secret), channels); !errors.Is(err, channel.ErrBadSignature) {
				t.Fatalf("%s signed with %q: %v", path, secret, err)
			}
		}
	}
}

func TestHandshake(t *testing.T) {
	line := strings.Fields(string(fixture(t, "verify_get.txt")))
	target := strings.Replace(line[1], "/webhooks/meta", "/webhooks/whatsapp", 1)
	for _, c := range []struct {
		target string
		status int
		body   string
	}{
		{target, 200, "1158201444"},
		{strings.Replace(target, "/webhooks/whatsapp", "/webhooks/whatsapp/ch_1", 1), 200, "1158201444"},
		{strings.Replace(target, "parley-verify-token-123", "wrong-token", 1), 403, ""},
	} {
		w := httptest.NewRecorder()
		Provider{}.Handshake(w, routed(httptest.NewRequest(http.MethodGet, c.target, nil)), channels)
		if w.Code != c.status || c.status == 200 && w.Body.String() != c.body {
			t.Fatalf("%s: %d %q", c.target, w.Code, w.Body.String())
		}
	}
}

func FuzzWebhook(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && strings.Contains(string(b), object) {
			f.Add(b)
		}
	}
	f.Add([]byte(wrap(testNumber, `"contacts":[{"wa_id":"1"}],"messages":[{"from":"1","id":"w","type":"location","location":{"latitude":"x"}}]`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := parse(body)
		if err != nil {
			if apperr.CodeOf(err) != apperr.BadUserInput {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		for _, p := range parts {
			for _, m := range p.Messages {
				if m.ProviderID == "" || len(m.ProviderID) > maxID || m.Contact.ExternalID == "" {
					t.Fatalf("message %+v", m)
				}
			}
			for _, s := range p.Statuses {
				switch s.Status {
				case channel.StatusSent, channel.StatusDelivered, channel.StatusRead, channel.StatusFailed:
				default:
					t.Fatalf("status %+v", s)
				}
				if s.ProviderMessageID == "" || len([]rune(s.Reason)) > maxReason {
					t.Fatalf("status %+v", s)
				}
			}
		}
		// Through the whole flow, signed: never a panic.
		_, _ = Provider{}.Webhook(post("/webhooks/whatsapp", body, testSecret), channels)
	})
}
