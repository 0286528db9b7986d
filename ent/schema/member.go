package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"parley/ent/schema/gqlannot"
)

// Member is one user's place in a conversation: membership of a chat, or an
// agent's own preferences for a session. Its counters move in the same
// transaction as what moves them, so badges never count messages; a message
// writes only the rows of its sender, of those it mentions and of those who
// had archived the chat.
type Member struct{ ent.Schema }

// Fields of the Member.
func (Member) Fields() []ent.Field {
	return []ent.Field{
		field.String("conversation_id").GoType(pulidID).Immutable(),
		field.String("user_id").GoType(pulidID).Immutable(),
		field.Time("joined_at").Default(nowUTC).Immutable(),
		// Read horizon: the seq of the newest message the user has read.
		field.Int64("read_seq").Default(0),
		// The member's unread count is the conversation's counted minus
		// this: reading moves it up to counted, a message moves neither.
		field.Int64("unread_base").Default(0),
		field.Int("mention_count").Default(0),
		field.Bool("muted").Default(false),
		field.Bool("pinned").Default(false),
		// Hidden from the user's list until the next message arrives.
		field.Bool("archived").Default(false),
		// When the user joined (or first touched) the conversation: a user's
		// list orders chats by the later of this and the last message.
		field.Time("activity_at").Default(func() time.Time { return nowUTC() }),
	}
}

// Edges of the Member.
func (Member) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("conversation", Conversation.Type).Ref("members").Field("conversation_id").Unique().Required().Immutable(),
		edge.From("user", User.Type).Ref("memberships").Field("user_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Member.
func (Member) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("conversation_id", "user_id").Unique(),
		// A user's chats; the list sorts them by activity itself (the later
		// of activity_at and the chat's last message).
		index.Fields("user_id", "archived", "pinned"),
	}
}

// Annotations of the Member.
func (Member) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipAll()}
}
