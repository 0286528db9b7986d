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

// ReadMark is one step of a member's read horizon in a chat: they read up
// to seq at read_at. A message was read by a member at the first mark at or
// past it, so "seen by" costs one row per markRead, not one per message.
type ReadMark struct{ ent.Schema }

// Fields of the ReadMark.
func (ReadMark) Fields() []ent.Field {
	return []ent.Field{
		field.String("conversation_id").GoType(pulidID).Immutable(),
		field.String("user_id").GoType(pulidID).Immutable(),
		field.Int64("seq").Immutable(),
		field.Time("read_at").Default(nowUTC).Immutable(),
	}
}

// Edges of the ReadMark.
func (ReadMark) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("conversation", Conversation.Type).Field("conversation_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the ReadMark: who read a message is the marks at or past its seq.
func (ReadMark) Indexes() []ent.Index {
	return []ent.Index{index.Fields("conversation_id", "seq")}
}

// Annotations of the ReadMark.
func (ReadMark) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipAll()}
}
