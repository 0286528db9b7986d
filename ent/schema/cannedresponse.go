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

// CannedResponse is a saved reply: personal, or shared with everyone by an admin.
type CannedResponse struct{ ent.Schema }

// Mixin of the CannedResponse.
func (CannedResponse) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("cr"), Timestamps{}}
}

// Fields of the CannedResponse.
func (CannedResponse) Fields() []ent.Field {
	return []ent.Field{
		field.String("shortcut").NotEmpty().Validate(maxChars(64)),
		field.Text("text").NotEmpty(),
		field.Bool("shared").Default(false),
		field.String("owner_id").GoType(pulidID).Immutable(),
	}
}

// Edges of the CannedResponse.
func (CannedResponse) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("owner", User.Type).Ref("canned_responses").Field("owner_id").Unique().Required().Immutable(),
	}
}

// Indexes of the CannedResponse.
func (CannedResponse) Indexes() []ent.Index {
	return []ent.Index{index.Fields("owner_id"), index.Fields("shared")}
}

// Annotations of the CannedResponse.
func (CannedResponse) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipInputs()}
}
