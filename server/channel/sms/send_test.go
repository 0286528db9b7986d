package sms

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"parley/server/channel"
)

func out() channel.Outbound {
	return channel.Outbound{
		Channel: channel.Channel{ID: "ch_1", Kind: channel.SMS, ExternalID: "+14155552345",
			Credentials: map[string]string{"accountSid": "AC1", "authToken": "tok"}},
		Contact: channel.Contact{ExternalID: "+14155550100", Phone: "+14155550100"}, Text: "hello",
	}
}

// Each answer Twilio may give is classified as the outbox needs it.
func TestSendAnswers(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		body   string
		check  func(sid string, err error) bool
	}{
		{"created", 201, `{"sid":"SM1","status":"queued"}`, func(sid string, err error) bool { return err == nil && sid == "SM1" }},
		{"credentials gone", 401, `{"code":20003,"message":"Authenticate","status":401}`,
			func(_ string, err error) bool { return errors.Is(err, channel.ErrSyncLost) }},
		{"20003 on another status", 403, `{"code":20003,"message":"Permission Denied"}`,
			func(_ string, err error) bool { return errors.Is(err, channel.ErrSyncLost) }},
		{"rate limited", 429, `{"code":20429,"message":"Too Many Requests"}`,
			func(_ string, err error) bool { return channel.IsTemporary(err) }},
		{"Twilio down", 503, `oops`, func(_ string, err error) bool { return channel.IsTemporary(err) }},
		{"invalid number", 400, `{"code":21211,"message":"The 'To' number is not a valid phone number.` + strings.Repeat("x", 500) + `"}`,
			func(_ string, err error) bool {
				return err != nil && !channel.IsTemporary(err) && !errors.Is(err, channel.ErrSyncLost) &&
					strings.Contains(err.Error(), "21211") && len(err.Error()) < 300
			}},
		{"created without sid", 201, `{}`, func(_ string, err error) bool { return err != nil && !channel.IsTemporary(err) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.body)
			}))
			defer srv.Close()
			sid, err := Provider{API: srv.URL, PublicURL: "https://p.example"}.Send(context.Background(), out())
			if !c.check(sid, err) {
				t.Fatalf("sid %q, err %v", sid, err)
			}
		})
	}
}

func TestSendUnreachableIsTemporary(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	if _, err := (Provider{API: srv.URL}).Send(context.Background(), out()); !channel.IsTemporary(err) {
		t.Fatalf("err %v, want temporary", err)
	}
}

func TestSendWithoutCredentialsIsSyncLost(t *testing.T) {
	o := out()
	o.Channel.Credentials = nil
	if _, err := (Provider{}).Send(context.Background(), o); !errors.Is(err, channel.ErrSyncLost) {
		t.Fatalf("err %v, want ErrSyncLost", err)
	}
}

// A reply with files fails whole instead of reaching the customer without them.
func TestSendWithFilesFails(t *testing.T) {
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	defer srv.Close()
	o := out()
	o.Attachments = []channel.Attachment{{ID: "at_1", Filename: "a.jpg", ContentType: "image/jpeg", Size: 10}}
	_, err := Provider{API: srv.URL}.Send(context.Background(), o)
	if !errors.Is(err, ErrNoMedia) || channel.IsTemporary(err) || called {
		t.Fatalf("err %v, Twilio called %v", err, called)
	}
}

// A reply with files is an MMS: each file as a MediaUrl Twilio fetches.
func TestSendWithFilesLinksThem(t *testing.T) {
	var got url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got = r.PostForm
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"sid":"MM1"}`)
	}))
	defer srv.Close()
	o := out()
	o.Attachments = []channel.Attachment{{ID: "at_1"}, {ID: "at_2"}}
	p := Provider{API: srv.URL, MediaURL: func(id string) string { return "https://p.example/files/" + id + "?sig=x" }}
	if sid, err := p.Send(context.Background(), o); err != nil || sid != "MM1" {
		t.Fatalf("%q %v", sid, err)
	}
	if m := got["MediaUrl"]; len(m) != 2 || m[0] != "https://p.example/files/at_1?sig=x" || m[1] != "https://p.example/files/at_2?sig=x" {
		t.Fatalf("MediaUrl %v", m)
	}
}
