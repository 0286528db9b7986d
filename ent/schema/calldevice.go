package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"parley/ent/schema/gqlannot"
)

// CallDevice numbers the signals one device sends in one call, so that its
// peers put them in order whichever instance delivered them
// (server/calls). Rows go when the call ends.
type CallDevice struct{ ent.Schema }

// Fields of the CallDevice.
func (CallDevice) Fields() []ent.Field {
	return []ent.Field{
		field.String("call_id").GoType(pulidID).Immutable(),
		field.String("device").NotEmpty().MaxLen(64).Immutable(),
		// The last sequence number handed out.
		field.Int64("seq").Default(0),
	}
}

// Edges of the CallDevice.
func (CallDevice) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("call", Call.Type).Field("call_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the CallDevice.
func (CallDevice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("call_id", "device").Unique()}
}

// Annotations of the CallDevice.
func (CallDevice) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipAll()}
}
