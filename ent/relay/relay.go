// Package relay is what ent's generated GraphQL code (ent/gql_*.go) needs at
// run time: the page cursor, PageInfo and order direction of Relay
// connections, the cursor's predicate, and the error for an unknown node id.
// entgql's templates write these as entgql.X; ent/entc.go points the
// generated files here, because importing entgql at all links its code
// generator into the server (it parses its templates when initialised).
//
// The cursor's wire form is entgql's (msgpack, then unpadded base64), so the
// cursors clients already hold stay valid. If the generated code starts
// using another entgql identifier, `go generate` ends in a build error
// naming it: add it here.
package relay

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vmihailenco/msgpack/v5"
)

// OrderDirection is the direction of a connection's order.
type OrderDirection string

// The order directions.
const (
	OrderDirectionAsc  OrderDirection = "ASC"
	OrderDirectionDesc OrderDirection = "DESC"
)

// Validate reports a direction that is neither ASC nor DESC.
func (o OrderDirection) Validate() error {
	if o != OrderDirectionAsc && o != OrderDirectionDesc {
		return fmt.Errorf("%s is not a valid OrderDirection", o)
	}
	return nil
}

func (o OrderDirection) String() string { return string(o) }

// OrderTermOption is the direction as an ent order option.
func (o OrderDirection) OrderTermOption() sql.OrderTermOption {
	if o == OrderDirectionAsc {
		return sql.OrderAsc()
	}
	return sql.OrderDesc()
}

// Reverse is the opposite direction (anything but DESC reverses to DESC).
func (o OrderDirection) Reverse() OrderDirection {
	if o == OrderDirectionDesc {
		return OrderDirectionAsc
	}
	return OrderDirectionDesc
}

// MarshalGQL writes the direction as a GraphQL enum value.
func (o OrderDirection) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(o))) }

// UnmarshalGQL reads a GraphQL enum value.
func (o *OrderDirection) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("order direction %T must be a string", v)
	}
	*o = OrderDirection(s)
	return o.Validate()
}

// PageInfo of a connection.
type PageInfo[T any] struct {
	HasNextPage     bool       `json:"hasNextPage"`
	HasPreviousPage bool       `json:"hasPreviousPage"`
	StartCursor     *Cursor[T] `json:"startCursor"`
	EndCursor       *Cursor[T] `json:"endCursor"`
}

// Cursor of an edge: the node's id and, when the connection is ordered by
// another field, that field's value. The msgpack keys are entgql's.
type Cursor[T any] struct {
	ID    T         `msgpack:"i"`
	Value ent.Value `msgpack:"v,omitempty"`
}

// MarshalGQL writes the cursor as a GraphQL string.
func (c Cursor[T]) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, `"`)
	enc := base64.NewEncoder(base64.RawStdEncoding, w)
	_ = msgpack.NewEncoder(enc).Encode(c)
	_ = enc.Close()
	_, _ = io.WriteString(w, `"`)
}

// UnmarshalGQL reads a cursor MarshalGQL wrote.
func (c *Cursor[T]) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%T is not a string", v)
	}
	dec := msgpack.NewDecoder(base64.NewDecoder(base64.RawStdEncoding, strings.NewReader(s)))
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("cannot decode cursor: %w", err)
	}
	return nil
}

// CursorsPredicate returns the predicates that keep the rows after after and
// before before, in the order of field (then idField) in direction.
func CursorsPredicate[T any](after, before *Cursor[T], idField, field string, direction OrderDirection) []func(*sql.Selector) {
	var predicates []func(*sql.Selector)
	for _, c := range []*Cursor[T]{after, before} {
		switch {
		case c == nil:
		case c.Value == nil:
			if direction == OrderDirectionAsc {
				predicates = append(predicates, sql.FieldGT(idField, c.ID))
			} else {
				predicates = append(predicates, sql.FieldLT(idField, c.ID))
			}
		default:
			compare := sql.CompositeLT
			if direction == OrderDirectionAsc {
				compare = sql.CompositeGT
			}
			predicates = append(predicates, func(s *sql.Selector) {
				s.Where(sql.P(func(b *sql.Builder) {
					column := s.C(field)
					// An order term may select the field from a join: use
					// that selection when it is the only one.
					if matches := s.FindSelection(field); len(matches) == 1 {
						column = matches[0]
					}
					b.Join(compare([]string{column, s.C(idField)}, c.Value, c.ID))
				}))
			})
		}
	}
	return predicates
}

// ErrNodeNotFound is the GraphQL error for an id that names no node.
func ErrNodeNotFound(id any) *gqlerror.Error {
	err := gqlerror.Errorf("Could not resolve to a node with the global id of '%v'", id)
	errcode.Set(err, "NOT_FOUND")
	return err
}
