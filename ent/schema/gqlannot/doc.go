// Package gqlannot gives the ent schema its GraphQL (entgql) annotations
// without linking entgql into the server. entgql parses its code-generation
// templates when it is initialised, which keeps ent's and gqlgen's code
// generators (golang.org/x/tools, text/template, ~10 MB) in any binary that
// imports it, and ent's generated runtime imports the schema package.
//
// The real annotations are built only with the entc tag, which ent/entc.go
// passes to ent's schema loader; every other build gets placeholders, which
// nothing reads at run time.
package gqlannot
