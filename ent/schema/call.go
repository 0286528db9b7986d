package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"parley/ent/schema/gqlannot"
	"parley/ent/schema/pulid"
)

// Call is an audio, video or phone call started from a conversation.
type Call struct{ ent.Schema }

// Mixin of the Call.
func (Call) Mixin() []ent.Mixin { return []ent.Mixin{pulid.MixinWithPrefix("ca"), Timestamps{}} }

// Fields of the Call.
func (Call) Fields() []ent.Field {
	return []ent.Field{
		field.String("conversation_id").GoType(pulidID).Immutable(),
		field.Enum("media").Values("AUDIO", "VIDEO", "PHONE").Immutable(),
		field.Enum("state").Values("RINGING", "ACTIVE", "ENDED", "DECLINED", "MISSED").Default("RINGING"),
		field.String("dial_number").Optional().Nillable().Immutable().MaxLen(32),
		field.String("started_by_id").GoType(pulidID).Immutable(),
		field.Time("ended_at").Optional().Nillable(),
		// Who picked up, when, and on which of their devices (client-named):
		// that device is the call's, the user's others stop ringing.
		field.Time("answered_at").Optional().Nillable(),
		field.String("answered_by_id").GoType(pulidID).Optional().Nillable(),
		field.String("answered_device").Optional().Nillable().MaxLen(64),
		// The caller's device, when startCall named it.
		field.String("started_device").Optional().Nillable().Immutable().MaxLen(64),
	}
}

// Edges of the Call.
func (Call) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("conversation", Conversation.Type).Field("conversation_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("started_by", User.Type).Field("started_by_id").Unique().Required().Immutable(),
	}
}

// Annotations of the Call.
func (Call) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipInputs()}
}
