package instagram

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

type call struct {
	Method, Path, Query string
	Body                map[string]any
}

// fakeGraph checks the bearer token and answers every call with status and body.
func fakeGraph(t *testing.T, status int, body string) (Provider, *[]call) {
	t.Helper()
	var calls []call
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer page-token" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, string(fixture(t, "meta_error_190.json")))
			return
		}
		c := call{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/v23.0"), Query: r.URL.RawQuery}
		if r.Method == http.MethodPost {
			_ = json.NewDecoder(r.Body).Decode(&c.Body)
		}
		calls = append(calls, c)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return Provider{Graph: meta.Graph{Base: srv.URL + "/v23.0", Client: srv.Client()},
		MediaURL: func(id string) string { return "https://parley.example.com/media/" + id }}, &calls
}

func outbound(text string) channel.Outbound {
	return channel.Outbound{Channel: igChannel("ig-1", account), Contact: channel.Contact{ExternalID: customer}, MessageID: "01HMSG", Text: text}
}

func TestSend(t *testing.T) {
	p, calls := fakeGraph(t, http.StatusOK, string(fixture(t, "ig_send.response.json")))
	if id, err := p.Send(context.Background(), outbound("Yes, it is!")); err != nil || id != lastMid {
		t.Fatalf("%q %v", id, err)
	}
	var want map[string]any
	if err := json.Unmarshal(fixture(t, "ig_send_text.request.json"), &want); err != nil {
		t.Fatal(err)
	}
	got := (*calls)[0]
	msg := got.Body["message"].(map[string]any)
	if got.Path != "/"+account+"/messages" || msg["metadata"] != "parley:01HMSG" {
		t.Fatalf("%+v", got)
	}
	delete(msg, "metadata")
	if !reflect.DeepEqual(got.Body, want) {
		t.Fatalf("sent %v\nwant %v", got.Body, want)
	}
	// Tagged: Instagram takes HUMAN_AGENT only; files go one per message.
	out := outbound("")
	out.Tag = channel.TagAccountUpdate
	out.Attachments = []channel.Attachment{{ID: "v", ContentType: "video/mp4"}}
	if _, err := p.Send(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	b := (*calls)[1].Body
	att := b["message"].(map[string]any)["attachment"].(map[string]any)
	if b["messaging_type"] != "MESSAGE_TAG" || b["tag"] != channel.TagHumanAgent || att["type"] != "video" ||
		att["payload"].(map[string]any)["url"] != "https://parley.example.com/media/v" {
		t.Fatalf("%v", b)
	}
}

func TestCommentReplyAndMarkSeen(t *testing.T) {
	p, calls := fakeGraph(t, http.StatusOK, `{"id":"17919697626120000"}`)
	out := outbound("We do!")
	out.Comment, out.ReplyToProviderID = true, "17919697626119712"
	if id, err := p.Send(context.Background(), out); err != nil || id != "17919697626120000" {
		t.Fatalf("%q %v", id, err)
	}
	if err := p.MarkRead(context.Background(), igChannel("ig-1", account), channel.Contact{ExternalID: customer}, lastMid); err != nil {
		t.Fatal(err)
	}
	want := []call{
		{Method: http.MethodPost, Path: "/17919697626119712/replies", Body: map[string]any{"message": "We do!"}},
		{Method: http.MethodPost, Path: "/" + account + "/messages", Body: map[string]any{"recipient": map[string]any{"id": customer}, "sender_action": "mark_seen"}},
	}
	if !reflect.DeepEqual(*calls, want) {
		t.Fatalf("%+v", *calls)
	}
	out.Attachments = []channel.Attachment{{ID: "x"}}
	if _, err := p.Send(context.Background(), out); !errors.Is(err, meta.ErrCommentFiles) {
		t.Fatalf("%v", err)
	}
}

func TestSendErrors(t *testing.T) {
	p, _ := fakeGraph(t, http.StatusBadRequest, string(fixture(t, "meta_error_4_app_rate_limit.json")))
	if _, err := p.Send(context.Background(), outbound("hi")); !channel.IsTemporary(err) {
		t.Errorf("throttled: %v", err)
	}
	p, _ = fakeGraph(t, http.StatusBadRequest, string(fixture(t, "meta_error_190.json")))
	if _, err := p.Send(context.Background(), outbound("hi")); !errors.Is(err, channel.ErrSyncLost) {
		t.Errorf("190: %v", err)
	}
	p, _ = fakeGraph(t, http.StatusBadRequest, `{"error":{"message":"(#10) This message is sent outside of allowed window.","code":10,"error_subcode":2018278}}`)
	if _, err := p.Send(context.Background(), outbound("hi")); err == nil || !strings.Contains(err.Error(), "Instagram error 10: the message is outside the window") {
		t.Errorf("window: %v", err)
	}
}

func TestProfile(t *testing.T) {
	p, calls := fakeGraph(t, http.StatusOK, `{"name":"","username":"sheena.nelson","profile_pic":"https://scontent.cdninstagram.com/p.jpg"}`)
	c, err := p.Profile(context.Background(), igChannel("ig-1", account), customer)
	if err != nil || c != (channel.InboundContact{ExternalID: customer, Name: "sheena.nelson", Nickname: "sheena.nelson", AvatarURL: "https://scontent.cdninstagram.com/p.jpg"}) {
		t.Fatalf("%+v %v", c, err)
	}
	if (*calls)[0].Path != "/"+customer || (*calls)[0].Query != "fields=name%2Cusername%2Cprofile_pic" {
		t.Fatalf("%+v", *calls)
	}
	p, _ = fakeGraph(t, http.StatusBadRequest, `{"error":{"message":"(#100) Unsupported get request.","code":100,"error_subcode":33}}`)
	if _, err := p.Profile(context.Background(), igChannel("ig-1", account), customer); !errors.Is(err, channel.ErrPrivate) {
		t.Fatalf("%v", err)
	}
}

func TestCheckOutbound(t *testing.T) {
	p := Provider{}
	if err := p.CheckOutbound(strings.Repeat("a", 1000), []channel.Attachment{
		{ContentType: "image/jpeg", Size: 8 * channel.MiB}, {ContentType: "video/mp4", Size: 25 * channel.MiB}, {ContentType: "application/pdf", Size: 25 * channel.MiB}}); err != nil {
		t.Fatal(err)
	}
	err := p.CheckOutbound(strings.Repeat("é", 501), nil) // 501 characters, 1002 bytes
	if e, ok := apperr.As(err); !ok || e.Code != apperr.TextTooLong || !strings.Contains(e.Message, "bytes") || e.Extensions["max"] != 1000 {
		t.Fatalf("%v", err)
	}
	for _, f := range []channel.Attachment{{ContentType: "image/png", Size: 8*channel.MiB + 1}, {ContentType: "audio/mp4", Size: 25*channel.MiB + 1}} {
		if err := p.CheckOutbound("", []channel.Attachment{f}); apperr.CodeOf(err) != apperr.FileTooLarge {
			t.Errorf("%+v: %v", f, err)
		}
	}
}
