package retention_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/ent/attachment"
	"parley/ent/schema/pulid"
	"parley/server/apitest"
	"parley/server/app"
	"parley/server/blob"
	"parley/server/pubsub"
	"parley/server/retention"
)

type Vars = apitest.Vars

// noBackgroundRuns keeps the hourly job out of the way: the tests run it.
var noBackgroundRuns = apitest.Options{Configure: func(c *app.Config) { c.RetentionInterval = -1 }}

const fileFields = `id filename size url expiresAt`

type attachmentOut struct {
	ID, Filename string
	Size         int64
	URL          *string
	ExpiresAt    *time.Time
}

type messageOut struct {
	ID          string
	Text        *string
	Attachments []attachmentOut
}

func directChat(t *testing.T, a *apitest.Client, other string) string {
	t.Helper()
	var out struct{ CreateDirectChat struct{ ID string } }
	a.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, Vars{"u": other}, &out)
	return out.CreateDirectChat.ID
}

func upload(t *testing.T, c *apitest.Client, conv, name string, data []byte) attachmentOut {
	t.Helper()
	r := c.Upload(`mutation($c:ID!,$f:Upload!){ uploadFile(conversationId:$c, file:$f){ `+fileFields+` } }`,
		Vars{"c": conv}, apitest.BytesFile("f", name, data))
	if len(r.Errors) > 0 {
		t.Fatalf("uploading: %+v", r.Errors)
	}
	var out struct{ UploadFile attachmentOut }
	r.Decode(t, &out)
	return out.UploadFile
}

func send(t *testing.T, c *apitest.Client, conv, text string, attachmentIDs ...string) messageOut {
	t.Helper()
	var out struct{ SendMessage messageOut }
	c.MustDo(`mutation($c:ID!,$t:String,$a:[ID!]){ sendMessage(input:{conversationId:$c, text:$t, attachmentIds:$a}){ id text attachments { `+fileFields+` } } }`,
		Vars{"c": conv, "t": text, "a": attachmentIDs}, &out)
	return out.SendMessage
}

