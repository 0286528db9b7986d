package sms

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"parley/server/channel"
)

type oneChannel struct{ ch channel.Channel }

func (o oneChannel) ByID(_ context.Context, id string) (channel.Channel, error) {
	if id != o.ch.ID {
		return channel.Channel{}, channel.ErrUnknownChannel
	}
	return o.ch, nil
}

func (o oneChannel) ByExternalID(_ context.Context, _ channel.Kind, n string) (channel.Channel, error) {
	if n != o.ch.ExternalID {
		return channel.Channel{}, channel.ErrUnknownChannel
	}
	return o.ch, nil
}

func (o oneChannel) OfKind(context.Context, channel.Kind) ([]channel.Channel, error) {
	return []channel.Channel{o.ch}, nil
}

var testChannel = oneChannel{channel.Channel{ID: "ch_1", Kind: channel.SMS, ExternalID: "+14155552345",
	Credentials: map[string]string{"accountSid": "AC1", "authToken": "2f4e6a8c0b1d3f5a7c9e1b3d5f7a9c0e"}}}

// request is a webhook POST to path, signed as Twilio would for public.
func request(public, path, body string, sign bool) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sign {
		form, _ := url.ParseQuery(body)
		r.Header.Set("X-Twilio-Signature", Signature(testChannel.ch.Credentials["authToken"], public+path, form))
	}
	mux := http.NewServeMux() // sets the path values as the app's routes do
	var out *http.Request
	for _, p := range []string{"/webhooks/{kind}", "/webhooks/{kind}/{channelId}", "/webhooks/{kind}/{channelId}/{event}"} {
		mux.HandleFunc(p, func(_ http.ResponseWriter, r *http.Request) { out = r })
	}
	mux.ServeHTTP(httptest.NewRecorder(), r)
	return out
}

func TestWebhookMMS(t *testing.T) {
	body, err := os.ReadFile("../../app/testdata/twilio/mms_inbound.txt")
	if err != nil {
		t.Fatal(err)
	}
	p := Provider{PublicURL: "https://p.example"}
	b, err := p.webhook(request(p.PublicURL, "/webhooks/sms", string(body), true), testChannel)
	if err != nil || len(b.Messages) != 1 {
		t.Fatalf("%+v %v", b, err)
	}
	m := b.Messages[0]
	if m.ProviderID != "MM7c2e9f1a3b5d4e6f8091a2b3c4d5e6f7" || len(m.Media) != 1 || m.Media[0].ContentType != "image/jpeg" ||
		!strings.HasPrefix(m.Media[0].URL, "https://api.twilio.com/2010-04-01/Accounts/") {
		t.Fatalf("%+v", m)
	}
}

func FuzzWebhook(f *testing.F) {
	for _, name := range []string{"sms_inbound.txt", "mms_inbound.txt", "status_undelivered.txt"} {
		b, _ := os.ReadFile("../../app/testdata/twilio/" + name)
		f.Add("/webhooks/sms", string(b))
		f.Add("/webhooks/sms/ch_1/status", string(b))
	}
	f.Add("/webhooks/sms/ch_1?x=%zz", "NumMedia=99999999999&MediaUrl0=x&MessageSid=S&From=1")
	p := Provider{PublicURL: "https://p.example:443"}
	f.Fuzz(func(t *testing.T, path, body string) {
		if _, err := url.ParseRequestURI(path); err != nil || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") {
			return // not a request a server would be handed
		}
		for _, sign := range []bool{true, false} {
			r := request(p.PublicURL, path, body, sign)
			if r == nil {
				return
			}
			b, err := p.webhook(r, testChannel)
			if !sign && !errors.Is(err, channel.ErrBadSignature) && !errors.Is(err, channel.ErrUnknownChannel) && err == nil {
				t.Fatalf("unsigned request accepted: %+v", b)
			}
			if err == nil && len(b.Messages)+len(b.Statuses) > 1 {
				t.Fatalf("one request, %d events", len(b.Messages)+len(b.Statuses))
			}
		}
	})
}
