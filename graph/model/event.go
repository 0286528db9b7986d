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
