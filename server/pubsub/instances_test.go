package pubsub_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/app"
)

// Two instances share one PostgreSQL database. A message sent through one
// reaches a subscriber on the other at once: the first tells the second with
// a NOTIFY (polling is turned off here, so nothing else could).
func TestInstancesWakeEachOther(t *testing.T) {
	noPoll := func(c *app.Config) { c.RelayPoll = time.Hour }
	a := apitest.Start(t, "postgres", apitest.Options{Configure: noPoll})
	b := apitest.Start(t, "postgres", apitest.Options{Configure: noPoll, DatabaseURL: a.App.DB.DSN})

	ann := a.NewUser("MEMBER", "Ann")
	var out struct{ CreateUser struct{ ID string } }
	a.Admin.MustDo(`mutation{ createUser(input:{name:"Bob", email:"bob@parley.test", password:"password1"}){ id } }`, nil, &out)
	bob := b.Login("bob@parley.test", "password1") // on the other instance
	var dc struct{ CreateDirectChat struct{ ID string } }
	ann.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, apitest.Vars{"u": out.CreateUser.ID}, &dc)

	sub := bob.Connect().Subscribe(`subscription($c:ID!){ messageAdded(conversationId:$c){ text } }`, apitest.Vars{"c": dc.CreateDirectChat.ID})
	time.Sleep(200 * time.Millisecond)
	ann.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"across instances"}){ id } }`, apitest.Vars{"c": dc.CreateDirectChat.ID}, nil)
	var got struct{ MessageAdded struct{ Text string } }
	sub.Next(10*time.Second).Decode(t, &got)
	if got.MessageAdded.Text != "across instances" {
		t.Fatalf("got %q", got.MessageAdded.Text)
	}
}

// A transaction left open anywhere on the PostgreSQL cluster — here in
// another database, as a pg_dump, a report or a forgotten BEGIN would be —
// holds nothing back: while it is still open, a message reaches a
// messageAdded and an events subscriber, a stream resuming from a cursor
// catches up, and streams opened now go live. (The log was once read below
// the cluster's oldest transaction: all of this waited for it to end.)
// Polling is off, so only the relay's own wake-up can deliver.
func TestAnOpenTransactionElsewhereHoldsNothingBack(t *testing.T) {
	env := apitest.Start(t, "postgres", apitest.Options{Configure: func(c *app.Config) { c.RelayPoll = time.Hour }})
	ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
	var dc struct{ CreateDirectChat struct{ ID string } }
	ann.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, apitest.Vars{"u": bob.ID}, &dc)
	chat := dc.CreateDirectChat.ID
	added := bob.Connect().Subscribe(messageAddedQuery, apitest.Vars{"c": chat})
	events := bob.Connect().Subscribe(eventsQuery, nil)
	time.Sleep(200 * time.Millisecond)
	send(t, ann, chat, "before")
	if got := nextText(t, added); got != "before" {
		t.Fatalf("messageAdded: got %q", got)
	}
	cursor := nextMessageEvent(t, events, "before")

	held := holdTransactionElsewhere(t)
	send(t, ann, chat, "while open")
	if got := nextText(t, added); got != "while open" {
		t.Fatalf("messageAdded: got %q", got)
	}
	nextMessageEvent(t, events, "while open")
	resumed := bob.Connect().Subscribe(eventsQuery, apitest.Vars{"s": cursor})
	nextMessageEvent(t, resumed, "while open")
	freshAdded := bob.Connect().Subscribe(messageAddedQuery, apitest.Vars{"c": chat})
	freshEvents := bob.Connect().Subscribe(eventsQuery, nil)
	time.Sleep(200 * time.Millisecond)
	send(t, ann, chat, "to new streams")
	if got := nextText(t, freshAdded); got != "to new streams" {
		t.Fatalf("a new messageAdded: got %q", got)
	}
	nextMessageEvent(t, freshEvents, "to new streams")
	// All of it arrived while the other transaction was open.
	if _, err := held.Exec(`SELECT 1`); err != nil {
		t.Fatalf("the other transaction ended early: %v", err)
	}
}

// An entry whose writer took its id but has not committed yet holds back
// the entries after it, and is delivered first once it commits: a reader
// never passes an id that can still appear. (The writer here is a raw
// transaction in its commit's tail, holding the log's lock as Append does.)
func TestAnEntryCommittingLateIsDeliveredBeforeLaterOnes(t *testing.T) {
	env := apitest.Start(t, "postgres", apitest.Options{Configure: func(c *app.Config) { c.RelayPoll = time.Hour }})
	ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
	var dc struct{ CreateDirectChat struct{ ID string } }
	ann.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, apitest.Vars{"u": bob.ID}, &dc)
	chat := dc.CreateDirectChat.ID
	events := bob.Connect().Subscribe(eventsQuery, nil)
	time.Sleep(200 * time.Millisecond)

	tail, err := env.App.DB.SQL.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tail.Rollback()
	if _, err := tail.Exec(`SELECT pg_advisory_xact_lock_shared('events'::regclass::oid::bigint)`); err != nil {
		t.Fatal(err)
	}
	if _, err := tail.Exec(`INSERT INTO events (created_at, type, conversation_id, agents_only)
		VALUES (now(), 'CONVERSATION_UPDATED', $1, false)`, chat); err != nil {
		t.Fatal(err)
	}
	send(t, ann, chat, "after the pending entry") // commits first, with a later id
	time.Sleep(300 * time.Millisecond)            // time enough for a relay to skip the pending entry
	if err := tail.Commit(); err != nil {
		t.Fatal(err)
	}
	var types []string
	for len(types) < 2 {
		var got struct{ Events struct{ Type string } }
		events.Next(10*time.Second).Decode(t, &got)
		if got.Events.Type != "BADGES_UPDATED" {
			types = append(types, got.Events.Type)
		}
	}
	if types[0] != "CONVERSATION_UPDATED" || types[1] != "MESSAGE_ADDED" {
		t.Fatalf("received %v, want the pending entry first", types)
	}
}

const (
	messageAddedQuery = `subscription($c:ID!){ messageAdded(conversationId:$c){ text } }`
	eventsQuery       = `subscription($s:String){ events(since:$s){ cursor type message { text } } }`
)

// holdTransactionElsewhere opens a transaction that holds a transaction id
// in the cluster's database postgres, until the test ends.
func holdTransactionElsewhere(t *testing.T) *sql.Tx {
	t.Helper()
	other, err := sql.Open("postgres", strings.Replace(apitest.DefaultPostgres, "/test?", "/postgres?", 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	tx, err := other.BeginTx(context.Background(), nil)
	if err != nil {
		t.Skipf("no second database to hold a transaction in: %v", err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.Exec(`SELECT pg_current_xact_id()`); err != nil { // takes a transaction id
		t.Fatal(err)
	}
	return tx
}

func send(t *testing.T, c *apitest.Client, chat, text string) {
	t.Helper()
	c.MustDo(`mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
		apitest.Vars{"c": chat, "t": text}, nil)
}

