package chat_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/app"
	"parley/server/calls"
)

const (
	sendSignal = `mutation($c:ID!,$d:String!,$k:CallSignalKind!,$p:String!,$to:String){
		sendCallSignal(callId:$c, deviceId:$d, kind:$k, payload:$p, toDevice:$to){ seq fromDevice toDevice kind from { id } } }`
	signalsSub = `subscription($c:ID!,$d:String!){ callSignals(callId:$c, deviceId:$d){
		call { id } from { id } fromDevice toDevice kind payload seq } }`
	signalEvents = `subscription($s:String){ events(since:$s){ cursor type
		call { id state answeredDevice answeredBy { id } answeredAt }
		callSignal { call { id } fromDevice toDevice kind payload seq } } }`
)

type signalOut struct {
	Call       struct{ ID string }
	From       struct{ ID string }
	FromDevice string
	ToDevice   *string
	Kind       string
	Payload    string
	Seq        int
}

type signalEvent struct {
	Events struct {
		Cursor string
		Type   string
		Call   *struct {
			ID, State      string
			AnsweredDevice *string
			AnsweredBy     *struct{ ID string }
			AnsweredAt     *time.Time
		}
		CallSignal *signalOut
	}
}

func startCallFrom(t *testing.T, c *apitest.Client, conv, media, device string) string {
	t.Helper()
	var out struct{ StartCall struct{ ID string } }
	c.MustDo(`mutation($c:ID!,$m:CallMedia!,$d:String){ startCall(conversationId:$c, media:$m, deviceId:$d){ id } }`,
		Vars{"c": conv, "m": media, "d": device}, &out)
	return out.StartCall.ID
}

func answerFrom(t *testing.T, c *apitest.Client, id, device string) {
	t.Helper()
	c.MustDo(`mutation($id:ID!,$d:String){ answerCall(id:$id, deviceId:$d){ id } }`, Vars{"id": id, "d": device}, nil)
}

// nextSignalEvent returns the next event of the type on an events stream.
func nextSignalEvent(t *testing.T, sub *apitest.Subscription, ty string) signalEvent {
	t.Helper()
	for {
		r := sub.Next(wait)
		if len(r.Errors) > 0 {
			t.Fatalf("events: %+v", r.Errors)
		}
		var e signalEvent
		r.Decode(t, &e)
		if e.Events.Type == ty {
			return e
		}
	}
}

func nextSignal(t *testing.T, sub *apitest.Subscription) signalOut {
	t.Helper()
	r := sub.Next(wait)
	if len(r.Errors) > 0 {
		t.Fatalf("callSignals: %+v", r.Errors)
	}
	var out struct{ CallSignals signalOut }
	r.Decode(t, &out)
	return out.CallSignals
}

