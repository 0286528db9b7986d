package demo_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"parley/server/apitest"
	"parley/server/app"
	"parley/server/demo"
)

// offline keeps the demo's replies, sent with made-up credentials, on this
// machine: the providers' APIs are a stand-in that is always busy.
func offline(t *testing.T) func(*app.Config) {
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(busy.Close)
	return func(c *app.Config) { c.MetaGraphURL, c.TwilioAPIURL = busy.URL, busy.URL }
}

// The demo is seeded through the real services and shows in the API.
func TestDemoSeed(t *testing.T) {
	apitest.RunWith(t, apitest.Options{Configure: offline(t)}, func(t *testing.T, env *apitest.Env) {
		for i := 0; i < 2; i++ { // a second run adds nothing
			if _, err := env.App.SeedDemo(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		alex := env.Login("alex@demo.parley", "parley-demo")
		var out struct {
			Chats    struct{ TotalCount int }
			Sessions struct{ TotalCount int }
			Channels []struct{ Kind string }
			Badges   struct{ Total int }
		}
		alex.MustDo(`{ chats { totalCount } sessions { totalCount } channels { kind } badges { total } }`, nil, &out)
		if out.Chats.TotalCount != 2 || out.Sessions.TotalCount != 4 || len(out.Channels) != 5 || out.Badges.Total == 0 {
			t.Fatalf("demo as Alex: %+v", out)
		}

		ada := env.Login("admin@demo.parley", "parley-demo")
		var chs struct {
			Channels []struct {
				Kind       string
				WebhookURL *string
			}
		}
		ada.MustDo(`{ channels { kind webhookUrl } }`, nil, &chs)
		hooks := 0
		for _, c := range chs.Channels {
			switch {
			case c.Kind == "LIVE_CHAT" && c.WebhookURL != nil:
				t.Errorf("Live Chat has a webhook URL: %s", *c.WebhookURL)
			case c.Kind != "LIVE_CHAT" && (c.WebhookURL == nil || !strings.HasPrefix(*c.WebhookURL, env.URL+"/webhooks/"+strings.ToLower(c.Kind)+"/")):
				t.Errorf("%s: webhookUrl %v", c.Kind, c.WebhookURL)
			case c.Kind != "LIVE_CHAT":
				hooks++
			}
		}
		if hooks != 4 {
			t.Fatalf("%d provider channels with a webhook URL: %+v", hooks, chs)
		}
		for _, c := range demo.Channels {
			if (c.ExternalID == "") != (c.Kind == "LIVE_CHAT") {
				t.Errorf("%s: externalId %q", c.Kind, c.ExternalID)
			}
		}
		replayWebhook(t, env, ada)
	})
}

// replayWebhook is the README's example: Meta's handshake with the demo's
// verify token, and a WhatsApp message signed with its app secret, on the
// bare URL (routed by the phone number id), landing in Dmitri's session.
func replayWebhook(t *testing.T, env *apitest.Env, ada *apitest.Client) {
	var wa demo.Channel
	for _, c := range demo.Channels {
		if c.Kind == "WHATSAPP" {
			wa = c
		}
	}
	res, err := http.Get(env.URL + "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=" + wa.Credentials["verifyToken"] + "&hub.challenge=42")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "42" {
		t.Fatalf("handshake: %d %q", res.StatusCode, body)
	}

	hook := `{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{` +
		`"messaging_product":"whatsapp","metadata":{"display_phone_number":"15555550101","phone_number_id":"` + wa.ExternalID + `"},` +
		`"contacts":[{"profile":{"name":"Dmitri Ivanov"},"wa_id":"` + demo.WhatsAppCustomer + `"}],` +
		`"messages":[{"from":"` + demo.WhatsAppCustomer + `","id":"wamid.demo1","timestamp":"1700000000","type":"text","text":{"body":"And on Sundays?"}}]}}]}]}`
	mac := hmac.New(sha256.New, []byte(wa.Credentials["appSecret"]))
	mac.Write([]byte(hook))
	for sig, want := range map[string]int{"sha256=" + hex.EncodeToString(mac.Sum(nil)): http.StatusOK, "sha256=00": http.StatusUnauthorized} {
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/webhooks/whatsapp", strings.NewReader(hook))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature-256", sig)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("signature %.12s: HTTP %d", sig, res.StatusCode)
		}
	}
	var out struct {
		Sessions struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Contact     struct{ DisplayName string }
					LastMessage struct{ Text string }
				}
			}
		}
	}
	ada.MustDo(`{ sessions(channelKind: WHATSAPP) { totalCount edges { node { contact { displayName } lastMessage { text } } } } }`, nil, &out)
	if s := out.Sessions; s.TotalCount != 1 || s.Edges[0].Node.LastMessage.Text != "And on Sundays?" || s.Edges[0].Node.Contact.DisplayName != "Dmitri Ivanov" {
		t.Fatalf("the replayed message: %+v", s)
	}
}
