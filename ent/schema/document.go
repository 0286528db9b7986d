package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"parley/ent/schema/gqlannot"
	"parley/ent/schema/pulid"
)

// Document is an order, estimate or inquiry made for a customer, often from a chat.
type Document struct{ ent.Schema }

// Mixin of the Document.
func (Document) Mixin() []ent.Mixin { return []ent.Mixin{pulid.MixinWithPrefix("dc"), CreatedAt{}} }

// Fields of the Document.
func (Document) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("ORDER", "ESTIMATE", "INQUIRY").Immutable(),
		// Numbered per kind: 1, 2, …; shown as ORD-000001 and so on.
		field.Int("seq").Immutable(),
		field.String("number").Immutable().MaxLen(32),
		field.String("title").NotEmpty().Validate(maxChars(300)),
		// Mutable: merging customers moves their documents.
		field.String("customer_id").GoType(pulidID),
		field.String("session_id").GoType(pulidID).Optional().Nillable().Immutable(),
		field.String("created_by_id").GoType(pulidID).Optional().Nillable().Immutable(),
	}
}

// Edges of the Document.
func (Document) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customer", Customer.Type).Field("customer_id").Unique().Required(),
		edge.To("session", Conversation.Type).Field("session_id").Unique().Immutable(),
		edge.To("created_by", User.Type).Field("created_by_id").Unique().Immutable(),
	}
}

// Indexes of the Document.
func (Document) Indexes() []ent.Index {
	return []ent.Index{index.Fields("kind", "seq").Unique()}
}

// Annotations of the Document.
func (Document) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipInputs()}
}
