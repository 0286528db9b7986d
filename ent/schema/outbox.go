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

// Outbox is a message waiting to be handed to a channel's provider. It is
// committed with the message; a worker delivers it with retries and backoff.
type Outbox struct{ ent.Schema }

// Mixin of the Outbox.
func (Outbox) Mixin() []ent.Mixin { return []ent.Mixin{Timestamps{}} }

// Fields of the Outbox.
func (Outbox) Fields() []ent.Field {
	return []ent.Field{
		field.String("message_id").GoType(pulidID).Unique().Immutable(),
		field.String("channel_id").GoType(pulidID).Immutable(),
		field.Enum("state").Values("PENDING", "SENDING", "DONE", "FAILED").Default("PENDING"),
		field.Int("attempts").Default(0),
		field.Time("next_attempt_at").Default(nowUTC),
		// Set while a worker holds the entry; an expired lease can be taken again.
		field.Time("lease_until").Optional().Nillable(),
		field.String("last_error").Optional().Nillable(),
	}
}

// Edges of the Outbox.
func (Outbox) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("message", Message.Type).Field("message_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Outbox.
func (Outbox) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("state", "next_attempt_at"),
		// Deleting a message (retention) finds its outbox entry by index.
		index.Fields("message_id"),
	}
}

// Annotations of the Outbox.
func (Outbox) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipAll()}
}
