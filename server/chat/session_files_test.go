package chat_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"parley/ent/channel"
	"parley/ent/conversation"
	"parley/ent/schema/pulid"
	"parley/server/apitest"
	"parley/server/chat"
)

// session is a session made straight in the database (until channels and
// sessions have their API): a channel with agents, a contact, the session,
// and a Live Chat visitor's client for it.
type session struct {
	ID, ChannelID string
	Visitor       *apitest.Client
}

func newSession(t *testing.T, env *apitest.Env, kind channel.Kind, maxFileSize int64, retentionHours int, agents ...string) session {
	t.Helper()
	ctx, db := t.Context(), env.App.DB
	ids := make([]pulid.ID, len(agents))
	for i, a := range agents {
		ids[i] = pulid.ID(a)
	}
	ch, err := db.Channel.Create().SetID(pulid.MustNew("cn")).SetKind(kind).SetName("Shop").
		SetMaxFileSize(maxFileSize).SetFileRetentionHours(retentionHours).AddAgentIDs(ids...).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := db.Contact.Create().SetID(pulid.MustNew("ct")).SetChannelID(ch.ID).SetExternalID("visitor-" + string(ch.ID)).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	se, err := db.Conversation.Create().SetID(pulid.MustNew("se")).SetKind(conversation.KindEXTERNAL).
		SetChannelID(ch.ID).SetContactID(ct.ID).SetStatus(conversation.StatusOPEN).
		SetReplyState(conversation.ReplyStateUNREAD).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	token, err := env.App.Auth.IssueVisitorToken(ctx, db.Client, se.ID)
	if err != nil {
		t.Fatal(err)
	}
	return session{ID: string(se.ID), ChannelID: string(ch.ID), Visitor: env.WithToken(token)}
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
		// An admin's 200 MiB is capped at the 100 MiB any conversation takes.
		s := newSession(t, env, channel.KindSMS, 200<<20, 72)
		r := env.Admin.Upload(uploadQ, Vars{"c": s.ID}, apitest.File{Var: "f", Name: "big.bin", Body: &pattern{left: 100<<20 + 1}, Size: 100<<20 + 1})
		if r.Code() != "FILE_TOO_LARGE" || r.Errors[0].Extensions["max"] != float64(100<<20) {
			t.Fatalf("over the cap: %+v", r.Errors)
		}
		// No limit set: API.md's default for the kind; retention 72 h by default.
		for kind, want := range map[channel.Kind]int64{
			channel.KindSMS: 100 << 20, channel.KindWHATSAPP: 25 << 20, channel.KindMESSENGER: 25 << 20,
			channel.KindINSTAGRAM: 10 << 20, channel.KindLIVE_CHAT: 10 << 20,
		} {
			if got := chat.DefaultChannelFileSize(kind); got != want {
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
