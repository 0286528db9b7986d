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

// User is a colleague: an admin, an agent (may be granted channels) or a member (internal chat only).
type User struct{ ent.Schema }

// Mixin of the User.
func (User) Mixin() []ent.Mixin { return []ent.Mixin{pulid.MixinWithPrefix("us"), Timestamps{}} }

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Validate(maxChars(200)).Annotations(gqlannot.OrderField("NAME")),
		// Stored lower-cased; login and search compare lower-cased.
		field.String("email").NotEmpty().Validate(maxChars(320)).Unique(),
		field.String("extension").Optional().Nillable().Validate(maxChars(32)).Unique(),
		field.Enum("role").Values("ADMIN", "AGENT", "MEMBER").Default("MEMBER"),
		field.String("password_hash").Sensitive(),
		field.Bool("sound_enabled").Default(true),
		field.Bool("popup_enabled").Default(true),
		// When the user's last WebSocket closed, on any instance (User.lastSeenAt).
		field.Time("last_seen_at").Optional().Nillable(),
		// A deactivated user cannot log in; their name stays on their history.
		field.Bool("active").Default(true),
		// The avatar image in blob storage, and its sniffed type.
		field.String("avatar_key").Optional().Nillable().Sensitive(),
		field.String("avatar_content_type").Optional().Nillable(),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("tokens", Token.Type),
		edge.To("memberships", Member.Type),
		edge.From("channels", Channel.Type).Ref("agents"),
		edge.To("canned_responses", CannedResponse.Type),
		edge.From("mentioned_in", Message.Type).Ref("mentions"),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name")}
}

// Annotations of the User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.RelayConnection()}
}
