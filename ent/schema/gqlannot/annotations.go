//go:build !entc

package gqlannot

import "entgo.io/ent/schema"

// placeholder stands for an entgql annotation outside code generation.
type placeholder struct{}

func (placeholder) Name() string { return "gqlannot" }

// SkipAll keeps a type out of the GraphQL code altogether.
func SkipAll() schema.Annotation { return placeholder{} }

// SkipInputs makes a GraphQL type without where, create and update inputs.
func SkipInputs() schema.Annotation { return placeholder{} }

// RelayConnection generates a Relay connection (Paginate) for a type.
func RelayConnection() schema.Annotation { return placeholder{} }

// OrderField makes a field a connection's order, named name in GraphQL.
func OrderField(string) schema.Annotation { return placeholder{} }
