package chat_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"parley/ent/channel"
	"parley/ent/schema/pulid"
	"parley/server/apitest"
)

// dbSession is a session on a new channel, made through the API: for Live
// Chat with its visitor's client, for other kinds by a customer writing in.
type dbSession struct {
	ID, ChannelID string
	Visitor       *apitest.Client
}

func newSession(t *testing.T, env *apitest.Env, kind channel.Kind, maxFileSize int64, retentionHours int, agents ...string) dbSession {
	t.Helper()
	in := Vars{"kind": string(kind), "name": "Shop", "agentIds": agents}
	if agents == nil {
		in["agentIds"] = []string{}
	}
	if maxFileSize > 0 {
		in["maxFileSize"] = maxFileSize
	}
	if retentionHours > 0 {
		in["fileRetentionHours"] = retentionHours
	}
	var out struct{ CreateChannel struct{ ID string } }
	env.Admin.MustDo(`mutation($in:CreateChannelInput!){ createChannel(input:$in){ id } }`, Vars{"in": in}, &out)
	ch := out.CreateChannel.ID
	if kind == channel.KindLIVE_CHAT {
		visitor, id := startLiveChat(t, env, ch, "Vera")
		return dbSession{ID: id, ChannelID: ch, Visitor: visitor}
	}
	id, _ := customerWrites(t, env, ch, "+15550900", "first-"+ch, "hello")
	return dbSession{ID: id, ChannelID: ch}
}

func TestSessionFilesFollowTheirChannel(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, dan := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Dan")
		s := newSession(t, env, channel.KindLIVE_CHAT, 2000, 5, ann.ID)
		other := newSession(t, env, channel.KindLIVE_CHAT, 2000, 5)

		// The channel's limit, exactly.
		before := env.Clock.Now()
		img := pngOf(t, 3, 4)
		data := append(img, randomBytes(2000-len(img))...)
		up := uploadTo(t, s.Visitor, s.ID, "me.png", data)
		if up.Size != 2000 || up.ExpiresAt == nil {
			t.Fatalf("visitor's upload: %+v", up)
		}
		// Kept for the channel's 5 hours from the upload.
		if d := up.ExpiresAt.Sub(before); d < 5*time.Hour-time.Second || d > 5*time.Hour+time.Minute {
			t.Fatalf("expiresAt %v is %v after the upload", up.ExpiresAt, d)
		}
		r := s.Visitor.Upload(uploadQ, Vars{"c": s.ID}, apitest.BytesFile("f", "big.bin", randomBytes(2001)))
		if r.Code() != "FILE_TOO_LARGE" || r.Errors[0].Extensions["max"] != float64(2000) {
			t.Fatalf("2001 bytes: %+v", r.Errors)
		}
		// Agents with access upload; others cannot; a visitor only to their own session.
		uploadTo(t, ann, s.ID, "a.bin", randomBytes(10))
		uploadTo(t, env.Admin, s.ID, "b.bin", randomBytes(10))
		if r := dan.Upload(uploadQ, Vars{"c": s.ID}, apitest.BytesFile("f", "d.bin", randomBytes(10))); r.Code() != "FORBIDDEN" {
			t.Fatalf("agent without access: %+v", r.Errors)
		}
		if r := other.Visitor.Upload(uploadQ, Vars{"c": s.ID}, apitest.BytesFile("f", "d.bin", randomBytes(10))); r.Code() != "FORBIDDEN" {
			t.Fatalf("another session's visitor: %+v", r.Errors)
		}

		// The visitor sends it; who may download follows the session rule.
		msg := sendFiles(t, s.Visitor, s.ID, up.ID)
		if msg.Kind != "IMAGE" || *msg.Attachments[0].Width != 3 {
			t.Fatalf("message %+v", msg)
		}
		plain := env.URL + "/files/" + up.ID
		for name, c := range map[string]*apitest.Client{"agent": ann, "admin": env.Admin, "visitor": s.Visitor} {
			if resp, body := c.Fetch(plain); resp.StatusCode != 200 || !bytes.Equal(body, data) {
				t.Errorf("%s: %d", name, resp.StatusCode)
			}
		}
		for name, c := range map[string]*apitest.Client{"agent without access": dan, "another visitor": other.Visitor} {
			if resp, _ := c.Fetch(plain); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: %d", name, resp.StatusCode)
			}
		}
		if m := messageAs(t, ann, msg.ID); m == nil || m.Attachments[0].URL == nil {
			t.Fatalf("the agent's view: %+v", m)
		}
	})
}

func TestChannelFileLimitsAreCappedAndDefaulted(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		// A limit over the 100 MiB any conversation takes (the API refuses one;
		// a row from elsewhere might hold it) is capped at upload.
		s := newSession(t, env, channel.KindSMS, 0, 72)
		env.Admin.MustFail("BAD_USER_INPUT", `mutation($id:ID!){ updateChannel(id:$id, input:{maxFileSize: 209715200}){ id } }`, Vars{"id": s.ChannelID})
		if err := env.App.DB.Channel.UpdateOneID(pulid.ID(s.ChannelID)).SetMaxFileSize(200 << 20).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
		r := env.Admin.Upload(uploadQ, Vars{"c": s.ID}, apitest.File{Var: "f", Name: "big.bin", Body: &pattern{left: 100<<20 + 1}, Size: 100<<20 + 1})
		if r.Code() != "FILE_TOO_LARGE" || r.Errors[0].Extensions["max"] != float64(100<<20) {
			t.Fatalf("over the cap: %+v", r.Errors)
		}
		// No limit set: API.md's default for the kind; retention 72 h by default.
		for kind, want := range map[channel.Kind]int64{
			channel.KindSMS: 100 << 20, channel.KindWHATSAPP: 100 << 20, channel.KindMESSENGER: 25 << 20,
			channel.KindINSTAGRAM: 10 << 20, channel.KindLIVE_CHAT: 10 << 20,
		} {
			if got := env.App.Chat.DefaultChannelFileSize(kind); got != want {
				t.Errorf("%s: %d", kind, got)
			}
			s := newSession(t, env, kind, 0, 0)
			conv, err := env.App.DB.Conversation.Get(t.Context(), pulid.ID(s.ID))
			if err != nil {
				t.Fatal(err)
			}
			rules, err := env.App.Chat.FileRulesFor(t.Context(), conv)
			if err != nil {
				t.Fatal(err)
			}
			if rules.MaxSize != want || rules.ExpiresAt == nil || rules.ExpiresAt.Sub(env.Clock.Now()) < 72*time.Hour-time.Minute {
				t.Errorf("%s: %+v", kind, rules)
			}
		}
	})
}
