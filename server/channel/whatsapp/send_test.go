package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

// call is one request the fake Graph was made.
type call struct {
	Method, Path string
	Body         any
}

// fakeGraph is a Graph API on loopback: it refuses calls without the
// channel's bearer token, records the others, and answers each with the
// next of answers (status and body), then with the send fixture.
type fakeGraph struct {
	srv     *httptest.Server
	mu      sync.Mutex
	calls   []call
	answers []answer
}

type answer struct {
	status int
	body   string
}

func newGraph(t *testing.T, answers ...answer) *fakeGraph {
	g := &fakeGraph{answers: answers}
	ok := string(fixture(t, "wa_send.response.json"))
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-ch_1" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, string(fixture(t, "meta_error_190.json")))
			return
		}
		var body any
		raw, _ := io.ReadAll(r.Body)
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Errorf("a body that is not JSON: %q", raw)
			}
			if r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", r.Header.Get("Content-Type"))
			}
		}
		g.mu.Lock()
		g.calls = append(g.calls, call{r.Method, r.URL.Path, body})
		a := answer{200, ok}
		if len(g.answers) > 0 {
			a, g.answers = g.answers[0], g.answers[1:]
		}
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGraph) provider() Provider {
	return Provider{Graph: meta.Graph{Base: g.srv.URL + "/v23.0", Client: g.srv.Client()},
		MediaURL: func(id string) string { return "https://parley.example.com/media/" + id }}
}

// decoded is a fixture's JSON, changed by edit.
func decoded(t *testing.T, name string, edit func(m map[string]any)) any {
	var m map[string]any
	if err := json.Unmarshal(fixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	return m
}

func outbound() channel.Outbound {
	return channel.Outbound{Channel: testChannel("ch_1", testNumber),
		Contact: channel.Contact{ExternalID: "16505551234", Phone: "+16505551234"}, MessageID: "msg_1"}
}

const sentID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA" // wa_send.response.json

func TestSendBodies(t *testing.T) {
	media := func(typ, link string) func(m map[string]any) {
		return func(m map[string]any) {
			o := m[typ].(map[string]any)
			delete(o, "id")
			o["link"] = link
		}
	}
	for _, c := range []struct {
		name string
		edit func(o *channel.Outbound)
		want []any
	}{
		{"text", func(o *channel.Outbound) { o.Text = "Yes, it also comes in blue." },
			[]any{decoded(t, "wa_send_text.request.json", nil)}},
		{"text to a phone", func(o *channel.Outbound) { o.Contact.ExternalID, o.Text = "", "Yes, it also comes in blue." },
			[]any{decoded(t, "wa_send_text.request.json", nil)}},
		{"reply", func(o *channel.Outbound) {
			o.Text, o.ReplyToProviderID = "Yes, it also comes in blue.", "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
		}, []any{decoded(t, "wa_send_reply.request.json", nil)}},
		{"template", func(o *channel.Outbound) {
			o.Template = &channel.Template{Name: "order_update", Language: "en_US", Parameters: []string{"#1042"}}
		}, []any{decoded(t, "wa_send_template.request.json", nil)}},
		{"image", func(o *channel.Outbound) {
			o.Text, o.Attachments = "The blue one", []channel.Attachment{{ID: "blue.jpg", ContentType: "image/jpeg", Filename: "blue.jpg"}}
		}, []any{decoded(t, "wa_send_image_link.request.json", nil)}},
		{"document", func(o *channel.Outbound) {
			o.Text = "Your invoice"
			o.Attachments = []channel.Attachment{{ID: "at_9", ContentType: "application/pdf", Filename: "invoice-1042.pdf"}}
		}, []any{decoded(t, "wa_send_document_id.request.json", media("document", "https://parley.example.com/media/at_9"))}},
		{"audio and its text", func(o *channel.Outbound) {
			o.Text = "Yes, it also comes in blue."
			o.Attachments = []channel.Attachment{{ID: "at_8", ContentType: "audio/ogg", Filename: "note.ogg"}}
		}, []any{decoded(t, "wa_send_text.request.json", nil),
			decoded(t, "wa_send_audio_id.request.json", media("audio", "https://parley.example.com/media/at_8"))}},
		{"caption on the first that takes one", func(o *channel.Outbound) {
			o.Text = "Your invoice"
			o.Attachments = []channel.Attachment{{ID: "at_8", ContentType: "audio/mpeg"},
				{ID: "at_9", ContentType: "application/pdf", Filename: "invoice-1042.pdf"}}
		}, []any{decoded(t, "wa_send_audio_id.request.json", media("audio", "https://parley.example.com/media/at_8")),
			decoded(t, "wa_send_document_id.request.json", media("document", "https://parley.example.com/media/at_9"))}},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := newGraph(t)
			o := outbound()
			c.edit(&o)
			id, err := g.provider().Send(context.Background(), o)
			if err != nil || id != sentID {
				t.Fatalf("%q %v", id, err)
			}
			if len(g.calls) != len(c.want) {
				t.Fatalf("%d calls, want %d", len(g.calls), len(c.want))
			}
			for i, got := range g.calls {
				if got.Method != http.MethodPost || got.Path != "/v23.0/"+testNumber+"/messages" {
					t.Fatalf("%s %s", got.Method, got.Path)
				}
				if want := normal(t, c.want[i]); !reflect.DeepEqual(got.Body, want) {
					t.Fatalf("body %d\n got %v\nwant %v", i, got.Body, want)
				}
			}
		})
	}
}

