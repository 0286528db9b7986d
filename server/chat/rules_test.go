package chat_test

import (
	"strings"
	"testing"
	"time"

	"parley/ent/schema/pulid"
	"parley/server/apitest"
)

const sendQ = `mutation($c:ID!,$t:String,$tag:MessageTag,$note:Boolean){ sendMessage(input:{conversationId:$c, text:$t, messageTag:$tag, note:$note}){ id status messageTag } }`

func TestWhatsAppReplyWindow(t *testing.T) {
	apitest.RunWith(t, deliveringProviders(), func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		wa := createChannel(t, env, "WHATSAPP", "WA", ann.ID)
		s, _ := customerWrites(t, env, wa, "15550200", "wamid.1", "hi") // WhatsApp names customers by wa_id
		env.Clock.Advance(23*time.Hour + 59*time.Minute)
		if p := session(t, ann, s).ReplyPolicy; !p.CanReply || p.Reason != nil {
			t.Fatalf("at 23h59m: %+v", p)
		}
		ann.MustDo(sendQ, Vars{"c": s, "t": "still in time"}, nil)
		env.Clock.Advance(2 * time.Minute) // 24h01m after the customer's message
		p := session(t, ann, s).ReplyPolicy
		if p.CanReply || p.Reason == nil || *p.Reason != "REPLY_WINDOW_CLOSED" {
			t.Fatalf("at 24h01m: %+v", p)
		}
		ann.MustFail("REPLY_WINDOW_CLOSED", sendQ, Vars{"c": s, "t": "too late"})
		// A note is never sent out: no window applies.
		ann.MustDo(sendQ, Vars{"c": s, "t": "call them instead", "note": true}, nil)
		// A template reopens the conversation, in the same session.
		var out struct{ StartSession struct{ ID string } }
		ann.MustDo(`mutation($c:ID!){ startSession(input:{channelId:$c, to:"+1 555 0200", template:{name:"follow_up", parameters:["Ann"]}}){ id } }`,
			Vars{"c": wa}, &out)
		if out.StartSession.ID != s {
			t.Fatalf("the template started session %s, not %s", out.StartSession.ID, s)
		}
		// Message tags are Messenger's.
		ann.MustFail("BAD_USER_INPUT", sendQ, Vars{"c": s, "t": "x", "tag": "HUMAN_AGENT"})
		// A new WhatsApp conversation cannot start with free text.
		ann.MustFail("CANNOT_INITIATE", `mutation($c:ID!){ startSession(input:{channelId:$c, to:"+15550299", text:"hello"}){ id } }`, Vars{"c": wa})
		ann.MustDo(`mutation($c:ID!){ startSession(input:{channelId:$c, to:"+15550299", template:{name:"welcome"}}){ id } }`, Vars{"c": wa}, &out)
		if p := session(t, ann, out.StartSession.ID).ReplyPolicy; p.CanReply || *p.Reason != "CANNOT_INITIATE" {
			t.Fatalf("a session the business opened: %+v", p)
		}
		ann.MustFail("CANNOT_INITIATE", sendQ, Vars{"c": out.StartSession.ID, "t": "free text"})
	})
}

func TestMessengerNeedsATagAfterSevenDays(t *testing.T) {
	apitest.RunWith(t, deliveringProviders(), func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		fb := createChannel(t, env, "MESSENGER", "Page", ann.ID)
		s, _ := customerWrites(t, env, fb, "psid-1", "m_1", "hi")
		env.Clock.Advance(7*24*time.Hour - time.Minute)
		if p := session(t, ann, s).ReplyPolicy; !p.CanReply || len(p.AllowedTags) != 4 {
			t.Fatalf("at 6d23h59m: %+v", p)
		}
		ann.MustDo(sendQ, Vars{"c": s, "t": "within the week"}, nil)
		env.Clock.Advance(2 * time.Minute)
		p := session(t, ann, s).ReplyPolicy
		if p.CanReply || *p.Reason != "MESSAGE_TAG_REQUIRED" || len(p.AllowedTags) != 4 {
			t.Fatalf("at 7d00h01m: %+v", p)
		}
		r := ann.MustFail("MESSAGE_TAG_REQUIRED", sendQ, Vars{"c": s, "t": "no tag"})
		tags, _ := r.Errors[0].Extensions["allowedTags"].([]any)
		if len(tags) != 4 || tags[0] != "ACCOUNT_UPDATE" {
			t.Fatalf("allowedTags = %v", r.Errors[0].Extensions)
		}
		var out struct{ SendMessage struct{ MessageTag string } }
		ann.MustDo(sendQ, Vars{"c": s, "t": "your order shipped", "tag": "POST_PURCHASE_UPDATE"}, &out)
		if out.SendMessage.MessageTag != "POST_PURCHASE_UPDATE" {
			t.Fatalf("tag = %q", out.SendMessage.MessageTag)
		}
	})
}

