package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// RejectNUL refuses an operation whose input holds a NUL character, in a
// variable or in a literal of the document: PostgreSQL cannot store one in
// text (SQLite would), and no client has a use for it. Without this the
// same request succeeds on one database and is INTERNAL on the other.
type RejectNUL struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = RejectNUL{}

func (RejectNUL) ExtensionName() string                          { return "RejectNUL" }
func (RejectNUL) Validate(schema graphql.ExecutableSchema) error { return nil }

func (RejectNUL) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if anyNUL(rc.Variables) || docNUL(rc.Doc) {
		return &gqlerror.Error{
			Message:    "text must not contain the NUL character (U+0000)",
			Extensions: map[string]any{"code": "BAD_USER_INPUT"},
		}
	}
	return nil
}

// anyNUL looks through decoded JSON variables.
func anyNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, 0)
	case map[string]any:
		for k, x := range v {
			if strings.ContainsRune(k, 0) || anyNUL(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if anyNUL(x) {
				return true
			}
		}
	}
	return false
}

// docNUL looks through the argument values written in the document.
func docNUL(doc *ast.QueryDocument) bool {
	if doc == nil {
		return false
	}
	for _, op := range doc.Operations {
		if selectionNUL(op.SelectionSet) {
			return true
		}
	}
	for _, f := range doc.Fragments {
		if selectionNUL(f.SelectionSet) {
			return true
		}
	}
	return false
}

func selectionNUL(set ast.SelectionSet) bool {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				if valueNUL(a.Value) {
					return true
				}
			}
			if selectionNUL(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if selectionNUL(s.SelectionSet) {
				return true
			}
		}
	}
	return false
}

func valueNUL(v *ast.Value) bool {
	if v == nil {
		return false
	}
	if (v.Kind == ast.StringValue || v.Kind == ast.BlockValue) && strings.ContainsRune(v.Raw, 0) {
		return true
	}
	for _, c := range v.Children {
		if valueNUL(c.Value) {
			return true
		}
	}
	return false
}
