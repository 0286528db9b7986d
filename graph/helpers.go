package graph

import (
	"context"
	"unicode/utf8"

	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/live"
)

// Page sizes of every connection.
const (
	defaultPageSize = 50
	maxPageSize     = 100
)

// viewer returns the caller; Guard has already refused anonymous calls to
// every field that reaches here.
func viewer(ctx context.Context) *auth.Viewer {
	if v := auth.FromContext(ctx); v != nil {
		return v
	}
	return &auth.Viewer{}
}

// pageSize checks first/last and defaults first when neither is given.
func pageSize(first, last *int) (*int, *int, error) {
	for name, n := range map[string]*int{"first": first, "last": last} {
		if n != nil && (*n < 0 || *n > maxPageSize) {
			return nil, nil, apperr.BadInput("%s must be between 0 and %d", name, maxPageSize).With("field", name)
		}
	}
	if first == nil && last == nil {
		n := defaultPageSize
		first = &n
	}
	return first, last, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// maxSearch bounds a search argument: nobody types more, and SQLite's LIKE
// refuses patterns of about 50,000 characters.
const maxSearch = 200

// searchArg reads an optional search argument.
func searchArg(search *string) (string, error) {
	s := deref(search)
	if utf8.RuneCountInString(s) > maxSearch {
		return "", apperr.BadInput("search for at most %d characters", maxSearch).With("field", "search")
	}
	return s, nil
}

// connectionSince is the events cursor a WebSocket's connection_init
// payload names ({"since": "..."}), or "". graphql-ws evaluates its
// connectionParams on every (re)connect, so a client passes its latest
// cursor there while re-sending its first subscribe unchanged.
func connectionSince(ctx context.Context) string {
	return live.InitPayload(ctx).GetString("since")
}
