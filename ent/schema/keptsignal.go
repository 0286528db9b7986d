package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"parley/ent/schema/gqlannot"
)

// KeptSignal holds, for a few seconds, a WebRTC signal too large for a
// PostgreSQL NOTIFY (8000 bytes): the NOTIFY names the row and each
// instance reads it (server/pubsub). Rows go when the call ends or after a
// minute, whichever is first.
type KeptSignal struct{ ent.Schema }

// Fields of the CallSignal.
func (KeptSignal) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id").Immutable(),
		field.String("call_id").GoType(pulidID).Immutable(),
		// The pubsub.Signal as JSON.
		field.Text("body").Immutable(),
		field.Time("created_at").Immutable(),
	}
}

// Indexes of the CallSignal.
func (KeptSignal) Indexes() []ent.Index {
	return []ent.Index{index.Fields("call_id"), index.Fields("created_at")}
}

// Annotations of the CallSignal.
func (KeptSignal) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipAll()}
}
