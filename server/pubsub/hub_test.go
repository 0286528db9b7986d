package pubsub

import (
	"testing"

	"parley/server/history/events"
)

// The hub knows which types its subscribers take, and which deliveries a
// principal's would receive, as they come and go.
func TestHubTakesAndWants(t *testing.T) {
	h := NewHub()
	typing := &Delivery{Type: events.Typing, ConversationID: "c1"}
	presence := &Delivery{Type: events.PresenceUpdated}
	if h.Takes(events.Typing) || h.Wants("u1", typing) {
		t.Fatal("an empty hub takes typing")
	}
	s1 := h.Subscribe("u1", Filter{ConversationID: "c1", Types: []events.Type{events.MessageAdded}})
	if h.Takes(events.Typing) || h.Wants("u1", typing) || !h.Takes(events.MessageAdded) {
		t.Fatal("a messageAdded subscriber: takes typing, or not messages")
	}
	s2 := h.Subscribe("u1", Filter{ConversationID: "c1", Types: []events.Type{events.Typing}})
	if !h.Takes(events.Typing) || !h.Wants("u1", typing) || h.Wants("u2", typing) || h.Wants("u1", presence) {
		t.Fatal("a typing subscriber of c1")
	}
	s3 := h.Subscribe("u2", Filter{})
	if !h.Takes(events.PresenceUpdated) || !h.Wants("u2", presence) {
		t.Fatal("a subscriber of everything")
	}
	for _, s := range []*Sub{s1, s2, s3, s3} { // the second time: already out
		h.Unsubscribe(s)
	}
	if h.Takes(events.MessageAdded) || h.Takes(events.Typing) || h.Takes(events.PresenceUpdated) {
		t.Fatal("a hub whose subscribers left still takes something")
	}
}
