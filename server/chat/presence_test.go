package chat_test

import (
	"testing"
	"time"

	"parley/server/apitest"
)

type presenceEvent struct {
	Events struct {
		Type string
		User *userPresence
	}
}

type userPresence struct {
	ID         string
	Online     bool
	LastSeenAt *time.Time
}

const presenceEventsQuery = `subscription { events { type user { id online lastSeenAt } } }`

func nextPresence(t *testing.T, sub *apitest.Subscription, userID string) userPresence {
	t.Helper()
	for {
		var e presenceEvent
		sub.Next(wait).Decode(t, &e)
		if e.Events.Type == "PRESENCE_UPDATED" && e.Events.User != nil && e.Events.User.ID == userID {
			return *e.Events.User
		}
	}
}

func presenceOf(t *testing.T, c *apitest.Client, userID string) userPresence {
	t.Helper()
	var out struct{ Node userPresence }
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on User { id online lastSeenAt } } }`, Vars{"id": userID}, &out)
	return out.Node
}

func TestPresenceChangesReachThoseWhoShareAConversation(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		directChat(t, ann, bob.ID)
		sub := bob.Connect().Subscribe(presenceEventsQuery, nil)
		listening(t, env, 1)
		if p := presenceOf(t, bob, ann.ID); p.Online || p.LastSeenAt != nil {
			t.Fatalf("before connecting Ann is %+v", p)
		}
		sock := ann.Connect()
		if err := sock.WaitAck(wait); err != nil {
			t.Fatal(err)
		}
		if p := nextPresence(t, sub, ann.ID); !p.Online {
			t.Fatalf("on connecting Ann is %+v", p)
		}
		sock.Close()
		p := nextPresence(t, sub, ann.ID)
		if p.Online || p.LastSeenAt == nil {
			t.Fatalf("on disconnecting Ann is %+v", p)
		}
		if q := presenceOf(t, bob, ann.ID); q.Online || q.LastSeenAt == nil || !q.LastSeenAt.Equal(*p.LastSeenAt) {
			t.Fatalf("after disconnecting Ann reads %+v", q)
		}
	})
}

func TestTwoInstancesAgreeOnWhoIsOnline(t *testing.T) {
	t.Parallel()
	for _, backend := range apitest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			opts := apitest.Options{DatabaseURL: apitest.DatabaseURL(t, backend)}
			a := apitest.Start(t, backend, opts)
			b := apitest.Start(t, backend, opts)
			ann := a.NewUser("MEMBER", "Ann")
			bob := a.NewUser("MEMBER", "Bob")
			directChat(t, ann, bob.ID)
			bobOnB := b.WithToken(bob.Token)
			var sub *apitest.Subscription
			if backend == "postgres" { // instances tell each other with NOTIFY
				sub = bobOnB.Connect().Subscribe(presenceEventsQuery, nil)
				listening(t, b, 1)
			}
			sock := ann.Connect() // on instance A
			if err := sock.WaitAck(wait); err != nil {
				t.Fatal(err)
			}
			waitPresence(t, bobOnB, ann.ID, func(p userPresence) bool { return p.Online })
			if sub != nil {
				if p := nextPresence(t, sub, ann.ID); !p.Online {
					t.Fatalf("B's subscriber was told %+v", p)
				}
			}
			sock.Close()
			waitPresence(t, bobOnB, ann.ID, func(p userPresence) bool { return !p.Online && p.LastSeenAt != nil })
			if sub != nil {
				if p := nextPresence(t, sub, ann.ID); p.Online || p.LastSeenAt == nil {
					t.Fatalf("B's subscriber was told %+v", p)
				}
			}
		})
	}
}

// waitPresence polls how c reads the user's presence until ok.
func waitPresence(t *testing.T, c *apitest.Client, userID string, ok func(userPresence) bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		p := presenceOf(t, c, userID)
		if ok(p) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other instance reads %+v", p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
