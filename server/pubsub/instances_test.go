package pubsub_test

import (
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
