package chat_test

import (
	"fmt"
	"testing"
	"time"

	"parley/ent/outbox"
	"parley/server/apitest"
	"parley/server/app"
	"parley/server/channel"
	delivery "parley/server/outbox"
)

// runSMS runs a test on each backend with its own recorder in place of the
// SMS provider, and fast retries.
func runSMS(t *testing.T, fails func(int) error, fn func(t *testing.T, env *apitest.Env, rec *recorder)) {
	t.Parallel()
	for _, b := range apitest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{fails: fails}
			fn(t, apitest.Start(t, b, withSMS(rec)), rec)
		})
	}
}

func withSMS(rec *recorder) apitest.Options {
	return apitest.Options{Configure: func(c *app.Config) {
		c.Senders = map[channel.Kind]channel.Sender{channel.SMS: rec}
		c.Outbox = &delivery.Config{MaxAttempts: 3, Backoff: 50 * time.Millisecond, MaxBackoff: time.Second,
			Lease: time.Minute, SendTimeout: 5 * time.Second}
	}}
}

type msgStatus struct {
	Node struct {
		Status        string
		FailureReason *string
	}
}

func statusOf(t *testing.T, c *apitest.Client, id string) msgStatus {
	t.Helper()
	var out msgStatus
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Message { status failureReason } } }`, Vars{"id": id}, &out)
	return out
}

func waitStatus(t *testing.T, c *apitest.Client, id, want string) msgStatus {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		s := statusOf(t, c, id)
		if s.Node.Status == want {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s is %s, want %s", id, s.Node.Status, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOutboxDeliversOnce(t *testing.T) {
	runSMS(t, nil, func(t *testing.T, env *apitest.Env, rec *recorder) {
		ann := env.NewUser("AGENT", "Ann")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, sms, "+15550300", "SM1", "hi")
		updates := ann.Connect().Subscribe(eventsQuery, nil)
		time.Sleep(100 * time.Millisecond)
		var out struct{ SendMessage struct{ ID, Status string } }
		ann.MustDo(sendQ, Vars{"c": s, "t": "hello"}, &out)
		if out.SendMessage.Status != "PENDING" {
			t.Fatalf("a reply starts %s, want PENDING", out.SendMessage.Status)
		}
		waitStatus(t, ann, out.SendMessage.ID, "SENT")
		// The agents hear of the new status.
		for {
			e := nextEvent(t, updates, "MESSAGE_UPDATED")
			if e.Events.Message.ID == out.SendMessage.ID {
				break
			}
		}
		// Running the outbox again sends nothing twice.
		if _, err := env.App.Outbox.DeliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, id := range rec.calls() {
			if id == out.SendMessage.ID {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("the provider was handed the message %d times", n)
		}
		// Notes never reach the provider.
		ann.MustDo(sendQ, Vars{"c": s, "t": "private", "note": true}, nil)
		time.Sleep(200 * time.Millisecond)
		for _, id := range rec.calls() {
			if st := statusOf(t, ann, id); st.Node.Status == "" {
				t.Fatalf("a message the provider got is unknown: %s", id)
			}
		}
	})
}

func TestAFailingProviderLeavesTheMessagePendingThenFailed(t *testing.T) {
	runSMS(t, func(int) error { return channel.Temporary(errProviderDown) }, func(t *testing.T, env *apitest.Env, rec *recorder) {
		ann := env.NewUser("AGENT", "Ann")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, sms, "+15550301", "SM1", "hi")
		var out struct{ SendMessage struct{ ID string } }
		ann.MustDo(sendQ, Vars{"c": s, "t": "hello"}, &out)
		id := out.SendMessage.ID
		// While it retries the message stays PENDING.
		deadline := time.Now().Add(wait)
		for attempts(rec, id) < 2 {
			if time.Now().After(deadline) {
				t.Fatal("the outbox does not retry")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if st := statusOf(t, ann, id); st.Node.Status != "PENDING" && st.Node.Status != "FAILED" {
			t.Fatalf("while retrying: %+v", st)
		}
		st := waitStatus(t, ann, id, "FAILED")
		if st.Node.FailureReason == nil || *st.Node.FailureReason != errProviderDown.Error() {
			t.Fatalf("failure reason %v", st.Node.FailureReason)
		}
		time.Sleep(300 * time.Millisecond)
		if n := attempts(rec, id); n != 3 {
			t.Fatalf("handed to the provider %d times, want exactly 3 (MaxAttempts)", n)
		}
	})
}

func TestAPermanentErrorFailsAtOnceAndSyncLossDisconnects(t *testing.T) {
	runSMS(t, nil, func(t *testing.T, env *apitest.Env, rec *recorder) {
		ann := env.NewUser("AGENT", "Ann")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, sms, "+15550302", "SM1", "hi")
		rec.mu.Lock()
		rec.fails = func(int) error { return fmt.Errorf("21211: invalid 'To' phone number") }
		rec.mu.Unlock()
		var out struct{ SendMessage struct{ ID string } }
		ann.MustDo(sendQ, Vars{"c": s, "t": "hello"}, &out)
		if st := waitStatus(t, ann, out.SendMessage.ID, "FAILED"); *st.Node.FailureReason != "21211: invalid 'To' phone number" {
			t.Fatalf("reason %q", *st.Node.FailureReason)
		}
		if n := attempts(rec, out.SendMessage.ID); n != 1 {
			t.Fatalf("a permanent error was retried: %d tries", n)
		}
		rec.mu.Lock()
		rec.fails = func(int) error { return channel.ErrSyncLost }
		rec.mu.Unlock()
		ann.MustDo(sendQ, Vars{"c": s, "t": "again"}, &out)
		waitStatus(t, ann, out.SendMessage.ID, "FAILED")
		if p := session(t, ann, s).ReplyPolicy; p.CanReply || *p.Reason != "CHANNEL_SYNC_LOST" {
			t.Fatalf("after the provider refused the credentials: %+v", p)
		}
	})
}

func TestADeliveryInterruptedByACrashIsNeverSentAgain(t *testing.T) {
	runSMS(t, nil, func(t *testing.T, env *apitest.Env, rec *recorder) {
		ann := env.NewUser("AGENT", "Ann")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, sms, "+15550303", "SM1", "hi")
		var out struct{ SendMessage struct{ ID string } }
		ann.MustDo(sendQ, Vars{"c": s, "t": "hello"}, &out)
		waitStatus(t, ann, out.SendMessage.ID, "SENT")
		// Pretend the process died while a second reply was with the provider:
		// its entry is SENDING with a lease that ran out.
		ann.MustDo(sendQ, Vars{"c": s, "t": "second"}, &out)
		waitStatus(t, ann, out.SendMessage.ID, "SENT")
		before := len(rec.calls())
		ctx := t.Context()
		if err := env.App.DB.Outbox.Update().Where(outbox.MessageID(pulidOf(out.SendMessage.ID))).
			SetState(outbox.StateSENDING).SetLeaseUntil(env.Clock.Now().Add(-time.Second)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		// (The message itself went SENT before the "crash"; make it PENDING as it would be.)
		if err := env.App.DB.Message.UpdateOneID(pulidOf(out.SendMessage.ID)).SetStatus("PENDING").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := env.App.Outbox.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		st := waitStatus(t, ann, out.SendMessage.ID, "FAILED")
		if st.Node.FailureReason == nil || *st.Node.FailureReason == "" {
			t.Fatal("no reason given")
		}
		if len(rec.calls()) != before {
			t.Fatal("an interrupted delivery was sent again")
		}
	})
}

func attempts(r *recorder, id string) int {
	n := 0
	for _, c := range r.calls() {
		if c == id {
			n++
		}
	}
	return n
}
