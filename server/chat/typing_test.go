package chat_test

import (
	"testing"
	"time"

	"parley/server/apitest"
)

const typingMutation = `mutation($c:ID!){ typing(conversationId:$c) }`

// typingEvent is a TYPING as the events stream carries it.
type typingEvent struct {
	Events struct {
		Cursor, Type string
		Message      *struct{ ID string }
		Typing       *typingView
	}
}

type typingView struct {
	Conversation struct{ ID string }
	User         *struct{ ID, Name string }
	ExpiresAt    time.Time
}

const typingEventsQuery = `subscription($s:String){ events(since:$s){ cursor type message { id }
	typing { conversation { id } user { id name } expiresAt } } }`

// listening waits until the server holds at least n subscriptions, so
// that what is said next reaches them.
func listening(t *testing.T, env *apitest.Env, n int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for env.App.Hub.Subscribers() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions, want %d", env.App.Hub.Subscribers(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nextOf returns the next event of one of the types on an events stream.
func nextOf(t *testing.T, sub *apitest.Subscription, types ...string) typingEvent {
	t.Helper()
	for {
		r := sub.Next(wait)
		if len(r.Errors) > 0 {
			t.Fatalf("events: %+v", r.Errors)
		}
		var e typingEvent
		r.Decode(t, &e)
		for _, ty := range types {
			if e.Events.Type == ty {
				return e
			}
		}
	}
}

func TestTypingReachesTheOtherMembersAndIsNeverReplayed(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		bobSub := bob.Connect().Subscribe(typingEventsQuery, nil)
		annSub := ann.Connect().Subscribe(typingEventsQuery, nil)
		listening(t, env, 2)
		before := env.Clock.Now()
		ann.MustDo(typingMutation, Vars{"c": c}, nil)
		e := nextOf(t, bobSub, "TYPING")
		ty := e.Events.Typing
		if ty == nil || ty.Conversation.ID != c || ty.User == nil || ty.User.ID != ann.ID {
			t.Fatalf("Bob was told %+v", ty)
		}
		if !ty.ExpiresAt.After(before) || ty.ExpiresAt.After(before.Add(10*time.Second)) {
			t.Fatalf("expiresAt %v, want a few seconds after %v", ty.ExpiresAt, before)
		}
		// The typer hears nothing of it: the next thing on Ann's stream is the message.
		m := send(t, ann, c, "hi")
		if e := nextOf(t, annSub, "TYPING", "MESSAGE_ADDED"); e.Events.Type != "MESSAGE_ADDED" || e.Events.Message.ID != m {
			t.Fatalf("Ann's own stream got %+v", e.Events)
		}
		// The TYPING's cursor is the last durable one: resuming from it
		// replays the message after it, and never the TYPING.
		replay := bob.Connect().Subscribe(typingEventsQuery, Vars{"s": e.Events.Cursor})
		if r := nextOf(t, replay, "TYPING", "MESSAGE_ADDED", "RESYNC_REQUIRED"); r.Events.Type != "MESSAGE_ADDED" || r.Events.Message.ID != m {
			t.Fatalf("resuming from the TYPING's cursor replayed %+v", r.Events)
		}
	})
}

func TestTypingIsSaidOncePerFewSecondsAndCapped(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		bobSub := bob.Connect().Subscribe(typingEventsQuery, nil)
		listening(t, env, 1)
		var ok struct{ Typing bool }
		ann.MustDo(typingMutation, Vars{"c": c}, &ok)
		first := nextOf(t, bobSub, "TYPING").Events.Typing
		// At once again: true, and nothing said.
		if ann.MustDo(typingMutation, Vars{"c": c}, &ok); !ok.Typing {
			t.Fatal("a repeated typing answered false")
		}
		env.Clock.Advance(3 * time.Second)
		ann.MustDo(typingMutation, Vars{"c": c}, nil)
		renewed := nextOf(t, bobSub, "TYPING").Events.Typing
		if renewed.ExpiresAt.Sub(first.ExpiresAt) < 3*time.Second {
			t.Fatalf("the second TYPING expires at %v, the first at %v: the repeat was said", renewed.ExpiresAt, first.ExpiresAt)
		}
		// Calling far faster than anyone types hits the cap.
		for i := 0; ; i++ {
			r := ann.Do(typingMutation, Vars{"c": c})
			if r.Code() == "RATE_LIMITED" {
				break
			}
			if len(r.Errors) > 0 || i > 50 {
				t.Fatalf("call %d: %+v, want RATE_LIMITED by now", i, r.Errors)
			}
		}
	})
}

