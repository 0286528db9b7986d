package pulid

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// Mixin gives a schema a prefixed ULID primary key.
type Mixin struct {
	mixin.Schema
	prefix string
}

// MixinWithPrefix returns the ID mixin for one type prefix.
func MixinWithPrefix(prefix string) Mixin { return Mixin{prefix: prefix} }

// Fields provides the id field.
func (m Mixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").
			GoType(ID("")).
			MaxLen(28).
			Immutable().
			DefaultFunc(func() ID { return MustNew(m.prefix) }),
	}
}

// Annotation records the prefix of a type.
type Annotation struct{ Prefix string }

// Name implements schema.Annotation.
func (Annotation) Name() string { return "PULID" }

// Annotations returns the prefix annotation.
func (m Mixin) Annotations() []schema.Annotation {
	return []schema.Annotation{Annotation{Prefix: m.prefix}}
}
