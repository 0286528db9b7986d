package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// exactPage prepares the context of an entgql Paginate call. entgql reads
// the selection to save work, and gets two cases wrong: `pageInfo` asked
// without `edges` (it then skips the rows, so the cursors read null and
// hasNextPage is a guess), and `edges` under an alias (it matches fields by
// alias, so it returns no edges). In those cases Paginate gets a context
// without the field, loads the page and builds the connection exactly.
func exactPage(ctx context.Context) context.Context {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return ctx
	}
	var edgesAsEdges, edgesAliased, pageInfo bool
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, nil) {
		switch {
		case f.Name == "edges" && f.Alias == "edges":
			edgesAsEdges = true
		case f.Name == "edges":
			edgesAliased = true
		case f.Name == "pageInfo":
			pageInfo = true
		}
	}
	if edgesAliased || (pageInfo && !edgesAsEdges) {
		return withoutField{ctx}
	}
	return ctx
}

// withoutField hides the GraphQL field a context carries.
type withoutField struct{ context.Context }

func (c withoutField) Value(key any) any {
	v := c.Context.Value(key)
	if _, ok := v.(*graphql.FieldContext); ok {
		return nil
	}
	return v
}
