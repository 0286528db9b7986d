package schema

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"parley/ent/schema/gqlannot"
	"parley/ent/schema/pulid"
)

// Post is the social post a COMMENT was left under.
type Post struct {
	ID   string  `json:"id"`
	URL  *string `json:"url,omitempty"`
	Text *string `json:"text,omitempty"`
}

// TranscriptionStatus is where a transcription stands.
type TranscriptionStatus string

// The statuses of a transcription.
const (
	TranscriptionPending TranscriptionStatus = "PENDING"
	TranscriptionDone    TranscriptionStatus = "DONE"
	TranscriptionFailed  TranscriptionStatus = "FAILED"
)

// MarshalGQL implements graphql.Marshaler.
func (s TranscriptionStatus) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(s)))
}

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *TranscriptionStatus) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("enums must be strings")
	}
	switch TranscriptionStatus(str) {
	case TranscriptionPending, TranscriptionDone, TranscriptionFailed:
		*s = TranscriptionStatus(str)
		return nil
	}
	return fmt.Errorf("%s is not a valid TranscriptionStatus", str)
}

// Transcription is the text of an AUDIO message.
type Transcription struct {
	Status   TranscriptionStatus `json:"status"`
	Text     *string             `json:"text,omitempty"`
	Language *string             `json:"language,omitempty"`
	// Reason says why a FAILED transcription failed (for an agent to read).
	Reason *string `json:"reason,omitempty"`
	// The job's bookkeeping, not in the API: how often an engine was tried,
	// and when the job may take a PENDING one (again): the end of a retry's
	// backoff or of the lease of the instance working on it.
	Attempts int        `json:"attempts,omitempty"`
	Due      *time.Time `json:"due,omitempty"`
}

// Template is the pre-approved message (WhatsApp) a conversation was opened with.
type Template struct {
	Name       string   `json:"name"`
	Language   string   `json:"language"`
	Parameters []string `json:"parameters,omitempty"`
}

// Message is one entry of a conversation's history.
type Message struct{ ent.Schema }

// Mixin of the Message.
func (Message) Mixin() []ent.Mixin { return []ent.Mixin{pulid.MixinWithPrefix("ms"), Timestamps{}} }

// Fields of the Message.
func (Message) Fields() []ent.Field {
	return []ent.Field{
		field.String("conversation_id").GoType(pulidID).Immutable(),
		// Position in the conversation, from 1: the order of history and the read horizon.
		field.Int64("seq").Immutable().Annotations(gqlannot.OrderField("SEQ")),
		field.String("sender_id").GoType(pulidID).Optional().Nillable().Immutable(),
		// Who wrote it, for idempotency: a user ID, or "contact:<id>" for a customer.
		field.String("author_key").MaxLen(64).Immutable(),
		field.Enum("direction").Values("INTERNAL", "INBOUND", "OUTBOUND").Immutable(),
		field.Enum("kind").Values("TEXT", "IMAGE", "FILE", "AUDIO", "VIDEO", "COMMENT", "NOTE", "SYSTEM").Immutable(),
		field.Text("text").Optional().Nillable(),
		field.Enum("status").Values("PENDING", "SENT", "DELIVERED", "READ", "FAILED").Default("SENT"),
		field.String("failure_reason").Optional().Nillable(),
		field.Time("read_at").Optional().Nillable(),
		field.String("client_message_id").Optional().Nillable().Immutable().Validate(maxChars(128)),
		// Provider's own id of the message, unique per channel: webhooks retry.
		field.String("channel_id").GoType(pulidID).Optional().Nillable().Immutable(),
		field.String("provider_message_id").Optional().Nillable().Validate(maxChars(256)),
		field.String("reply_to_id").GoType(pulidID).Optional().Nillable().Immutable(),
		field.JSON("post", &Post{}).Optional().SchemaType(jsonText),
		field.Enum("message_tag").Values("ACCOUNT_UPDATE", "POST_PURCHASE_UPDATE", "CONFIRMED_EVENT_UPDATE", "HUMAN_AGENT").Optional().Nillable().Immutable(),
		field.JSON("transcription", &Transcription{}).Optional().SchemaType(jsonText),
		// Set when the message is a template (the only way to open a WhatsApp conversation).
		field.JSON("template", &Template{}).Optional().SchemaType(jsonText),
		// Private to agents (a note, a forwarding note): never shown to a visitor
		// nor sent to the customer.
		field.Bool("agents_only").Default(false).Immutable(),
		// provider_kind is the provider's own name for what an inbound
		// message is when Parley has no kind of its own for it (location, sticker, unsupported).
		field.String("provider_kind").Optional().Nillable().Immutable().Validate(maxChars(64)),
		field.Time("edited_at").Optional().Nillable(),
		field.Time("deleted_at").Optional().Nillable(),
		// A reply deleted after the customer had it: gone from Parley only.
		field.Bool("deleted_after_delivery").Default(false),
	}
}

// Edges of the Message.
func (Message) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("conversation", Conversation.Type).Field("conversation_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("sender", User.Type).Field("sender_id").Unique().Immutable(),
		// Many messages may answer one (a plain To edge with Unique would make
		// it one-to-one, with a unique index on reply_to_id).
		edge.To("replies", Message.Type).
			From("reply_to").Field("reply_to_id").Unique().Immutable().
			Annotations(entsql.OnDelete(entsql.SetNull)),
		edge.To("mentions", User.Type),
		edge.From("attachments", Attachment.Type).Ref("message"),
		edge.From("reactions", Reaction.Type).Ref("message"),
	}
}

// Indexes of the Message.
func (Message) Indexes() []ent.Index {
	return []ent.Index{
		// History, newest first, and the read horizon.
		index.Fields("conversation_id", "seq").Unique(),
		// A retried send returns the first message.
		index.Fields("conversation_id", "author_key", "client_message_id").Unique(),
		// A webhook delivered twice stores one message.
		index.Fields("channel_id", "provider_message_id").Unique(),
		// Retention sweeps by age.
		index.Fields("created_at"),
		// Deleting a message clears the replies to it (ON DELETE SET NULL).
		index.Fields("reply_to_id"),
	}
}

// Annotations of the Message.
func (Message) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqlannot.RelayConnection(),
		gqlannot.SkipInputs(),
	}
}