// The answering device becomes the call's: the user's other device hears
// the CALL_UPDATED naming it and stops ringing, gets none of the signals
// addressed to the call's device, and may not signal itself. A sender's
// signals arrive in order, numbered, and are never replayed.
func TestCallSignalsGoDeviceToDeviceInOrder(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		direct := directChat(t, ann, bob.ID)
		bobPhone := bob.Connect().Subscribe(signalEvents, nil) // bob's other device
		annEvents := ann.Connect().Subscribe(signalEvents, nil)
		listening(t, env, 2)
		before := env.Clock.Now()
		id := startCallFrom(t, ann, direct, "VIDEO", "ann-laptop")
		nextSignalEvent(t, bobPhone, "CALL_UPDATED") // ringing

		bobDesk := bob.Connect()
		deskSignals := bobDesk.Subscribe(signalsSub, Vars{"c": id, "d": "bob-desk"})
		phoneSignals := bob.Connect().Subscribe(signalsSub, Vars{"c": id, "d": "bob-phone"})
		listening(t, env, 4)
		answerFrom(t, bob, id, "bob-desk")
		for _, sub := range []*apitest.Subscription{bobPhone, annEvents} {
			e := nextSignalEvent(t, sub, "CALL_UPDATED")
			if e.Events.Call.State == "RINGING" {
				e = nextSignalEvent(t, sub, "CALL_UPDATED")
			}
			c := e.Events.Call
			if c.State != "ACTIVE" || c.AnsweredDevice == nil || *c.AnsweredDevice != "bob-desk" || c.AnsweredBy == nil ||
				c.AnsweredBy.ID != bob.ID || c.AnsweredAt == nil || c.AnsweredAt.Before(before.Add(-time.Second)) {
				t.Fatalf("the answer reads %+v", c)
			}
		}

		// Twenty candidates to the desk, in order.
		for i := 1; i <= 20; i++ {
			var out struct{ SendCallSignal struct{ Seq int } }
			ann.MustDo(sendSignal, Vars{"c": id, "d": "ann-laptop", "k": "ICE_CANDIDATE",
				"p": fmt.Sprintf(`{"candidate":"c%d"}`, i), "to": "bob-desk"}, &out)
			if out.SendCallSignal.Seq != i {
				t.Fatalf("signal %d numbered %d", i, out.SendCallSignal.Seq)
			}
		}
		for i := 1; i <= 20; i++ {
			s := nextSignal(t, deskSignals)
			if s.Seq != i || s.Payload != fmt.Sprintf(`{"candidate":"c%d"}`, i) || s.Kind != "ICE_CANDIDATE" ||
				s.From.ID != ann.ID || s.FromDevice != "ann-laptop" || s.ToDevice == nil || *s.ToDevice != "bob-desk" || s.Call.ID != id {
				t.Fatalf("signal %d arrived as %+v", i, s)
			}
		}
		// Bob's events carry them too (for clients that hold only that open).
		e := nextSignalEvent(t, bobPhone, "CALL_SIGNAL")
		if e.Events.CallSignal == nil || e.Events.CallSignal.Seq != 1 {
			t.Fatalf("bob's events got %+v", e.Events.CallSignal)
		}
		phoneSignals.Quiet(300 * time.Millisecond)

		// The desk answers; a device that did not answer may not signal,
		// nor the caller from another device.
		var out struct{ SendCallSignal signalOut }
		bob.MustDo(sendSignal, Vars{"c": id, "d": "bob-desk", "k": "ANSWER", "p": `{"type":"answer","sdp":"v=0"}`}, &out)
		if out.SendCallSignal.Seq != 1 || out.SendCallSignal.From.ID != bob.ID || out.SendCallSignal.ToDevice != nil {
			t.Fatalf("bob's answer %+v", out.SendCallSignal)
		}
		if e := nextSignalEvent(t, annEvents, "CALL_SIGNAL"); e.Events.CallSignal.Kind != "ANSWER" || e.Events.CallSignal.FromDevice != "bob-desk" {
			t.Fatalf("ann got %+v", e.Events.CallSignal)
		}
		bob.MustFail("FORBIDDEN", sendSignal, Vars{"c": id, "d": "bob-phone", "k": "ANSWER", "p": `{}`})
		ann.MustFail("FORBIDDEN", sendSignal, Vars{"c": id, "d": "ann-phone", "k": "OFFER", "p": `{}`})

		// Signals are never replayed.
		replay := bob.Connect().Subscribe(signalEvents, Vars{"s": e.Events.Cursor})
		send(t, ann, direct, "after the signals")
		if e := nextSignalEvent(t, replay, "MESSAGE_ADDED"); e.Events.Type != "MESSAGE_ADDED" {
			t.Fatalf("replay %+v", e)
		}

		// Once over, nobody signals.
		ann.MustDo(`mutation($id:ID!){ endCall(id:$id){ id } }`, Vars{"id": id}, nil)
		ann.MustFail("CONFLICT", sendSignal, Vars{"c": id, "d": "ann-laptop", "k": "HANGUP", "p": `{}`})
	})
}

