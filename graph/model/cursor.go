package model

import (
	"github.com/99designs/gqlgen/graphql"

	"parley/ent"
	"parley/server/apperr"
)

// MarshalCursor and UnmarshalCursor bind the Cursor scalar to ent's page
// cursor. A cursor this server did not hand out (garbled, empty, from
// another list) is BAD_USER_INPUT, not an internal error.
func MarshalCursor(c ent.Cursor) graphql.Marshaler { return c }

// UnmarshalCursor reads a page cursor a client passes back.
func UnmarshalCursor(v any) (ent.Cursor, error) {
	var c ent.Cursor
	if err := c.UnmarshalGQL(v); err != nil {
		return c, apperr.BadInput("not a page cursor this server handed out: pass back a cursor from edges or pageInfo, or leave it out to start at the beginning")
	}
	return c, nil
}
