package messenger

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

// call is one request the fake Graph got.
type call struct {
	Method, Path, Query string
	Body                map[string]any
}

// graph is a fake Graph API: it checks the bearer token and answers
// each call with answer(path).
type graph struct {
	mu    sync.Mutex
	calls []call
}

func fakeGraph(t *testing.T, answer func(path string) (int, string)) (Provider, *graph) {
	t.Helper()
	g := &graph{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer page-token" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, string(fixture(t, "meta_error_190.json")))
			return
		}
		c := call{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/v23.0"), Query: r.URL.RawQuery}
		if r.Method == http.MethodPost {
			if err := json.NewDecoder(r.Body).Decode(&c.Body); err != nil {
				t.Errorf("body: %v", err)
			}
		}
		g.mu.Lock()
		g.calls = append(g.calls, c)
		g.mu.Unlock()
		status, body := answer(c.Path)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	p := Provider{Graph: meta.Graph{Base: srv.URL + "/v23.0", Client: srv.Client()},
		MediaURL: func(id string) string { return "https://parley.example.com/media/" + id + ".jpg" }}
	return p, g
}

func ok(t *testing.T) func(string) (int, string) {
	return func(string) (int, string) { return http.StatusOK, string(fixture(t, "messenger_send.response.json")) }
}

func decoded(t *testing.T, name string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(fixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameBody compares a sent body with a fixture's, its metadata aside
// (which must be Parley's).
func sameBody(t *testing.T, got map[string]any, want map[string]any, messageID string) {
	t.Helper()
	msg, _ := got["message"].(map[string]any)
	if msg["metadata"] != meta.OwnMetadata+messageID {
		t.Errorf("metadata %v", msg["metadata"])
	}
	delete(msg, "metadata")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v\nwant %v", got, want)
	}
}

func outbound() channel.Outbound {
	return channel.Outbound{Channel: pageChannel("ch-1", page), Contact: channel.Contact{ExternalID: customer}, MessageID: "01HMSG"}
}

const sentID = "m_qr6GPBlzTU4jqP0PBqaIoIAcfn2p3T7uiO5jm0L_PMTKMJhEIUGFkEKQBhGkpCnPXVZNsYdkN7A2Sel0dOz_Iw"

func TestSendBodies(t *testing.T) {
	p, g := fakeGraph(t, ok(t))
	out := outbound()
	out.Text = "Hello!"
	if id, err := p.Send(context.Background(), out); err != nil || id != sentID {
		t.Fatalf("%q %v", id, err)
	}
	out.Text, out.Tag = "Sorry for the wait - your replacement ships today.", channel.TagHumanAgent
	if _, err := p.Send(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	out.Text, out.Tag, out.Attachments = "", "", []channel.Attachment{{ID: "blue", ContentType: "image/jpeg"}}
	if _, err := p.Send(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	if len(g.calls) != 3 {
		t.Fatalf("%d calls", len(g.calls))
	}
	image := decoded(t, "messenger_send_image.request.json")
	// Parley's media URLs are short-lived: nothing for Meta to keep.
	image["message"].(map[string]any)["attachment"].(map[string]any)["payload"].(map[string]any)["is_reusable"] = false
	for i, want := range []map[string]any{decoded(t, "messenger_send_text.request.json"), decoded(t, "messenger_send_human_agent.request.json"), image} {
		if c := g.calls[i]; c.Method != http.MethodPost || c.Path != "/"+page+"/messages" {
			t.Errorf("call %d: %+v", i, c)
		}
		sameBody(t, g.calls[i].Body, want, "01HMSG")
	}
}

// Text first, then one message per file, each tagged; the last id is the message's.
func TestSendTextAndFiles(t *testing.T) {
	n := 0
	p, g := fakeGraph(t, func(string) (int, string) {
		n++
		return http.StatusOK, `{"recipient_id":"1","message_id":"m_` + string(rune('0'+n)) + `"}`
	})
	out := outbound()
	out.Text, out.Tag = "Here", channel.TagAccountUpdate
	out.Attachments = []channel.Attachment{{ID: "a", ContentType: "audio/mpeg"}, {ID: "b", ContentType: "application/pdf"}}
	id, err := p.Send(context.Background(), out)
	if err != nil || id != "m_3" || len(g.calls) != 3 {
		t.Fatalf("%q %v %d", id, err, len(g.calls))
	}
	types := []string{}
	for _, c := range g.calls {
		if c.Body["messaging_type"] != "MESSAGE_TAG" || c.Body["tag"] != channel.TagAccountUpdate {
			t.Errorf("%v", c.Body)
		}
		if a, ok := c.Body["message"].(map[string]any)["attachment"].(map[string]any); ok {
			types = append(types, a["type"].(string))
		}
	}
	if !reflect.DeepEqual(types, []string{"audio", "file"}) {
		t.Fatalf("%v", types)
	}
	if _, err := (Provider{Graph: p.Graph}).Send(context.Background(), out); !errors.Is(err, meta.ErrNoMedia) {
		t.Fatalf("no MediaURL: %v", err)
	}
}

func TestCommentReply(t *testing.T) {
	p, g := fakeGraph(t, func(string) (int, string) { return http.StatusOK, `{"id":"122131676912594941_999"}` })
	out := outbound()
	out.Text, out.Comment, out.ReplyToProviderID = "Yes, in blue too!", true, "122131676912594941_1213590066982748"
	id, err := p.Send(context.Background(), out)
	if err != nil || id != "122131676912594941_999" {
		t.Fatalf("%q %v", id, err)
	}
	want := call{Method: http.MethodPost, Path: "/122131676912594941_1213590066982748/comments", Body: map[string]any{"message": "Yes, in blue too!"}}
	if !reflect.DeepEqual(g.calls, []call{want}) {
		t.Fatalf("%+v", g.calls)
	}
}

func TestMarkSeen(t *testing.T) {
	p, g := fakeGraph(t, func(string) (int, string) { return http.StatusOK, `{"recipient_id":"` + customer + `"}` })
	if err := p.MarkRead(context.Background(), pageChannel("ch-1", page), channel.Contact{ExternalID: customer}, "m_1"); err != nil {
		t.Fatal(err)
	}
	if len(g.calls) != 1 || g.calls[0].Path != "/"+page+"/messages" || !reflect.DeepEqual(g.calls[0].Body, decoded(t, "messenger_mark_seen.request.json")) {
		t.Fatalf("%+v", g.calls)
	}
}

func TestSendErrors(t *testing.T) {
	for name, check := range map[string]func(error) bool{
		"messenger_error_outside_window.json": func(err error) bool {
			return err != nil && strings.Contains(err.Error(), "window") && !channel.IsTemporary(err) && !errors.Is(err, channel.ErrSyncLost)
		},
		"meta_error_190.json":              func(err error) bool { return errors.Is(err, channel.ErrSyncLost) },
		"meta_error_4_app_rate_limit.json": channel.IsTemporary,
	} {
		p, _ := fakeGraph(t, func(string) (int, string) { return http.StatusBadRequest, string(fixture(t, name)) })
		out := outbound()
		out.Text = "hi"
		if _, err := p.Send(context.Background(), out); !check(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	p, _ := fakeGraph(t, func(string) (int, string) {
		return http.StatusBadRequest, `{"error":{"message":"(#551) This person isn't available right now.","code":551,"error_subcode":1545041}}`
	})
	out := outbound()
	out.Text = "hi"
	if _, err := p.Send(context.Background(), out); err == nil || !strings.Contains(err.Error(), "isn't available right now") || channel.IsTemporary(err) {
		t.Errorf("551: %v", err)
	}
	out.Channel.Credentials = map[string]string{}
	if _, err := p.Send(context.Background(), out); !errors.Is(err, channel.ErrSyncLost) {
		t.Errorf("no token: %v", err)
	}
	// A file failing after the text went out is final: retrying would repeat the text.
	n := 0
	p, _ = fakeGraph(t, func(string) (int, string) {
		if n++; n == 1 {
			return http.StatusOK, `{"message_id":"m_1"}`
		}
		return http.StatusServiceUnavailable, `{}`
	})
	out = outbound()
	out.Text, out.Attachments = "hi", []channel.Attachment{{ID: "a", ContentType: "image/png"}}
	if _, err := p.Send(context.Background(), out); err == nil || channel.IsTemporary(err) {
		t.Errorf("half sent: %v", err)
	}
}

func TestProfile(t *testing.T) {
	p, g := fakeGraph(t, func(string) (int, string) {
		return http.StatusOK, `{"first_name":"Sheena","last_name":"Nelson","profile_pic":"https://platform-lookaside.fbsbx.com/p.jpg","id":"` + customer + `"}`
	})
	c, err := p.Profile(context.Background(), pageChannel("ch-1", page), customer)
	if err != nil || c != (channel.InboundContact{ExternalID: customer, Name: "Sheena Nelson", AvatarURL: "https://platform-lookaside.fbsbx.com/p.jpg"}) {
		t.Fatalf("%+v %v", c, err)
	}
	if g.calls[0].Method != http.MethodGet || g.calls[0].Path != "/"+customer || g.calls[0].Query != "fields=first_name%2Clast_name%2Cprofile_pic" {
		t.Fatalf("%+v", g.calls[0])
	}
	for body, check := range map[string]func(error) bool{
		`{"error":{"message":"(#100) No profile available for this user.","code":100,"error_subcode":2018218}}`: func(err error) bool { return errors.Is(err, channel.ErrPrivate) },
		`{"error":{"message":"(#230) Requires pages_messaging permission","code":230}}`:                         func(err error) bool { return errors.Is(err, channel.ErrPrivate) },
		string(fixture(t, "meta_error_4_app_rate_limit.json")):                                                  channel.IsTemporary,
		string(fixture(t, "meta_error_190.json")):                                                               func(err error) bool { return errors.Is(err, channel.ErrSyncLost) },
	} {
		p, _ := fakeGraph(t, func(string) (int, string) { return http.StatusBadRequest, body })
		if _, err := p.Profile(context.Background(), pageChannel("ch-1", page), customer); !check(err) {
			t.Errorf("%.50s: %v", body, err)
		}
	}
}

func TestFetchMedia(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("a token went to the CDN")
		}
		_, _ = io.WriteString(w, "JPEG")
	}))
	defer srv.Close()
	rc, err := Provider{Graph: meta.Graph{Client: srv.Client()}}.FetchMedia(context.Background(), pageChannel("ch-1", page), channel.MediaRef{URL: srv.URL + "/x.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != "JPEG" {
		t.Fatalf("%q", b)
	}
}

func TestCheckOutbound(t *testing.T) {
	p := Provider{}
	if err := p.CheckOutbound(strings.Repeat("é", 2000), []channel.Attachment{{Size: 25 * channel.MiB}}); err != nil {
		t.Fatal(err)
	}
	if err := p.CheckOutbound(strings.Repeat("a", 2001), nil); apperr.CodeOf(err) != apperr.TextTooLong {
		t.Fatalf("%v", err)
	}
	if err := p.CheckOutbound("hi", []channel.Attachment{{Size: 25*channel.MiB + 1}}); apperr.CodeOf(err) != apperr.FileTooLarge {
		t.Fatalf("%v", err)
	}
}
