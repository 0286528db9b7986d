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

// Conversation is any place messages are written: a DIRECT or GROUP chat
// between colleagues, or an EXTERNAL session with a customer on a channel.
// Sessions keep their own columns here (nil for chats) so that messages,
// counters and events all hang off one key. Chat IDs start with "ch",
// session IDs with "se".
type Conversation struct{ ent.Schema }

// Mixin of the Conversation.
func (Conversation) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("ch"), Timestamps{}}
}

// Fields of the Conversation.
func (Conversation) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("DIRECT", "GROUP", "EXTERNAL").Immutable(),
		field.String("title").Default("").Validate(maxChars(200)),
		// The sorted pair of user IDs of a DIRECT chat: one chat per pair.
		field.String("direct_key").Optional().Nillable().Immutable().MaxLen(64),
		field.String("admin_id").GoType(pulidID).Optional().Nillable(),
		// Sequence number of the newest message; messages are numbered 1, 2, …
		field.Int64("last_seq").Default(0),
		// How many of a chat's messages count as unread for those who have
		// not read them (all but SYSTEM ones), ever: a member's unread
		// count is this minus the member's unread_base, so a message moves
		// one counter, not one per member.
		field.Int64("counted").Default(0),
		// The newest message; a plain column (no foreign key) so a send can set
		// it in the same statement that numbers the message.
		field.String("last_message_id").GoType(pulidID).Optional().Nillable(),
		field.Time("last_message_at").Optional().Nillable(),
		// A group whose last member left.
		field.Time("ended_at").Optional().Nillable(),

		// Session columns.
		field.String("channel_id").GoType(pulidID).Optional().Nillable().Immutable(),
		field.String("contact_id").GoType(pulidID).Optional().Nillable().Immutable(),
		field.Enum("status").Values("OPEN", "ARCHIVED").Optional().Nillable(),
		field.String("assignee_id").GoType(pulidID).Optional().Nillable(),
		field.Enum("reply_state").Values("UNREAD", "UNANSWERED", "ANSWERED").Optional().Nillable(),
		field.Time("archived_at").Optional().Nillable(),
		field.String("archived_by_id").GoType(pulidID).Optional().Nillable(),
		field.Time("last_inbound_at").Optional().Nillable(),
		// Inbound messages not yet read by any agent: one shared inbox.
		field.Int("session_unread").Default(0),
		// The customer's oldest unanswered message: set by the first inbound
		// message after an agent's reply, cleared by the next reply. Kept with
		// the message, in its transaction, so the waiting list never scans messages.
		field.Time("waiting_since").Optional().Nillable(),
	}
}

// Edges of the Conversation.
func (Conversation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("admin", User.Type).Field("admin_id").Unique(),
		edge.To("members", Member.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.From("messages", Message.Type).Ref("conversation"),
		edge.From("channel", Channel.Type).Ref("sessions").Field("channel_id").Unique().Immutable(),
		edge.From("contact", Contact.Type).Ref("sessions").Field("contact_id").Unique().Immutable(),
		edge.To("assignee", User.Type).Field("assignee_id").Unique(),
		edge.To("archived_by", User.Type).Field("archived_by_id").Unique(),
		edge.From("documents", Document.Type).Ref("session"),
		edge.From("calls", Call.Type).Ref("conversation"),
	}
}

// Indexes of the Conversation.
func (Conversation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("direct_key").Unique(),
		// One session per channel and contact, also when two first messages race.
		index.Fields("channel_id", "contact_id").Unique(),
		// The inbox: a channel's sessions by status, newest activity first.
		index.Fields("channel_id", "status", "last_message_at"),
		index.Fields("kind", "status", "last_message_at"),
		// Waiting longest first, and the overdue ones.
		index.Fields("kind", "status", "waiting_since"),
	}
}

// Annotations of the Conversation.
func (Conversation) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipInputs()}
}
