package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"parley/ent/schema/gqlannot"
	"parley/ent/schema/pulid"
)

// Attachment is an uploaded file: it belongs to its uploader and conversation
// until a message carries it.
type Attachment struct{ ent.Schema }

// Mixin of the Attachment.
func (Attachment) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("at"), CreatedAt{}}
}

// Fields of the Attachment.
func (Attachment) Fields() []ent.Field {
	return []ent.Field{
		field.String("conversation_id").GoType(pulidID).Immutable(),
		field.String("message_id").GoType(pulidID).Optional().Nillable(),
		// A user ID, or "contact:<id>" for a Live Chat visitor.
		field.String("uploader_key").MaxLen(64).Immutable(),
		field.String("filename").MaxLen(255),
		field.String("content_type").MaxLen(255),
		field.Int64("size"),
		field.String("storage_key").MaxLen(512).Sensitive(),
		field.Int("width").Optional().Nillable(),
		field.Int("height").Optional().Nillable(),
		field.Float("duration_seconds").Optional().Nillable(),
		// When the file will be or was removed by retention; the message stays.
		field.Time("expires_at").Optional().Nillable(),
		field.Bool("expired").Default(false),
	}
}

// Edges of the Attachment.
func (Attachment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("conversation", Conversation.Type).Field("conversation_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("message", Message.Type).Field("message_id").Unique().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Attachment.
func (Attachment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("message_id"),
		index.Fields("expired", "expires_at"),
		index.Fields("message_id", "created_at"),
	}
}

// Annotations of the Attachment.
func (Attachment) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipInputs()}
}
