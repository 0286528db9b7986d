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

// Contact is a customer as one channel knows them.
type Contact struct{ ent.Schema }

// Mixin of the Contact.
func (Contact) Mixin() []ent.Mixin { return []ent.Mixin{pulid.MixinWithPrefix("ct"), Timestamps{}} }

// Fields of the Contact.
func (Contact) Fields() []ent.Field {
	return []ent.Field{
		field.String("channel_id").GoType(pulidID).Immutable(),
		// The provider's identity of the customer: phone number, PSID, IGSID, visitor id.
		field.String("external_id").NotEmpty().Validate(maxChars(256)).Immutable(),
		field.String("display_name").Optional().Nillable().Validate(maxChars(200)),
		field.String("phone").Optional().Nillable().Validate(maxChars(32)),
		field.String("email").Optional().Nillable().Validate(maxChars(320)),
		field.String("nickname").Optional().Nillable().Validate(maxChars(200)),
		field.String("avatar_url").Optional().Nillable().Validate(maxChars(2048)),
		field.Bool("privacy_restricted").Default(false),
		// When the customer opted out of the channel (SMS STOP): nothing is
		// sent to them until they opt in again.
		field.Time("opted_out_at").Optional().Nillable(),
	}
}

// Edges of the Contact.
func (Contact) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("channel", Channel.Type).Ref("contacts").Field("channel_id").Unique().Required().Immutable(),
		edge.To("sessions", Conversation.Type),
		edge.To("link", CustomerLink.Type).Unique(),
	}
}

// Indexes of the Contact.
func (Contact) Indexes() []ent.Index {
	return []ent.Index{index.Fields("channel_id", "external_id").Unique()}
}

// Annotations of the Contact.
func (Contact) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipInputs()}
}
