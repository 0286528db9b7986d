// Package parley is the module root: it holds the GraphQL schema and the
// code generation steps.
package parley

//go:generate go run -mod=mod ./ent/entc.go
//go:generate go tool gqlgen generate
