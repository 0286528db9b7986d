package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"parley/ent/schema/gqlannot"
)

// Presence is one instance's word that a user has a WebSocket open on it,
// so that every instance answers User.online alike (server/presence). The
// instance refreshes it every heartbeat and deletes it when the user's last
// socket there closes; a row older than a few heartbeats is an instance
// that died, and counts for nothing.
type Presence struct{ ent.Schema }

// Fields of the Presence.
func (Presence) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").GoType(pulidID).Immutable(),
		// Random per process: names the instance, never reused.
		field.String("instance").NotEmpty().MaxLen(64).Immutable(),
		field.Time("heartbeat_at"),
	}
}

// Indexes of the Presence.
func (Presence) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "instance").Unique(),
		index.Fields("heartbeat_at"),
	}
}

// Annotations of the Presence.
func (Presence) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipAll()}
}
