package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"parley/ent/schema/gqlannot"
)

// Token is a revocable bearer token. Only its SHA-256 is stored.
// A USER token speaks for a user; a VISITOR token for a Live Chat visitor,
// scoped to one session.
type Token struct{ ent.Schema }

// Mixin of the Token.
func (Token) Mixin() []ent.Mixin { return []ent.Mixin{CreatedAt{}} }

// Fields of the Token.
func (Token) Fields() []ent.Field {
	return []ent.Field{
		field.String("hash").Unique().Immutable().Sensitive(),
		field.Enum("kind").Values("USER", "VISITOR").Default("USER").Immutable(),
		field.String("user_id").GoType(pulidID).Optional().Nillable().Immutable(),
		field.String("conversation_id").GoType(pulidID).Optional().Nillable().Immutable(),
		field.Time("expires_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Edges of the Token.
func (Token) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("tokens").Field("user_id").Unique().Immutable(),
		edge.To("conversation", Conversation.Type).Field("conversation_id").Unique().Immutable(),
	}
}

// Indexes of the Token.
func (Token) Indexes() []ent.Index { return []ent.Index{index.Fields("user_id")} }

// Annotations of the Token.
func (Token) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipAll()}
}
