package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"parley/server/apperr"
)

// The most a document may hold, checked before it is validated. gqlgen's
// complexity count and executor walk a fragment again at every spread, so a
// kilobyte of fragments that each spread the previous one twice costs
// seconds; the overlapping-fields rule compares the fields of one response
// name pairwise, so thousands of `__typename` cost seconds too. These limits
// are well above any real query (the full introspection query GraphiQL
// sends has 184 tokens and 245 nodes; this repository's largest, 23 nodes)
// and keep the worst document to milliseconds: validation is quadratic in
// nodes at worst, under 20 ms of CPU at MaxNodes (BENCHMARKS.md).
const (
	// MaxTokens bounds what the parser reads.
	MaxTokens = 10_000
	// MaxNodes bounds the fields, fragment spreads, inline fragments,
	// arguments' values, directives and variables of a document, a
	// fragment's counted at every spread.
	MaxNodes = 500
)

// DocumentLimits refuses, with LIMIT_EXCEEDED, a document over MaxTokens or
// MaxNodes, and one whose fragments spread themselves. It parses the
// document once more and walks it once, visiting each fragment once
// (memoised), so its cost is linear in the document's size. Use it after
// extension.AutomaticPersistedQuery, which puts the query in place.
type DocumentLimits struct {
	// Checked is the server's query cache: a document in it was validated,
	// so it was checked before.
	Checked graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = DocumentLimits{}

func (DocumentLimits) ExtensionName() string                   { return "DocumentLimits" }
func (DocumentLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l DocumentLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if l.Checked != nil {
		if _, ok := l.Checked.Get(ctx, p.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, MaxTokens)
	if err != nil {
		if e, ok := err.(*gqlerror.Error); ok && strings.HasPrefix(e.Message, "exceeded token limit") {
			return GQLError(apperr.Limit("queryTokens", MaxTokens,
				"the document has more than %d tokens", MaxTokens))
		}
		return nil // a syntax error: gqlgen's parser reports it
	}
	return checkNodes(doc)
}

// checkNodes refuses a document over MaxNodes, all its operations
// together (validation walks each), or with a fragment cycle. A fragment
// that no operation spreads counts once, as validation walks it too.
func checkNodes(doc *ast.QueryDocument) *gqlerror.Error {
	s := sizer{fragments: map[string]*ast.FragmentDefinition{}, size: map[string]int{}, onPath: map[string]bool{}}
	for _, f := range doc.Fragments {
		s.fragments[f.Name] = f
	}
	n := 0
	for _, op := range doc.Operations {
		n = add(n, s.operation(op))
	}
	for _, f := range doc.Fragments {
		if _, counted := s.size[f.Name]; !counted {
			n = add(n, s.fragment(f.Name))
		}
	}
	switch {
	case s.cycle != "":
		e := gqlerror.Errorf("Cannot spread fragment %q within itself.", s.cycle)
		errcode.Set(e, errcode.ValidationFailed)
		return e
	case n > MaxNodes:
		return GQLError(apperr.Limit("queryNodes", MaxNodes,
			"the document is too large: more than %d fields, arguments and values, counting a fragment's at every spread", MaxNodes))
	}
	return nil
}

// sizer counts the nodes of selection sets, each fragment's once: its
// total is remembered for the next spread. Sums stop growing past
// MaxNodes, so a deep fragment chain cannot overflow.
type sizer struct {
	fragments map[string]*ast.FragmentDefinition
	size      map[string]int
	onPath    map[string]bool // fragments being counted: a spread of one is a cycle
	cycle     string
}

func (s *sizer) operation(op *ast.OperationDefinition) int {
	n := add(s.directives(op.Directives), s.selections(op.SelectionSet))
	for _, v := range op.VariableDefinitions {
		n = add(n, 1+value(v.DefaultValue)+s.directives(v.Directives))
	}
	return n
}

func (s *sizer) selections(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			n = add(n, 1+s.arguments(sel.Arguments)+s.directives(sel.Directives)+s.selections(sel.SelectionSet))
		case *ast.InlineFragment:
			n = add(n, 1+s.directives(sel.Directives)+s.selections(sel.SelectionSet))
		case *ast.FragmentSpread:
			n = add(n, 1+s.directives(sel.Directives)+s.fragment(sel.Name))
		}
		if n > MaxNodes || s.cycle != "" {
			break
		}
	}
	return n
}

func (s *sizer) fragment(name string) int {
	if n, ok := s.size[name]; ok {
		return n
	}
	f := s.fragments[name]
	if f == nil {
		return 0 // validation reports the unknown fragment
	}
	if s.onPath[name] {
		s.cycle = name
		return 0
	}
	s.onPath[name] = true
	n := add(s.directives(f.Directives), s.selections(f.SelectionSet))
	delete(s.onPath, name)
	s.size[name] = n
	return n
}

func (s *sizer) directives(list ast.DirectiveList) int {
	n := 0
	for _, d := range list {
		n = add(n, 1+s.arguments(d.Arguments))
	}
	return n
}

func (s *sizer) arguments(list ast.ArgumentList) int {
	n := 0
	for _, a := range list {
		n = add(n, value(a.Value))
	}
	return n
}

// value counts a literal and the values inside it (lists, objects).
func value(v *ast.Value) int {
	if v == nil {
		return 0
	}
	n := 1
	for _, c := range v.Children {
		n = add(n, value(c.Value))
	}
	return n
}

// add is a sum that stops just past MaxNodes.
func add(a, b int) int { return min(a+b, MaxNodes+1) }

// GQLError is e as the error presenter shows it, for errors returned or
// written before the presenter runs.
func GQLError(e *apperr.Error) *gqlerror.Error {
	ext := map[string]any{"code": string(e.Code)}
	for k, v := range e.Extensions {
		ext[k] = v
	}
	return &gqlerror.Error{Message: e.Message, Extensions: ext}
}