func message(t *testing.T, c *apitest.Client, id string) *messageOut {
	t.Helper()
	var out struct{ Node *messageOut }
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Message { id text attachments { `+fileFields+` } } } }`, Vars{"id": id}, &out)
	return out.Node
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// hasBlob reports whether the attachment's file is in storage.
func hasBlob(t *testing.T, env *apitest.Env, id string) bool {
	t.Helper()
	a, err := env.App.DB.Attachment.Get(t.Context(), pulid.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	o, err := env.App.Files.Open(t.Context(), a.StorageKey)
	if errors.Is(err, blob.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	return true
}

func run(t *testing.T, env *apitest.Env, now time.Time) retention.Report {
	t.Helper()
	r, err := env.App.Retention.RunOnce(t.Context(), now)
	if err != nil {
		t.Fatalf("retention: %v", err)
	}
	return r
}

// at moves the test clock to t (forward only) so the API sees the same time
// as the run.
func at(env *apitest.Env, t time.Time) time.Time {
	if d := t.Sub(env.Clock.Now()); d > 0 {
		env.Clock.Advance(d)
	}
	return t
}

// newSession opens a Live Chat session on a new channel with the given file
// retention, through the API, and returns its id and its visitor's client.
func newSession(t *testing.T, env *apitest.Env, retentionHours int, agents ...string) (string, *apitest.Client) {
	t.Helper()
	if agents == nil {
		agents = []string{}
	}
	var ch struct{ CreateChannel struct{ ID string } }
	env.Admin.MustDo(`mutation($h:Int,$a:[ID!]){ createChannel(input:{kind:LIVE_CHAT, name:"Site", fileRetentionHours:$h, agentIds:$a}){ id } }`,
		apitest.Vars{"h": retentionHours, "a": agents}, &ch)
	var out struct {
		StartLiveChat struct {
			Token   string
			Session struct{ ID string }
		}
	}
	env.Anonymous().MustDo(`mutation($c:ID!){ startLiveChat(channelId:$c, name:"Vera"){ token session { id } } }`,
		apitest.Vars{"c": ch.CreateChannel.ID}, &out)
	return out.StartLiveChat.Session.ID, env.WithToken(out.StartLiveChat.Token)
}

func TestSessionFilesExpireAtTheirChannelsRetention(t *testing.T) {
	apitest.RunWith(t, noBackgroundRuns, func(t *testing.T, env *apitest.Env) {
		agent := env.NewUser("AGENT", "Ann")
		s, visitor := newSession(t, env, 1, agent.ID)
		data := randomBytes(3000)
		first := send(t, visitor, s, "my receipt", upload(t, visitor, s, "receipt.pdf", data).ID)
		due := *first.Attachments[0].ExpiresAt
		env.Clock.Advance(10 * time.Minute)
		later := send(t, visitor, s, "and the other", upload(t, visitor, s, "other.bin", randomBytes(10)).ID)
		// Internal files are not touched by session retention.
		bob := env.NewUser("MEMBER", "Bob")
		c := directChat(t, agent, bob.ID)
		internal := send(t, agent, c, "", upload(t, agent, c, "x.bin", randomBytes(10)).ID)

		// A second before: nothing goes.
		r := run(t, env, at(env, due.Add(-time.Second)))
		if r.ExpiredFiles != 0 || !hasBlob(t, env, first.Attachments[0].ID) {
			t.Fatalf("a second early: %+v", r)
		}
		if m := message(t, agent, first.ID); m.Attachments[0].URL == nil {
			t.Fatal("url null a second early")
		}
		// A second after: the first file goes, the message stays.
		r = run(t, env, at(env, due.Add(time.Second)))
		if r.ExpiredFiles != 1 {
			t.Fatalf("expired %d files, want 1 (%+v)", r.ExpiredFiles, r)
		}
		if hasBlob(t, env, first.Attachments[0].ID) {
			t.Fatal("the expired file is still stored")
		}
		for _, c := range []*apitest.Client{agent, visitor} {
			m := message(t, c, first.ID)
			if m == nil || m.Text == nil || *m.Text != "my receipt" || len(m.Attachments) != 1 {
				t.Fatalf("the message after expiry: %+v", m)
			}
			if a := m.Attachments[0]; a.URL != nil || a.Filename != "receipt.pdf" || a.Size != 3000 || a.ExpiresAt == nil {
				t.Fatalf("the expired attachment: %+v", a)
			}
		}
		if resp, _ := agent.Fetch(env.URL + "/files/" + first.Attachments[0].ID); resp.StatusCode != http.StatusGone {
			t.Fatalf("downloading an expired file: %d", resp.StatusCode)
		}
		if !hasBlob(t, env, later.Attachments[0].ID) || !hasBlob(t, env, internal.Attachments[0].ID) {
			t.Fatal("a file not yet due was removed")
		}
		if m := message(t, agent, later.ID); m.Attachments[0].URL == nil {
			t.Fatal("a file not yet due reads expired")
		}
		// Running again changes nothing.
		if r := run(t, env, env.Clock.Now()); r.ExpiredFiles != 0 {
			t.Fatalf("second run: %+v", r)
		}
	})
}

func TestInternalHistoryIsDeletedAfterItsPeriod(t *testing.T) {
	apitest.RunWith(t, noBackgroundRuns, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		old := send(t, ann, c, "ancient zebra", upload(t, ann, c, "old.bin", randomBytes(100)).ID)
		oldAt, err := env.App.DB.Message.Get(t.Context(), pulid.ID(old.ID))
		if err != nil {
			t.Fatal(err)
		}
		// A chat whose only message will go, an hour later.
		env.Clock.Advance(time.Hour)
		cat := env.NewUser("MEMBER", "Cat")
		lonely := directChat(t, ann, cat.ID)
		only := send(t, ann, lonely, "only one")
		onlyAt, err := env.App.DB.Message.Get(t.Context(), pulid.ID(only.ID))
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(24 * time.Hour)
		bobsBadges := bob.Connect().Subscribe(`subscription { badgesUpdated { internalUnread } }`, nil)
		time.Sleep(100 * time.Millisecond)
		recent := send(t, ann, c, "recent news", upload(t, ann, c, "new.bin", randomBytes(100)).ID)
		if n := unread(t, bob, c); n != 2 {
			t.Fatalf("Bob's unread before: %d", n)
		}
		liveUnread(t, bobsBadges, 2)

		// The admin shortens the period to 2 days (tokens last 30).
		env.Admin.MustDo(`mutation{ updateOrganizationSettings(input:{internalHistoryDays:2}){ internalHistoryDays } }`, nil, nil)
		due := oldAt.CreatedAt.Add(2 * 24 * time.Hour)

		r := run(t, env, at(env, due.Add(-time.Second)))
		if r.DeletedMessages != 0 || r.HistoryDays != 2 {
			t.Fatalf("a second early: %+v", r)
		}
		r = run(t, env, at(env, due.Add(time.Second)))
		if r.DeletedMessages != 1 || r.DeletedMessageFiles != 1 {
			t.Fatalf("deleted %+v, want the old message and its file", r)
		}
		if m := message(t, bob, old.ID); m != nil {
			t.Fatalf("the old message is still there: %+v", m)
		}
		if hasAttachmentRow(t, env, old.Attachments[0].ID) {
			t.Fatal("the old attachment's row is left")
		}
		if m := message(t, bob, recent.ID); m == nil || len(m.Attachments) != 1 || m.Attachments[0].URL == nil || !hasBlob(t, env, recent.Attachments[0].ID) {
			t.Fatalf("the recent message: %+v", m)
		}
		// Counters follow: Bob now has one unread message, and his badges
		// say so live.
		if n := unread(t, bob, c); n != 1 {
			t.Fatalf("Bob's unread after: %d", n)
		}
		liveUnread(t, bobsBadges, 1)
		// Search no longer finds it.
		var found struct{ SearchMessages struct{ TotalCount int } }
		bob.MustDo(`{ searchMessages(query:"zebra"){ totalCount } }`, nil, &found)
		if found.SearchMessages.TotalCount != 0 {
			t.Fatalf("search finds %d deleted messages", found.SearchMessages.TotalCount)
		}
		// The chat whose last message goes still works.
		if r := run(t, env, at(env, onlyAt.CreatedAt.Add(2*24*time.Hour+time.Second))); r.DeletedMessages != 1 {
			t.Fatalf("the lonely message: %+v", r)
		}
		var chat struct {
			Node struct {
				LastMessage *struct{ Text string }
				Messages    struct{ TotalCount int }
			}
		}
		cat.MustDo(`query($id:ID!){ node(id:$id){ ... on Chat { lastMessage { text } messages { totalCount } } } }`, Vars{"id": lonely}, &chat)
		if chat.Node.LastMessage != nil || chat.Node.Messages.TotalCount != 0 {
			t.Fatalf("emptied chat: %+v", chat.Node)
		}
		var chats struct{ Chats struct{ TotalCount int } }
		cat.MustDo(`{ chats { totalCount edges { node { id lastMessage { id } } } } }`, nil, &chats)
		if chats.Chats.TotalCount != 1 {
			t.Fatalf("Cat's chats: %+v", chats)
		}
		send(t, cat, lonely, "still here")
	})
}

// liveUnread reads a badgesUpdated stream until it says want.
func liveUnread(t *testing.T, sub *apitest.Subscription, want int) {
	t.Helper()
	for got := -1; got != want; {
		var out struct{ BadgesUpdated struct{ InternalUnread int } }
		sub.Next(10*time.Second).Decode(t, &out)
		got = out.BadgesUpdated.InternalUnread
	}
}

func unread(t *testing.T, c *apitest.Client, conv string) int {
	t.Helper()
	var out struct{ Node struct{ UnreadCount int } }
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Chat { unreadCount } } }`, Vars{"id": conv}, &out)
	return out.Node.UnreadCount
}