// Only the call's participants signal or listen: a stranger is refused, a
// Live Chat visitor never finds an internal call, and a phone call is its
// agent's alone. Inputs are bounded.
func TestCallSignalsAreForParticipantsOnly(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, dan := env.NewUser("AGENT", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Dan")
		id := startCallFrom(t, ann, directChat(t, ann, bob.ID), "AUDIO", "")
		ok := Vars{"c": id, "d": "dev-1", "k": "OFFER", "p": `{"type":"offer"}`}
		dan.MustFail("FORBIDDEN", sendSignal, ok)
		if r := dan.Connect().Subscribe(signalsSub, Vars{"c": id, "d": "dev-1"}).Next(wait); r.Code() != "FORBIDDEN" {
			t.Fatalf("a stranger's subscription: %s %+v", r.Data, r.Errors)
		}
		env.Anonymous().MustFail("UNAUTHENTICATED", sendSignal, ok)

		lc := createChannel(t, env, "LIVE_CHAT", "Site", ann.ID)
		vera, _ := startLiveChat(t, env, lc, "Vera")
		// The guard stops a visitor's token at the door (graph/guard.go);
		// calls.Call would read the call as NOT_FOUND behind it.
		vera.MustFail("FORBIDDEN", sendSignal, ok)
		if r := vera.Connect().Subscribe(signalsSub, Vars{"c": id, "d": "dev-1"}).Next(wait); r.Code() != "FORBIDDEN" {
			t.Fatalf("a visitor's subscription: %s %+v", r.Data, r.Errors)
		}

		with := func(k string, v any) Vars {
			out := Vars{}
			for k, v := range ok {
				out[k] = v
			}
			out[k] = v
			return out
		}
		bob.MustFail("BAD_USER_INPUT", sendSignal, with("p", "not json"))
		bob.MustFail("LIMIT_EXCEEDED", sendSignal, with("p", `"`+strings.Repeat("a", calls.MaxPayload)+`"`))
		bob.MustFail("BAD_USER_INPUT", sendSignal, with("d", strings.Repeat("d", calls.MaxDeviceID+1)))
		bob.MustFail("BAD_USER_INPUT", sendSignal, with("d", "has space"))
		bob.MustFail("BAD_USER_INPUT", sendSignal, with("to", ""+strings.Repeat("d", 65)))
		bob.MustDo(sendSignal, with("p", `"`+strings.Repeat("a", calls.MaxPayload-2)+`"`), nil)

		// A mesh is for small groups.
		var many []string
		for i := range calls.MaxMesh {
			many = append(many, env.NewUser("MEMBER", fmt.Sprint("M", i)).ID)
		}
		big := startCallFrom(t, ann, groupChat(t, ann, "All hands", many...), "VIDEO", "")
		ann.MustFail("LIMIT_EXCEEDED", sendSignal, with("c", big))

		// A phone call is its agent's: another agent of the channel, who
		// sees the session, may not signal in it.
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, sms, "+15550100900", "sm-9", "call me")
		var esc struct{ EscalateToCall struct{ ID string } }
		ann.MustDo(`mutation($s:ID!){ escalateToCall(sessionId:$s){ id } }`, Vars{"s": s}, &esc)
		cal := env.NewUser("AGENT", "Cal")
		env.Admin.MustDo(`mutation($c:ID!,$u:[ID!]!){ setChannelAgents(channelId:$c, userIds:$u){ id } }`,
			Vars{"c": sms, "u": []string{ann.ID, cal.ID}}, nil)
		cal.MustFail("FORBIDDEN", sendSignal, with("c", esc.EscalateToCall.ID))
		ann.MustDo(sendSignal, with("c", esc.EscalateToCall.ID), nil)
	})
}

// Call.iceServers: the configured STUN and TURN URLs, TURN with a
// credential coturn verifies (HMAC-SHA1 of "<expiry>:<user id>"), for the
// call's participants only.
func TestCallIceServersAreForParticipants(t *testing.T) {
	const secret = "coturn-static-auth-secret"
	opts := apitest.Options{Configure: func(c *app.Config) {
		ice, err := calls.ParseICE("stun:stun.example.com:3478, turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349", secret, "2h")
		if err != nil {
			panic(err)
		}
		c.ICE = ice
	}}
	apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		bob := env.NewUser("MEMBER", "Bob")
		id := startCallFrom(t, ann, directChat(t, ann, bob.ID), "VIDEO", "")
		type ice struct {
			Urls                 []string
			Username, Credential *string
		}
		q := `query($id:ID!){ node(id:$id){ ... on Call { iceServers { urls username credential } } } }`
		var out struct{ Node struct{ IceServers []ice } }
		bob.MustDo(q, Vars{"id": id}, &out)
		got := out.Node.IceServers
		if len(got) != 2 || strings.Join(got[0].Urls, " ") != "stun:stun.example.com:3478" || got[0].Username != nil ||
			strings.Join(got[1].Urls, " ") != "turn:turn.example.com:3478?transport=udp turns:turn.example.com:5349" ||
			got[1].Username == nil || got[1].Credential == nil {
			t.Fatalf("iceServers %+v", got)
		}
		expiry, user, _ := strings.Cut(*got[1].Username, ":")
		exp, err := strconv.ParseInt(expiry, 10, 64)
		if err != nil || user != bob.ID {
			t.Fatalf("username %q", *got[1].Username)
		}
		if d := time.Unix(exp, 0).Sub(env.Clock.Now()); d < 2*time.Hour-time.Minute || d > 2*time.Hour+time.Minute {
			t.Fatalf("the credential lasts %v, want 2h", d)
		}
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write([]byte(*got[1].Username))
		if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); *got[1].Credential != want {
			t.Fatalf("credential %q, want %q", *got[1].Credential, want)
		}

		// A phone call: another agent of the channel reads the call, not its servers.
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, sms, "+15550100901", "sm-10", "call me")
		var esc struct{ EscalateToCall struct{ ID string } }
		ann.MustDo(`mutation($s:ID!){ escalateToCall(sessionId:$s){ id } }`, Vars{"s": s}, &esc)
		cal := env.NewUser("AGENT", "Cal")
		env.Admin.MustDo(`mutation($c:ID!,$u:[ID!]!){ setChannelAgents(channelId:$c, userIds:$u){ id } }`,
			Vars{"c": sms, "u": []string{ann.ID, cal.ID}}, nil)
		cal.MustDo(q, Vars{"id": esc.EscalateToCall.ID}, &out)
		if out.Node.IceServers == nil || len(out.Node.IceServers) != 0 {
			t.Fatalf("a non-participant got %+v", out.Node.IceServers)
		}
		ann.MustDo(q, Vars{"id": esc.EscalateToCall.ID}, &out)
		if len(out.Node.IceServers) != 2 {
			t.Fatalf("the agent got %+v", out.Node.IceServers)
		}
	})
}