func TestTypingIsRefusedToThoseWhoCannotSeeTheConversation(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		c := directChat(t, ann, bob.ID)
		cat.MustFail("FORBIDDEN", typingMutation, Vars{"c": c})
		cat.MustFail("NOT_FOUND", typingMutation, Vars{"c": "ch01J0000000000000000000000"})
		env.Anonymous().MustFail("UNAUTHENTICATED", typingMutation, Vars{"c": c})
		site := createChannel(t, env, "LIVE_CHAT", "Website")
		visitor, s := startLiveChat(t, env, site, "Vera")
		send(t, visitor, s, "hello")
		cat.MustFail("FORBIDDEN", typingMutation, Vars{"c": s})
		visitor.MustFail("FORBIDDEN", typingMutation, Vars{"c": c})
		if r := cat.Connect().Subscribe(`subscription($c:ID!){ typingUpdated(conversationId:$c){ expiresAt } }`, Vars{"c": c}).Next(wait); r.Code() != "FORBIDDEN" {
			t.Fatalf("an outsider subscribed to typing: %+v", r.Errors)
		}
	})
}

func TestAVisitorAndAnAgentSeeEachOtherType(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		site := createChannel(t, env, "LIVE_CHAT", "Website", ann.ID)
		visitor, s := startLiveChat(t, env, site, "Vera")
		send(t, visitor, s, "Do you ship to Norway?")
		q := `subscription($c:ID!){ typingUpdated(conversationId:$c){ conversation { id } user { id name } expiresAt } }`
		annSub := ann.Connect().Subscribe(q, Vars{"c": s})
		annEvents := ann.Connect().Subscribe(typingEventsQuery, nil)
		visitorSub := visitor.Connect().Subscribe(q, Vars{"c": s})
		listening(t, env, 3)
		visitor.MustDo(typingMutation, Vars{"c": s}, nil)
		var got struct{ TypingUpdated typingView }
		annSub.Next(wait).Decode(t, &got)
		if got.TypingUpdated.Conversation.ID != s || got.TypingUpdated.User != nil {
			t.Fatalf("the agent was told %+v", got.TypingUpdated)
		}
		if e := nextOf(t, annEvents, "TYPING"); e.Events.Typing.User != nil || e.Events.Typing.Conversation.ID != s {
			t.Fatalf("the agent's events said %+v", e.Events.Typing)
		}
		ann.MustDo(typingMutation, Vars{"c": s}, nil)
		got.TypingUpdated = typingView{}
		r := visitorSub.Next(wait)
		r.Decode(t, &got)
		if got.TypingUpdated.User == nil || got.TypingUpdated.User.Name != "Ann" {
			t.Fatalf("the visitor was told %+v (%+v)", got.TypingUpdated, r.Errors)
		}
		// The agent did not hear their own: the next thing they hear is the visitor again.
		env.Clock.Advance(3 * time.Second)
		visitor.MustDo(typingMutation, Vars{"c": s}, nil)
		got.TypingUpdated = typingView{}
		annSub.Next(wait).Decode(t, &got)
		if got.TypingUpdated.User != nil {
			t.Fatalf("the agent heard their own typing: %+v", got.TypingUpdated)
		}
	})
}
