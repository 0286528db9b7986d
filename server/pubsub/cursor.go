// Package pubsub delivers events to subscribers. Changes are written to the
// event log (ent Event) in the same transaction as the change itself, at its
// commit, so that ids follow commit order (Append); a relay reads the log in
// that order and fans each entry out to the subscribers allowed to see it,
// through a hub that never blocks. A stream merges what a subscriber missed (read
// from the log) with what arrives live, so a reconnecting client — or one
// dropped for being slow — resumes from its cursor without gaps or
// duplicates.
package pubsub

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Cursor is a position in the event log: an entry's id.
type Cursor struct {
	ID int64
	// stale marks a cursor of the log's former order (PostgreSQL's
	// transaction ids, before ids followed commit order): it cannot be
	// resumed, the stream starts with RESYNC_REQUIRED.
	stale bool
}

// String encodes the cursor for clients (opaque).
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte("e2." + strconv.FormatInt(c.ID, 10)))
}

// ParseCursor decodes a cursor a client passed back. It also takes the
// former "e1.XID.ID" form: with XID 0 (SQLite, whose ids were already in
// commit order, or an empty log) it is the same position; any other is
// stale.
func ParseCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, fmt.Errorf("malformed cursor")
	}
	parts := strings.Split(string(raw), ".")
	var xid, id int64 = 0, -1
	switch {
	case len(parts) == 2 && parts[0] == "e2":
		id, err = strconv.ParseInt(parts[1], 10, 64)
	case len(parts) == 3 && parts[0] == "e1":
		if xid, err = strconv.ParseInt(parts[1], 10, 64); err == nil {
			id, err = strconv.ParseInt(parts[2], 10, 64)
		}
	}
	if err != nil || id < 0 || xid < 0 {
		return Cursor{}, fmt.Errorf("malformed cursor")
	}
	return Cursor{ID: id, stale: xid != 0}, nil
}

// Less reports whether c comes before o.
func (c Cursor) Less(o Cursor) bool { return c.ID < o.ID }
