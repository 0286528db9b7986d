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

// Reaction is an emoji someone put on a message: a colleague, or the
// customer of a session (through their provider).
type Reaction struct{ ent.Schema }

// Mixin of the Reaction.
func (Reaction) Mixin() []ent.Mixin { return []ent.Mixin{CreatedAt{}} }

// Fields of the Reaction.
func (Reaction) Fields() []ent.Field {
	return []ent.Field{
		field.String("message_id").GoType(pulidID).Immutable(),
		// author_key is who reacted, as messages name their author ("user:…", "contact:…").
		field.String("author_key").MaxLen(64).Immutable(),
		field.String("user_id").GoType(pulidID).Optional().Nillable().Immutable(),
		field.String("emoji").NotEmpty().Validate(maxChars(32)).Immutable(),
	}
}

// Edges of the Reaction.
func (Reaction) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("message", Message.Type).Field("message_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Reaction: one per author per emoji on a message.
func (Reaction) Indexes() []ent.Index {
	return []ent.Index{index.Fields("message_id", "author_key", "emoji").Unique()}
}

// Annotations of the Reaction.
func (Reaction) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipAll()}
}
