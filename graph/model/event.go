package model

import "parley/ent"

// Event is one entry of a user's `events` stream.
type Event struct {
	Cursor       string
	Type         EventType
	Conversation Conversation
	Message      *ent.Message
	Badges       *Badges
	Call         *ent.Call
	Typing       *Typing
	User         *ent.User
	CallSignal   *CallSignal
}

// FanoutKey says that a message's event is one event for all who receive
// it: its log entry (the cursor) and the message name it (server/fanout).
// Other events (badges, typing, calls) are the reader's own.
func (e *Event) FanoutKey() (string, bool) {
	if e.Message == nil || (e.Type != EventTypeMessageAdded && e.Type != EventTypeMessageUpdated) {
		return "", false
	}
	return e.Cursor + " " + string(e.Type) + " " + string(e.Message.ID), true
}
