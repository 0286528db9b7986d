package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"parley/ent/schema/gqlannot"
	"parley/ent/schema/pulid"
)

// Customer is the business's own record of a customer, with orders and estimates.
type Customer struct{ ent.Schema }

// Mixin of the Customer.
func (Customer) Mixin() []ent.Mixin { return []ent.Mixin{pulid.MixinWithPrefix("cu"), Timestamps{}} }

// Fields of the Customer.
func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Validate(maxChars(200)).Annotations(gqlannot.OrderField("NAME")),
		field.Strings("phones").Default([]string{}).SchemaType(jsonText),
		field.Strings("emails").Default([]string{}).SchemaType(jsonText),
		// Lower-cased name, e-mails and phone digits, for search.
		field.Text("search_text").Default(""),
	}
}

// Edges of the Customer.
func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("links", CustomerLink.Type).Ref("customer"),
		edge.From("documents", Document.Type).Ref("customer"),
	}
}

// Annotations of the Customer.
func (Customer) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqlannot.RelayConnection(),
		gqlannot.SkipInputs(),
	}
}

// CustomerLink ties a channel contact (and so its session) to a customer record.
type CustomerLink struct{ ent.Schema }

// Mixin of the CustomerLink.
func (CustomerLink) Mixin() []ent.Mixin { return []ent.Mixin{CreatedAt{}} }

// Fields of the CustomerLink.
func (CustomerLink) Fields() []ent.Field {
	return []ent.Field{
		field.String("contact_id").GoType(pulidID).Unique().Immutable(),
		field.String("customer_id").GoType(pulidID),
		field.String("linked_by_id").GoType(pulidID).Optional().Nillable(),
	}
}

// Edges of the CustomerLink.
func (CustomerLink) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("contact", Contact.Type).Ref("link").Field("contact_id").Unique().Required().Immutable(),
		edge.To("customer", Customer.Type).Field("customer_id").Unique().Required(),
		edge.To("linked_by", User.Type).Field("linked_by_id").Unique(),
	}
}

// Annotations of the CustomerLink.
func (CustomerLink) Annotations() []schema.Annotation {
	return []schema.Annotation{gqlannot.SkipAll()}
}
