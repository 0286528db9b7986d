package chat_test

import (
	"strings"
	"testing"
	"time"

	"parley/ent/message"
	"parley/ent/schema"
	"parley/ent/schema/pulid"
	"parley/server/apitest"
	"parley/server/app"
	"parley/server/channel"
	"parley/server/inbox"
	"parley/server/transcribe"
)

type callOut struct {
	ID, Media, State string
	DialNumber       *string
	StartedBy        struct{ ID string }
	Conversation     struct{ ID string }
}

const callFields = `id media state dialNumber startedBy { id } conversation { id }`

// startCall rings every member of a chat; only members may start one or see
// it, colleagues are called with AUDIO or VIDEO and customers by PHONE.
func TestStartCallRingsTheChat(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, dan := env.NewUser("AGENT", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Dan")
		g := groupChat(t, ann, "Standup", bob.ID)
		events := bob.Connect().Subscribe(`subscription { events { type call { `+callFields+` } } }`, nil)
		time.Sleep(100 * time.Millisecond)

		q := `mutation($c:ID!,$m:CallMedia!){ startCall(conversationId:$c, media:$m){ ` + callFields + ` } }`
		var out struct{ StartCall callOut }
		ann.MustDo(q, Vars{"c": g, "m": "VIDEO"}, &out)
		c := out.StartCall
		if c.Media != "VIDEO" || c.State != "RINGING" || c.DialNumber != nil || c.StartedBy.ID != ann.ID || c.Conversation.ID != g {
			t.Fatalf("call %+v", c)
		}
		for {
			var e struct {
				Events struct {
					Type string
					Call *callOut
				}
			}
			events.Next(wait).Decode(t, &e)
			if e.Events.Type == "CALL_UPDATED" {
				if e.Events.Call == nil || *e.Events.Call != c {
					t.Fatalf("bob's devices got %+v, want %+v", e.Events.Call, c)
				}
				break
			}
		}
		dan.MustFail("FORBIDDEN", q, Vars{"c": g, "m": "AUDIO"})
		ann.MustFail("BAD_USER_INPUT", q, Vars{"c": g, "m": "PHONE"})

		node := `query($id:ID!){ node(id:$id){ ... on Call { id state } } }`
		var seen struct{ Node *struct{ ID, State string } }
		bob.MustDo(node, Vars{"id": c.ID}, &seen)
		if seen.Node == nil || seen.Node.ID != c.ID {
			t.Fatalf("a member reads the call as %+v", seen.Node)
		}
		if r := dan.Do(node, Vars{"id": c.ID}); string(r.Data) != `{"node":null}` {
			t.Fatalf("a non-member reads the call: %s", r.Data)
		}

		// In a session the customer is called by phone, on the contact's number.
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, sms, "+15550100700", "sm-1", "call me")
		ann.MustFail("BAD_USER_INPUT", q, Vars{"c": s, "m": "AUDIO"})
		ann.MustDo(q, Vars{"c": s, "m": "PHONE"}, &out)
		if out.StartCall.DialNumber == nil || *out.StartCall.DialNumber != "+15550100700" || out.StartCall.Media != "PHONE" {
			t.Fatalf("phone call %+v", out.StartCall)
		}
		bob.MustFail("FORBIDDEN", q, Vars{"c": s, "m": "PHONE"})
	})
}

