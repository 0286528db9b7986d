package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"parley/ent/schema/pulid"
)

// nowUTC is the default for timestamps: always UTC, so that SQLite's text
// timestamps compare in the same order as the instants they name.
func nowUTC() time.Time { return time.Now().UTC() }

// CreatedAt adds an immutable creation time.
type CreatedAt struct{ mixin.Schema }

// Fields of the mixin.
func (CreatedAt) Fields() []ent.Field {
	return []ent.Field{field.Time("created_at").Default(nowUTC).Immutable()}
}

// Timestamps adds creation and update times.
type Timestamps struct{ mixin.Schema }

// Fields of the mixin.
func (Timestamps) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(nowUTC).Immutable(),
		field.Time("updated_at").Default(nowUTC).UpdateDefault(nowUTC),
	}
}

// pulidID is the Go type of every foreign key to a node.
var pulidID = pulid.ID("")