func hasAttachmentRow(t *testing.T, env *apitest.Env, id string) bool {
	t.Helper()
	ok, err := env.App.DB.Attachment.Query().Where(attachment.ID(pulid.ID(id))).Exist(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestUnsentUploadsAreRemovedAfterADay(t *testing.T) {
	apitest.RunWith(t, noBackgroundRuns, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		unsent := upload(t, ann, c, "forgotten.bin", randomBytes(100))
		sent := send(t, ann, c, "", upload(t, ann, c, "sent.bin", randomBytes(100)).ID)
		row, err := env.App.DB.Attachment.Get(t.Context(), pulid.ID(unsent.ID))
		if err != nil {
			t.Fatal(err)
		}
		due := row.CreatedAt.Add(24 * time.Hour)
		if r := run(t, env, at(env, due.Add(-time.Second))); r.RemovedUploads != 0 || !hasBlob(t, env, unsent.ID) {
			t.Fatalf("a second early: %+v", r)
		}
		if r := run(t, env, at(env, due.Add(time.Second))); r.RemovedUploads != 1 {
			t.Fatalf("a second after: %+v", r)
		}
		if hasAttachmentRow(t, env, unsent.ID) {
			t.Fatal("the unsent upload's row is left")
		}
		if files := storedFiles(t, env); len(files) != 1 {
			t.Fatalf("storage holds %v, want only the sent file", files)
		}
		if !hasBlob(t, env, sent.Attachments[0].ID) {
			t.Fatal("the sent file was removed")
		}
		// Too late to send it now.
		ann.MustFail("BAD_USER_INPUT", `mutation($c:ID!,$a:[ID!]){ sendMessage(input:{conversationId:$c, attachmentIds:$a}){ id } }`,
			Vars{"c": c, "a": []string{unsent.ID}})
	})
}

func storedFiles(t *testing.T, env *apitest.Env) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(env.App.Files.(*blob.Disk).Dir(), func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEventLogIsPrunedAndAClientFromBeforeResyncs(t *testing.T) {
	apitest.RunWith(t, noBackgroundRuns, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		const q = `subscription($s:String){ events(since:$s){ cursor type message { text } } }`
		sub := bob.Connect().Subscribe(q, nil)
		time.Sleep(100 * time.Millisecond)
		var cursors []string
		for _, text := range []string{"zero", "one", "two"} {
			send(t, ann, c, text)
			cursors = append(cursors, nextMessage(t, sub, text))
		}
		// Everything up to "one" is over a week old.
		one, err := pubsub.ParseCursor(cursors[1])
		if err != nil {
			t.Fatal(err)
		}
		backdate(t, env, one, env.Clock.Now().Add(-retention.EventLogTTL-time.Minute))
		total := countEvents(t, env)

		r := run(t, env, env.Clock.Now())
		if r.PrunedThrough != pubsub.StoredCursor(one) || r.PrunedEvents == 0 || countEvents(t, env) != total-r.PrunedEvents {
			t.Fatalf("pruned %+v, want through %s", r, pubsub.StoredCursor(one))
		}
		st, err := env.App.DB.Setting.Query().All(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		stored := ""
		for _, s := range st {
			if s.Key == pubsub.PrunedSetting {
				stored = s.Value
			}
		}
		if stored != pubsub.StoredCursor(one) {
			t.Fatalf("%s = %q", pubsub.PrunedSetting, stored)
		}
		// From "zero": it missed what was pruned, so it must resync.
		old := bob.Connect().Subscribe(q, Vars{"s": cursors[0]})
		if e := nextEvent(t, old); e.Type != "RESYNC_REQUIRED" {
			t.Fatalf("from a pruned cursor: %+v", e)
		}
		// From "one": nothing it needs is gone.
		fresh := bob.Connect().Subscribe(q, Vars{"s": cursors[1]})
		if e := nextEvent(t, fresh); e.Type != "MESSAGE_ADDED" || e.Message.Text != "two" {
			t.Fatalf("from the last pruned cursor: %+v", e)
		}
		// A second run has nothing older to prune and keeps the record.
		if r := run(t, env, env.Clock.Now()); r.PrunedEvents != 0 {
			t.Fatalf("second run: %+v", r)
		}
	})
}

type eventOut struct {
	Cursor, Type string
	Message      *struct{ Text string }
}

func nextEvent(t *testing.T, sub *apitest.Subscription) eventOut {
	t.Helper()
	r := sub.Next(10 * time.Second)
	if len(r.Errors) > 0 {
		t.Fatalf("events: %+v", r.Errors)
	}
	var out struct{ Events eventOut }
	r.Decode(t, &out)
	return out.Events
}

func nextMessage(t *testing.T, sub *apitest.Subscription, text string) string {
	t.Helper()
	for {
		e := nextEvent(t, sub)
		if e.Type == "MESSAGE_ADDED" && e.Message.Text == text {
			return e.Cursor
		}
	}
}

// backdate sets the creation time of the log's entries up to c.
func backdate(t *testing.T, env *apitest.Env, c pubsub.Cursor, when time.Time) {
	t.Helper()
	db := env.App.DB
	_, err := db.SQL.ExecContext(t.Context(), db.Rebind(`UPDATE events SET created_at = $1 WHERE id <= $2`), when.UTC(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
}

func countEvents(t *testing.T, env *apitest.Env) int {
	t.Helper()
	n, err := env.App.DB.Event.Query().Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEachRunLogsWhatItRemoved(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	opts := apitest.Options{Configure: func(c *app.Config) {
		c.RetentionInterval = -1
		c.Log = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
	}}
	apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		upload(t, ann, c, "a.bin", randomBytes(10))
		upload(t, ann, c, "b.bin", randomBytes(10))
		run(t, env, env.Clock.Now().Add(25*time.Hour))
		mu.Lock()
		defer mu.Unlock()
		for _, line := range strings.Split(buf.String(), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "retention run" {
				continue
			}
			if rec["removed_uploads"] == float64(2) && rec["history_days"] == float64(365) &&
				rec["expired_files"] == float64(0) && rec["deleted_messages"] == float64(0) && rec["pruned_events"] != nil {
				return
			}
		}
		t.Fatalf("no run logged with its counts in:\n%s", buf.String())
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestOrganizationSettingsAreForAdmins(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		var out struct {
			OrganizationSettings struct {
				Plan                string
				InternalHistoryDays int
			}
		}
		env.Admin.MustDo(`{ organizationSettings { plan internalHistoryDays } }`, nil, &out)
		if out.OrganizationSettings.InternalHistoryDays != 365 || out.OrganizationSettings.Plan != "ENTERPRISE" {
			t.Fatalf("defaults: %+v", out)
		}
		m := `mutation($d:Int){ updateOrganizationSettings(input:{internalHistoryDays:$d}){ internalHistoryDays } }`
		member, agent := env.NewUser("MEMBER", "Mo"), env.NewUser("AGENT", "Al")
		for _, c := range []*apitest.Client{member, agent} {
			c.MustFail("FORBIDDEN", m, Vars{"d": 30})
			c.MustFail("FORBIDDEN", `{ organizationSettings { internalHistoryDays } }`, nil)
		}
		for _, bad := range []int{0, -5, 36501} {
			env.Admin.MustFail("BAD_USER_INPUT", m, Vars{"d": bad})
		}
		env.Admin.MustDo(m, Vars{"d": 1}, nil)
		env.Admin.MustDo(m, Vars{"d": nil}, nil) // nothing to change
		env.Admin.MustDo(`{ organizationSettings { plan internalHistoryDays } }`, nil, &out)
		if out.OrganizationSettings.InternalHistoryDays != 1 {
			t.Fatalf("after update: %+v", out)
		}
		if r, _ := env.App.Retention.RunOnce(context.Background(), env.Clock.Now()); r.HistoryDays != 1 {
			t.Fatalf("the job applies %d days", r.HistoryDays)
		}
	})
}
