package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"parley/ent/schema/gqlannot"
)

// Event is one entry of the log behind the resumable `events` stream. It is
// written in the same transaction as the change it reports, at its commit
// (server/pubsub Append); its id is its position, and ids follow commit
// order. A relay reads the log in that order and fans entries out, and a
// client that reconnects reads what it missed from here. Columns are plain
// ids, not foreign keys: the log outlives what it mentions.
type Event struct{ ent.Schema }

// Mixin of the Event.
func (Event) Mixin() []ent.Mixin { return []ent.Mixin{CreatedAt{}} }

// Fields of the Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id").Immutable(),
		field.Enum("type").Values(
			"MESSAGE_ADDED", "MESSAGE_UPDATED", "CONVERSATION_ADDED", "CONVERSATION_UPDATED",
			"CONVERSATION_REMOVED", "CALL_UPDATED", "USER_UPDATED").Immutable(),
		// Set when the event is for one user only; otherwise everyone who can
		// see the conversation receives it.
		field.String("user_id").GoType(pulidID).Optional().Nillable().Immutable(),
		field.String("conversation_id").GoType(pulidID).Optional().Nillable().Immutable(),
		// The channel of a session, so agents' access decides who hears of it.
		field.String("channel_id").GoType(pulidID).Optional().Nillable().Immutable(),
		field.String("message_id").GoType(pulidID).Optional().Nillable().Immutable(),
		field.String("call_id").GoType(pulidID).Optional().Nillable().Immutable(),
		// USER_UPDATED: the colleague whose profile, avatar, role or state changed.
		field.String("subject_id").GoType(pulidID).Optional().Nillable().Immutable(),
		// For agents only: a private note, or a session's internal change.
		// A Live Chat visitor never receives it.
		field.Bool("agents_only").Default(false).Immutable(),
		// counted is, for a MESSAGE_ADDED of a chat, the chat's counted
		// after the message: a stream moves its reader's badges from it
		// without reading them again.
		field.Int64("counted").Optional().Nillable().Immutable(),
	}
}

// Indexes of the Event.
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
	}
}

// Annotations of the Event.
func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipAll()}
}
