// Package pubsub delivers events to subscribers. Changes are written to the
// event log (ent Event) in the same transaction as the change itself; a
// relay reads the log in commit order and fans each entry out to the
// subscribers allowed to see it, through a hub that never blocks. A stream
// merges what a subscriber missed (read from the log) with what arrives live,
// so a reconnecting client — or one dropped for being slow — resumes from its
// cursor without gaps or duplicates.
package pubsub

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Cursor is a position in the event log. On PostgreSQL entries are ordered
// by (writer's transaction id, id); on SQLite xid is always 0.
type Cursor struct{ XID, ID int64 }

// String encodes the cursor for clients (opaque).
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte("e1." + strconv.FormatInt(c.XID, 10) + "." + strconv.FormatInt(c.ID, 10)))
}

// ParseCursor decodes a cursor a client passed back.
func ParseCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, fmt.Errorf("malformed cursor")
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || parts[0] != "e1" {
		return Cursor{}, fmt.Errorf("malformed cursor")
	}
	xid, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || xid < 0 || id < 0 {
		return Cursor{}, fmt.Errorf("malformed cursor")
	}
	return Cursor{XID: xid, ID: id}, nil
}

// Less reports whether c comes before o.
func (c Cursor) Less(o Cursor) bool {
	return c.XID < o.XID || (c.XID == o.XID && c.ID < o.ID)
}
