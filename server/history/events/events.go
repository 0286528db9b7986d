// Package events names the event types once. The stored ones are the event
// log's (ent's enum is their storage, ent/schema/event.go); the others are
// only ever said on a stream. Everyone else refers to these constants.
package events

import "parley/ent/event"

// Type is an event's type.
type Type = event.Type

// Stored in the log, written by history.Tx.Emit.
const (
	MessageAdded        = event.TypeMESSAGE_ADDED
	MessageUpdated      = event.TypeMESSAGE_UPDATED
	ConversationAdded   = event.TypeCONVERSATION_ADDED
	ConversationUpdated = event.TypeCONVERSATION_UPDATED
	ConversationRemoved = event.TypeCONVERSATION_REMOVED
	CallUpdated         = event.TypeCALL_UPDATED
	// UserUpdated: a colleague's profile, avatar, role or state changed;
	// every colleague hears of it (the directory is everyone's).
	UserUpdated = event.TypeUSER_UPDATED
)

// Said only on a stream, never stored.
const (
	// BadgesUpdated follows changes that move the caller's badges.
	BadgesUpdated Type = "BADGES_UPDATED"
	// ResyncRequired says the stream could not resume: refetch.
	ResyncRequired Type = "RESYNC_REQUIRED"
	// Typing and PresenceUpdated are ephemeral (pubsub.Signal): never in
	// the log, so never replayed.
	Typing          Type = "TYPING"
	PresenceUpdated Type = "PRESENCE_UPDATED"
	// CallSignal is a call's WebRTC signal (pubsub.CallSignal), ephemeral too.
	CallSignal Type = "CALL_SIGNAL"
)
