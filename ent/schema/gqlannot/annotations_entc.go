//go:build entc

package gqlannot

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent/schema"
)

// SkipAll keeps a type out of the GraphQL code altogether.
func SkipAll() schema.Annotation { return entgql.Skip(entgql.SkipAll) }

// SkipInputs makes a GraphQL type without where, create and update inputs.
func SkipInputs() schema.Annotation {
	return entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)
}

// RelayConnection generates a Relay connection (Paginate) for a type.
func RelayConnection() schema.Annotation { return entgql.RelayConnection() }

// OrderField makes a field a connection's order, named name in GraphQL.
func OrderField(name string) schema.Annotation { return entgql.OrderField(name) }