func TestInstagramClosesAfterSevenDaysWithADeepLink(t *testing.T) {
	apitest.RunWith(t, deliveringProviders(), func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		ig := createChannel(t, env, "INSTAGRAM", "IG", ann.ID)
		s, _ := customerWrites(t, env, ig, "sophie.shops", "ig_1", "love this")
		env.Clock.Advance(7*24*time.Hour - time.Minute)
		ann.MustDo(sendQ, Vars{"c": s, "t": "thank you!"}, nil)
		env.Clock.Advance(2 * time.Minute)
		p := session(t, ann, s).ReplyPolicy
		if p.CanReply || *p.Reason != "REPLY_WINDOW_CLOSED" || p.DeepLink == nil || *p.DeepLink != "https://ig.me/m/sophie.shops" {
			t.Fatalf("at 7d00h01m: %+v", p)
		}
		r := ann.MustFail("REPLY_WINDOW_CLOSED", sendQ, Vars{"c": s, "t": "hello again"})
		if r.Errors[0].Extensions["deepLink"] != "https://ig.me/m/sophie.shops" {
			t.Fatalf("extensions = %v", r.Errors[0].Extensions)
		}
		ann.MustFail("BAD_USER_INPUT", sendQ, Vars{"c": s, "t": "with a tag", "tag": "HUMAN_AGENT"}) // tags are Messenger's
	})
}

func TestCustomerTextLimitAndSMS(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, sms, "+15550201", "SM1", "hi")
		env.Clock.Advance(20 * 24 * time.Hour) // SMS has no window (tokens last 30 days)
		ann.MustDo(sendQ, Vars{"c": s, "t": strings.Repeat("a", 1000)}, nil)
		r := ann.MustFail("TEXT_TOO_LONG", sendQ, Vars{"c": s, "t": strings.Repeat("a", 1001)})
		if r.Errors[0].Extensions["max"] != float64(1000) {
			t.Fatalf("extensions = %v", r.Errors[0].Extensions)
		}
		// Notes are for colleagues: the internal limit applies.
		ann.MustDo(sendQ, Vars{"c": s, "t": strings.Repeat("n", 5000), "note": true}, nil)
	})
}

func TestAChannelThatLostSyncStillReceivesButSendsNothing(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, sms, "+15550202", "SM1", "hi")
		if err := env.App.Inbox.SetConnected(t.Context(), pulid.ID(sms), false); err != nil {
			t.Fatal(err)
		}
		var ch struct{ Node struct{ Connected bool } }
		ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Channel { connected } } }`, Vars{"id": sms}, &ch)
		if ch.Node.Connected {
			t.Fatal("the channel still reads as connected")
		}
		p := session(t, ann, s).ReplyPolicy
		if p.CanReply || *p.Reason != "CHANNEL_SYNC_LOST" {
			t.Fatalf("policy: %+v", p)
		}
		ann.MustFail("CHANNEL_SYNC_LOST", sendQ, Vars{"c": s, "t": "hello?"})
		ann.MustFail("CHANNEL_SYNC_LOST", `mutation($c:ID!){ startSession(input:{channelId:$c, to:"+15550203", text:"hi"}){ id } }`, Vars{"c": sms})
		customerWrites(t, env, sms, "+15550202", "SM2", "are you there?")
		if v := session(t, ann, s); v.UnreadCount != 2 {
			t.Fatalf("inbound while disconnected: %+v", v)
		}
		ann.MustDo(sendQ, Vars{"c": s, "t": "internal note", "note": true}, nil)
		env.Admin.MustDo(`mutation($id:ID!){ reconnectChannel(id:$id, input:{authToken:"fresh"}){ connected } }`, Vars{"id": sms}, nil)
		ann.MustDo(sendQ, Vars{"c": s, "t": "back again"}, nil)
	})
}