// replyToComment answers a customer's comment in public, under the same
// post, through the outbox; a comment may be answered more than once.
func TestReplyToComment(t *testing.T) {
	t.Parallel()
	for _, b := range apitest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			env := apitest.Start(t, b, apitest.Options{Configure: func(c *app.Config) {
				c.Senders = map[channel.Kind]channel.Sender{channel.Instagram: rec}
			}})
			ann, bob, mo := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Bob"), env.NewUser("MEMBER", "Mo")
			ig := createChannel(t, env, "INSTAGRAM", "Shop", ann.ID)
			text := "Is this in blue?"
			comment, err := env.App.Inbox.Receive(t.Context(), inbox.Inbound{
				ChannelID: pulid.ID(ig), ProviderMessageID: "ig-comment-1", Kind: message.KindCOMMENT, Text: &text,
				Post:    &schema.Post{ID: "post-17", URL: ptr("https://instagram.example/p/17"), Text: ptr("New sofa")},
				Contact: inbox.ContactInfo{ExternalID: "igsid-1"},
			})
			if err != nil {
				t.Fatal(err)
			}
			dm, _ := customerWrites(t, env, ig, "igsid-2", "ig-dm-1", "a direct message")

			q := `mutation($m:ID!,$t:String!){ replyToComment(messageId:$m, text:$t){ id kind direction status text
				replyTo { id } post { id url text } conversation { id } } }`
			type reply struct {
				ID, Kind, Direction, Status, Text string
				ReplyTo                           struct{ ID string }
				Post                              struct{ ID, URL, Text string }
				Conversation                      struct{ ID string }
			}
			var ids []string
			for _, answer := range []string{"Yes, in blue too", "And in green"} {
				var out struct{ ReplyToComment reply }
				ann.MustDo(q, Vars{"m": comment.ID, "t": answer}, &out)
				r := out.ReplyToComment
				if r.Kind != "COMMENT" || r.Direction != "OUTBOUND" || r.Text != answer || r.ReplyTo.ID != string(comment.ID) ||
					r.Post != (struct{ ID, URL, Text string }{"post-17", "https://instagram.example/p/17", "New sofa"}) || r.Conversation.ID != string(comment.ConversationID) {
					t.Fatalf("reply %+v", r)
				}
				ids = append(ids, r.ID)
			}
			for _, id := range ids {
				waitStatus(t, ann, id, "SENT")
			}
			if got := strings.Join(rec.replyTo, ","); got != "ig-comment-1,ig-comment-1" {
				t.Fatalf("the provider was asked to answer %q", got)
			}

			bob.MustFail("FORBIDDEN", q, Vars{"m": comment.ID, "t": "not my channel"})
			mo.MustFail("FORBIDDEN", q, Vars{"m": comment.ID, "t": "not an agent"})
			var dmMsg struct {
				Node struct {
					LastMessage struct{ ID string }
				}
			}
			ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Session { lastMessage { id } } } }`, Vars{"id": dm}, &dmMsg)
			ann.MustFail("BAD_USER_INPUT", q, Vars{"m": dmMsg.Node.LastMessage.ID, "t": "not a comment"})
			ann.MustFail("BAD_USER_INPUT", q, Vars{"m": ids[0], "t": "my own reply is not a customer's comment"})
			ann.MustFail("BAD_USER_INPUT", q, Vars{"m": comment.ID, "t": "  "})
			ann.MustFail("TEXT_TOO_LONG", q, Vars{"m": comment.ID, "t": strings.Repeat("x", 1001)})
			if n := len(rec.calls()); n != 2 {
				t.Fatalf("the provider was handed %d messages, want 2", n)
			}
		})
	}
}

// Without a speech engine, transcribing an AUDIO message answers PENDING and
// the chat hears it FAILED with the reason; other kinds are refused, and so
// is a stranger.
func TestTranscribeMessage(t *testing.T) {
	apitest.RunWith(t, apitest.Options{Configure: func(c *app.Config) {
		c.TranscribeEngine = transcribe.None{}
		c.TranscribeJob = &fastJob
	}}, func(t *testing.T, env *apitest.Env) {
		ann, bob, dan := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Dan")
		c := directChat(t, ann, bob.ID)
		audio := sendFiles(t, ann, c, uploadTo(t, ann, c, "memo.wav", wavOf(16000)).ID)
		if audio.Kind != "AUDIO" {
			t.Fatalf("a WAV file made a %s message", audio.Kind)
		}
		sub := bob.Connect().Subscribe(transcriptionEvents, nil)
		time.Sleep(100 * time.Millisecond)
		if tr := transcribeAs(t, bob, audio.ID); tr.Status != "PENDING" || tr.Text != nil {
			t.Fatalf("transcription %+v", tr)
		}
		if tr := transcribed(t, sub, audio.ID); tr.Status != "FAILED" || str(tr.Reason) != "no speech engine configured" || tr.Text != nil {
			t.Fatalf("transcription %s %q", tr.Status, str(tr.Reason))
		}
		bob.MustFail("BAD_USER_INPUT", transcribeQ, Vars{"m": send(t, ann, c, "just text")})
		dan.MustFail("FORBIDDEN", transcribeQ, Vars{"m": audio.ID})
	})
}

func ptr[T any](v T) *T { return &v }

// A call moves forward only: RINGING, then ACTIVE and ENDED, or DECLINED,
// or MISSED; every device that rang hears of each step.
func TestCallLifecycle(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat, dan := env.NewUser("AGENT", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat"), env.NewUser("MEMBER", "Dan")
		direct := directChat(t, ann, bob.ID)
		annEvents := ann.Connect().Subscribe(`subscription { events { type call { id state } } }`, nil)
		time.Sleep(100 * time.Millisecond)

		type callState struct {
			ID, State string
			EndedAt   *string
		}
		start := func(conv, media string) string {
			t.Helper()
			var out struct{ StartCall struct{ ID string } }
			ann.MustDo(`mutation($c:ID!,$m:CallMedia!){ startCall(conversationId:$c, media:$m){ id } }`, Vars{"c": conv, "m": media}, &out)
			return out.StartCall.ID
		}
		move := func(who *apitest.Client, op, id, want string) {
			t.Helper()
			var out map[string]callState
			who.MustDo(`mutation($id:ID!){ `+op+`(id:$id){ id state endedAt } }`, Vars{"id": id}, &out)
			got := out[op]
			if got.State != want || (got.EndedAt == nil) != (want == "RINGING" || want == "ACTIVE") {
				t.Fatalf("%s: %+v, want %s", op, got, want)
			}
		}
		heard := func(id, state string) {
			t.Helper()
			for {
				var e struct {
					Events struct {
						Type string
						Call *struct{ ID, State string }
					}
				}
				annEvents.Next(wait).Decode(t, &e)
				if e.Events.Type == "CALL_UPDATED" && e.Events.Call.ID == id && e.Events.Call.State == state {
					return
				}
			}
		}

		// Answered, then hung up.
		c1 := start(direct, "AUDIO")
		ann.MustFail("FORBIDDEN", `mutation($id:ID!){ answerCall(id:$id){ id } }`, Vars{"id": c1})
		dan.MustFail("FORBIDDEN", `mutation($id:ID!){ answerCall(id:$id){ id } }`, Vars{"id": c1})
		move(bob, "answerCall", c1, "ACTIVE")
		heard(c1, "ACTIVE")
		r := bob.MustFail("CONFLICT", `mutation($id:ID!){ answerCall(id:$id){ id } }`, Vars{"id": c1})
		if r.Errors[0].Extensions["state"] != "ACTIVE" {
			t.Fatalf("conflict says %+v", r.Errors[0].Extensions)
		}
		move(ann, "endCall", c1, "ENDED")
		heard(c1, "ENDED")
		bob.MustFail("CONFLICT", `mutation($id:ID!){ endCall(id:$id){ id } }`, Vars{"id": c1})

		// Declined; and one nobody answered.
		c2 := start(direct, "VIDEO")
		move(bob, "declineCall", c2, "DECLINED")
		heard(c2, "DECLINED")
		ann.MustFail("CONFLICT", `mutation($id:ID!){ endCall(id:$id){ id } }`, Vars{"id": c2})
		c3 := start(direct, "AUDIO")
		move(ann, "endCall", c3, "MISSED")

		// In a group one member's no leaves the call ringing for the others.
		g := groupChat(t, ann, "Team", bob.ID, cat.ID)
		c4 := start(g, "VIDEO")
		move(bob, "declineCall", c4, "RINGING")
		move(cat, "answerCall", c4, "ACTIVE")
		bob.MustFail("CONFLICT", `mutation($id:ID!){ declineCall(id:$id){ id } }`, Vars{"id": c4})
		move(bob, "endCall", c4, "ENDED")

		// A phone call rings on the agent's own devices, one of which answers.
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, sms, "+15550100800", "sm-8", "call me")
		var esc struct{ EscalateToCall struct{ ID string } }
		ann.MustDo(`mutation($s:ID!){ escalateToCall(sessionId:$s){ id } }`, Vars{"s": s}, &esc)
		// It is Ann's call: another agent of the channel and the admin, who
		// both see the session, can neither answer, decline nor end it.
		cal := env.NewUser("AGENT", "Cal")
		env.Admin.MustDo(`mutation($c:ID!,$u:[ID!]!){ setChannelAgents(channelId:$c, userIds:$u){ id } }`,
			Vars{"c": sms, "u": []string{ann.ID, cal.ID}}, nil)
		for _, other := range []*apitest.Client{cal, env.Admin} {
			for _, m := range []string{"answerCall", "declineCall", "endCall"} {
				other.MustFail("FORBIDDEN", `mutation($id:ID!){ `+m+`(id:$id){ id } }`, Vars{"id": esc.EscalateToCall.ID})
			}
		}
		move(ann, "answerCall", esc.EscalateToCall.ID, "ACTIVE")
		heard(esc.EscalateToCall.ID, "ACTIVE")
		bob.MustFail("FORBIDDEN", `mutation($id:ID!){ endCall(id:$id){ id } }`, Vars{"id": esc.EscalateToCall.ID})
		move(ann, "endCall", esc.EscalateToCall.ID, "ENDED")
	})
}
