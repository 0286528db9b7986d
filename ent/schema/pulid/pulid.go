// Package pulid implements prefixed ULIDs: opaque, time-ordered identifiers
// whose first two characters name the type, so node(id:) knows where to look.
package pulid

import (
	"crypto/rand"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID is a prefixed ULID, for example "ms01J9Z…".
type ID string

var (
	entropyMu sync.Mutex
	entropy   = ulid.Monotonic(rand.Reader, 0)
)

// MustNew returns a new ID with the given two-character prefix.
func MustNew(prefix string) ID {
	entropyMu.Lock()
	u := ulid.MustNew(ulid.Timestamp(time.Now()), entropy)
	entropyMu.Unlock()
	return ID(prefix + u.String())
}

// Prefix returns the type prefix of the ID ("" if it has none).
func (u ID) Prefix() string {
	if len(u) != 28 {
		return ""
	}
	return string(u[:2])
}

// UnmarshalGQL implements graphql.Unmarshaler. GraphQL lets a client pass
// an ID as an integer; it is taken as its decimal text, which names nothing
// here, so the caller gets NOT_FOUND like for any other unknown ID.
func (u *ID) UnmarshalGQL(v any) error {
	switch v := v.(type) {
	case string:
		*u = ID(v)
	case json.Number:
		*u = ID(v.String())
	case int, int32, int64, float64:
		*u = ID(fmt.Sprint(v))
	default:
		return fmt.Errorf("an ID must be a string")
	}
	return nil
}

// MarshalGQL implements graphql.Marshaler.
func (u ID) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(u))) }

// Scan implements sql.Scanner.
func (u *ID) Scan(src any) error {
	switch src := src.(type) {
	case string:
		*u = ID(src)
	case []byte:
		*u = ID(src)
	case nil:
		return fmt.Errorf("pulid: expected a value")
	default:
		return fmt.Errorf("pulid: unexpected type %T", src)
	}
	return nil
}

// Value implements driver.Valuer.
func (u ID) Value() (driver.Value, error) { return string(u), nil }

// Uniq returns ids without repeats, in the order they first appear.
func Uniq(ids []ID) []ID {
	seen := make(map[ID]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
