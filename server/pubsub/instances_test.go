package pubsub_test

import (
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

// A transaction left running anywhere on the PostgreSQL cluster holds the
// log's horizon back (readers only take entries older than every running
// transaction). Delivery waits for it, then follows at once: nothing is
// lost, and with polling off nothing but the relay's own re-check could
// deliver it.
func TestAnOpenTransactionElsewhereDelaysButLosesNothing(t *testing.T) {
	env := apitest.Start(t, "postgres", apitest.Options{Configure: func(c *app.Config) { c.RelayPoll = time.Hour }})
	ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
	var dc struct{ CreateDirectChat struct{ ID string } }
	ann.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, apitest.Vars{"u": bob.ID}, &dc)
	sub := bob.Connect().Subscribe(`subscription($c:ID!){ messageAdded(conversationId:$c){ text } }`, apitest.Vars{"c": dc.CreateDirectChat.ID})
	time.Sleep(200 * time.Millisecond)

	other, err := sql.Open("postgres", strings.Replace(apitest.DefaultPostgres, "/test?", "/postgres?", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(t.Context(), nil)
	if err != nil {
		t.Skipf("no second database to hold a transaction in: %v", err)
	}
	if _, err := tx.Exec(`SELECT pg_current_xact_id()`); err != nil { // takes a transaction id
		t.Fatal(err)
	}
	ann.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"held back"}){ id } }`, apitest.Vars{"c": dc.CreateDirectChat.ID}, nil)
	go func() { time.Sleep(time.Second); _ = tx.Rollback() }()
	var got struct{ MessageAdded struct{ Text string } }
	sub.Next(10*time.Second).Decode(t, &got)
	if got.MessageAdded.Text != "held back" {
		t.Fatalf("got %q", got.MessageAdded.Text)
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