func nextText(t *testing.T, sub *apitest.Subscription) string {
	t.Helper()
	var got struct{ MessageAdded struct{ Text string } }
	sub.Next(10*time.Second).Decode(t, &got)
	return got.MessageAdded.Text
}

// nextMessageEvent waits for the MESSAGE_ADDED of text and returns its cursor.
func nextMessageEvent(t *testing.T, sub *apitest.Subscription, text string) string {
	t.Helper()
	for {
		var got struct {
			Events struct {
				Cursor, Type string
				Message      *struct{ Text string }
			}
		}
		sub.Next(10*time.Second).Decode(t, &got)
		if e := got.Events; e.Type == "MESSAGE_ADDED" {
			if e.Message.Text != text {
				t.Fatalf("events: got %q, want %q", e.Message.Text, text)
			}
			return e.Cursor
		}
	}
}

// A logout through one instance closes the sockets of that token on the
// other, with 4403, within the token check's interval.
func TestLogoutClosesSocketsOnEveryInstance(t *testing.T) {
	fast := func(c *app.Config) { c.TokenCheck = 100 * time.Millisecond }
	a := apitest.Start(t, "postgres", apitest.Options{Configure: fast})
	b := apitest.Start(t, "postgres", apitest.Options{Configure: fast, DatabaseURL: a.App.DB.DSN})
	var out struct{ CreateUser struct{ ID string } }
	a.Admin.MustDo(`mutation{ createUser(input:{name:"Rita", email:"rita@parley.test", password:"password1"}){ id } }`, nil, &out)
	onA := a.Login("rita@parley.test", "password1")
	onB := b.WithToken(onA.Token) // the same token, used on the other instance
	sock := onB.Connect()
	sock.Subscribe(`subscription { badgesUpdated { total } }`, nil)

	onA.MustDo(`mutation { logout }`, nil, nil)
	code, err := sock.WaitClosed(10 * time.Second)
	if err != nil || code != 4403 {
		t.Fatalf("the socket on the other instance: closed with %d (%v), want 4403", code, err)
	}
}
