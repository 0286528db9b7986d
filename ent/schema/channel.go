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

// Channel is one way customers reach the business: an SMS number, a WhatsApp
// number, a Facebook page, an Instagram account or a website's Live Chat.
type Channel struct{ ent.Schema }

// Mixin of the Channel.
func (Channel) Mixin() []ent.Mixin { return []ent.Mixin{pulid.MixinWithPrefix("cn"), Timestamps{}} }

// Fields of the Channel.
func (Channel) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("SMS", "WHATSAPP", "MESSENGER", "INSTAGRAM", "LIVE_CHAT").Immutable(),
		field.String("name").NotEmpty().Validate(maxChars(200)),
		// False once sync with the provider is lost: nothing is sent until an admin reconnects.
		field.Bool("connected").Default(true),
		field.Int64("max_file_size"),
		field.Int("auto_close_after_hours").Optional().Nillable(),
		field.Int("file_retention_hours").Default(72),
		// The provider's id of the number, page or account, for routing webhooks.
		field.String("external_id").Optional().Nillable().Validate(maxChars(256)),
		// The page / number / site customers write to, as they see it.
		field.String("page_name").Optional().Nillable().Validate(maxChars(200)),
		// Provider secrets; never readable through the API.
		// receive_comments: comments under the page's posts come into the inbox.
		field.Bool("receive_comments").Default(true),
		field.JSON("credentials", map[string]string{}).Optional().Sensitive().SchemaType(jsonText),
	}
}

// Edges of the Channel.
func (Channel) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("agents", User.Type),
		edge.To("sessions", Conversation.Type),
		edge.To("contacts", Contact.Type),
	}
}

// Indexes of the Channel.
func (Channel) Indexes() []ent.Index {
	return []ent.Index{index.Fields("kind", "external_id")}
}

// Annotations of the Channel.
func (Channel) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipInputs()}
}