// normal is v as a decoder of the request reads it.
func normal(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func TestSendErrors(t *testing.T) {
	outside := `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,` +
		`"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed"}}}`
	for _, c := range []struct {
		name  string
		a     answer
		check func(error) bool
	}{
		{"190", answer{401, string(fixture(t, "meta_error_190.json"))}, func(err error) bool { return errors.Is(err, channel.ErrSyncLost) }},
		{"4", answer{400, string(fixture(t, "meta_error_4_app_rate_limit.json"))}, channel.IsTemporary},
		{"80007", answer{429, string(fixture(t, "meta_error_80007_business_rate_limit.json"))}, channel.IsTemporary},
		{"130429", answer{400, string(fixture(t, "wa_error_130429_throughput.json"))}, channel.IsTemporary},
		{"500", answer{500, "<html>oops</html>"}, channel.IsTemporary},
		{"131047", answer{400, outside}, func(err error) bool {
			return err != nil && !channel.IsTemporary(err) && !errors.Is(err, channel.ErrSyncLost) &&
				strings.Contains(err.Error(), "131047") && strings.Contains(err.Error(), "template")
		}},
		{"no id", answer{200, `{"messages":[]}`}, func(err error) bool { return err != nil && !channel.IsTemporary(err) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := outbound()
			o.Text = "hi"
			_, err := newGraph(t, c.a).provider().Send(context.Background(), o)
			if !c.check(err) {
				t.Fatalf("err %v", err)
			}
		})
	}
}

// A file that fails after the text went out is final: a retry would send
// the text twice.
func TestSendPartialFailureIsFinal(t *testing.T) {
	g := newGraph(t, answer{200, `{"messages":[{"id":"wamid.first"}]}`}, answer{400, string(fixture(t, "wa_error_130429_throughput.json"))})
	o := outbound()
	o.Text = "listen"
	o.Attachments = []channel.Attachment{{ID: "at_1", ContentType: "audio/mpeg"}}
	_, err := g.provider().Send(context.Background(), o)
	if err == nil || channel.IsTemporary(err) || len(g.calls) != 2 {
		t.Fatalf("err %v after %d calls", err, len(g.calls))
	}
}

func TestSendRefusals(t *testing.T) {
	g := newGraph(t)
	o := outbound()
	o.Text = "hi"
	o.Channel.Credentials = map[string]string{}
	if _, err := g.provider().Send(context.Background(), o); !errors.Is(err, channel.ErrSyncLost) {
		t.Fatalf("no token: %v", err)
	}
	o = outbound()
	o.Attachments = []channel.Attachment{{ID: "at_1", ContentType: "image/png"}}
	if _, err := (Provider{Graph: g.provider().Graph}).Send(context.Background(), o); !errors.Is(err, ErrNoMedia) {
		t.Fatalf("no MediaURL: %v", err)
	}
	if _, err := g.provider().Send(context.Background(), outbound()); err == nil {
		t.Fatal("an empty message was sent")
	}
	if len(g.calls) != 0 {
		t.Fatalf("%d calls", len(g.calls))
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	o = outbound()
	o.Text = "hi"
	if _, err := (Provider{Graph: meta.Graph{Base: srv.URL}}).Send(context.Background(), o); !channel.IsTemporary(err) {
		t.Fatalf("unreachable: %v", err)
	}
}

func TestMarkRead(t *testing.T) {
	g := newGraph(t, answer{200, `{"success":true}`})
	const id = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
	if err := g.provider().MarkRead(context.Background(), testChannel("ch_1", testNumber), channel.Contact{ExternalID: "16505551234"}, id); err != nil {
		t.Fatal(err)
	}
	if len(g.calls) != 1 || g.calls[0].Path != "/v23.0/"+testNumber+"/messages" ||
		!reflect.DeepEqual(g.calls[0].Body, normal(t, decoded(t, "wa_mark_read.request.json", nil))) {
		t.Fatalf("%+v", g.calls)
	}
	err := newGraph(t, answer{401, string(fixture(t, "meta_error_190.json"))}).provider().
		MarkRead(context.Background(), testChannel("ch_1", testNumber), channel.Contact{}, id)
	if !errors.Is(err, channel.ErrSyncLost) {
		t.Fatalf("err %v", err)
	}
}

func TestFetchMedia(t *testing.T) {
	const file = "\xff\xd8 a jpeg"
	var graph *fakeGraph
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-ch_1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, file)
	}))
	defer files.Close()
	info := strings.Replace(string(fixture(t, "wa_media_get.response.json")), "https://lookaside.fbsbx.com", files.URL, 1)
	graph = newGraph(t, answer{200, info})
	p := graph.provider()
	p.Graph.Client = http.DefaultClient // one client for both servers on loopback
	ch := testChannel("ch_1", testNumber)
	rc, err := p.FetchMedia(context.Background(), ch, channel.MediaRef{ID: "1003383421387256", ContentType: "image/jpeg"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != file || len(graph.calls) != 1 || graph.calls[0].Method != http.MethodGet || graph.calls[0].Path != "/v23.0/1003383421387256" {
		t.Fatalf("%q %+v", got, graph.calls)
	}
	// A URL only (newer payloads): fetched directly, with the token.
	rc, err = p.FetchMedia(context.Background(), ch, channel.MediaRef{URL: files.URL + "/whatsapp_business/attachments/?mid=1"})
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	// Without the token the file server refuses, and that is final.
	bad := testChannel("ch_1", testNumber)
	bad.Credentials[meta.AccessToken] = "stale"
	if _, err := p.FetchMedia(context.Background(), bad, channel.MediaRef{URL: files.URL + "/x"}); err == nil || channel.IsTemporary(err) {
		t.Fatalf("401: %v", err)
	}
	// Graph refusing the token: final, the channel must be reconnected.
	if _, err := p.FetchMedia(context.Background(), bad, channel.MediaRef{ID: "1"}); !errors.Is(err, channel.ErrSyncLost) || channel.IsTemporary(err) {
		t.Fatalf("190: %v", err)
	}
	// Graph busy: tried again later.
	busy := newGraph(t, answer{500, ""}).provider()
	if _, err := busy.FetchMedia(context.Background(), ch, channel.MediaRef{ID: "1"}); !channel.IsTemporary(err) {
		t.Fatalf("500: %v", err)
	}
}

func TestCheckOutbound(t *testing.T) {
	p := Provider{}
	file := func(ct string, size int64) []channel.Attachment {
		return []channel.Attachment{{ID: "a", ContentType: ct, Size: size}}
	}
	for _, c := range []struct {
		text  string
		files []channel.Attachment
		code  apperr.Code
		max   int64
	}{
		{strings.Repeat("é", 4096), nil, "", 0},
		{strings.Repeat("é", 4097), nil, apperr.TextTooLong, 4096},
		{strings.Repeat("x", 1024), file("image/jpeg", 1), "", 0},
		{strings.Repeat("x", 1025), file("image/jpeg", 1), apperr.TextTooLong, 1024},
		{strings.Repeat("x", 2000), file("audio/mpeg", 1), "", 0}, // sent as a text of its own
		{"", file("image/jpeg", 5*channel.MiB), "", 0},
		{"", file("image/png", 5*channel.MiB+1), apperr.FileTooLarge, 5 * channel.MiB},
		{"", file("audio/ogg; codecs=opus", 16*channel.MiB+1), apperr.FileTooLarge, 16 * channel.MiB},
		{"", file("video/mp4", 16*channel.MiB+1), apperr.FileTooLarge, 16 * channel.MiB},
		{"", file("application/pdf", 99*channel.MiB), "", 0},
		{"", file("image/gif", 50*channel.MiB), "", 0}, // a document to WhatsApp
	} {
		err := p.CheckOutbound(c.text, c.files)
		if c.code == "" {
			if err != nil {
				t.Errorf("%d runes, %+v: %v", len([]rune(c.text)), c.files, err)
			}
			continue
		}
		e, ok := apperr.As(err)
		if !ok || e.Code != c.code || toInt64(e.Extensions["max"]) != c.max || !strings.Contains(e.Message, "WhatsApp") {
			t.Errorf("%d runes, %+v: %v %+v", len([]rune(c.text)), c.files, err, e)
		}
	}
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	}
	return -1
}