// A call that did not connect leaves a SYSTEM message in the chat; one that
// did keeps when it was answered and when it ended.
func TestCallsLeaveTheirTraceInTheChat(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		direct := directChat(t, ann, bob.ID)
		missed := startCallFrom(t, ann, direct, "AUDIO", "")
		ann.MustDo(`mutation($id:ID!){ endCall(id:$id){ id } }`, Vars{"id": missed}, nil)
		declined := startCallFrom(t, ann, direct, "VIDEO", "")
		bob.MustDo(`mutation($id:ID!){ declineCall(id:$id){ id } }`, Vars{"id": declined}, nil)
		answered := startCallFrom(t, ann, direct, "AUDIO", "")
		answerFrom(t, bob, answered, "")
		env.Clock.Advance(90 * time.Second)
		ann.MustDo(`mutation($id:ID!){ endCall(id:$id){ id } }`, Vars{"id": answered}, nil)

		var msgs struct {
			Node struct {
				Messages struct {
					Edges []struct{ Node struct{ Kind, Text string } }
				}
			}
		}
		bob.MustDo(`query($c:ID!){ node(id:$c){ ... on Chat { messages(first:10){ edges { node { kind text } } } } } }`, Vars{"c": direct}, &msgs)
		var texts []string
		for _, e := range msgs.Node.Messages.Edges {
			if e.Node.Kind == "SYSTEM" {
				texts = append(texts, e.Node.Text)
			}
		}
		joined := strings.Join(texts, " | ")
		if !strings.Contains(joined, "Missed audio call from Ann") || !strings.Contains(joined, "Bob declined the video call") || len(texts) != 2 {
			t.Fatalf("system messages %q", texts)
		}

		var c struct {
			Node struct {
				State               string
				AnsweredAt, EndedAt *time.Time
			}
		}
		ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Call { state answeredAt endedAt } } }`, Vars{"id": answered}, &c)
		if c.Node.AnsweredAt == nil || c.Node.EndedAt == nil || c.Node.EndedAt.Sub(*c.Node.AnsweredAt) < 90*time.Second ||
			c.Node.EndedAt.Sub(*c.Node.AnsweredAt) > 100*time.Second {
			t.Fatalf("answered call %+v", c.Node)
		}
		ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Call { state answeredAt endedAt } } }`, Vars{"id": missed}, &c)
		if c.Node.State != "MISSED" || c.Node.AnsweredAt != nil || c.Node.EndedAt == nil {
			t.Fatalf("missed call %+v", c.Node)
		}
	})
}

// On PostgreSQL a signal reaches a device on another instance, an SDP too
// large for a NOTIFY too (kept in a table for the moment it takes).
func TestCallSignalsCrossInstances(t *testing.T) {
	t.Parallel()
	opts := apitest.Options{DatabaseURL: apitest.DatabaseURL(t, "postgres")}
	a := apitest.Start(t, "postgres", opts)
	b := apitest.Start(t, "postgres", opts)
	ann, bob := a.NewUser("MEMBER", "Ann"), a.NewUser("MEMBER", "Bob")
	id := startCallFrom(t, ann, directChat(t, ann, bob.ID), "VIDEO", "ann-1")
	bobOnB := b.WithToken(bob.Token)
	sub := bobOnB.Connect().Subscribe(signalsSub, Vars{"c": id, "d": "bob-1"})
	listening(t, b, 1)
	small := `{"candidate":"x"}`
	large := `{"sdp":"` + strings.Repeat("a=x\\r\\n", 1500) + `"}`
	for _, p := range []string{small, large, small} {
		ann.MustDo(sendSignal, Vars{"c": id, "d": "ann-1", "k": "OFFER", "p": p}, nil)
	}
	for i, want := range []string{small, large, small} {
		if s := nextSignal(t, sub); s.Payload != want || s.Seq != i+1 {
			t.Fatalf("signal %d on the other instance: seq %d, %d bytes", i+1, s.Seq, len(s.Payload))
		}
	}
}
