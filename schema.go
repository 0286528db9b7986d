package parley

import _ "embed"

// SchemaSDL is the GraphQL schema as written, served at /schema.graphql.
//
//go:embed schema.graphqls
var SchemaSDL []byte
