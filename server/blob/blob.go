// Package blob stores attachment bytes under opaque keys: on local disk by
// default, in memory for trials, or in an object store (S3, GCS, Azure)
// through gocloud.dev when the binary is built with that store's tag.
// Writes stream, so a file never has to fit in memory, and a failed write
// leaves nothing behind.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// Store keeps blobs under keys made by the caller (see ValidKey).
type Store interface {
	// Put streams r to key until io.EOF and returns the bytes written. On
	// any error, including one returned by r, the write is abandoned and
	// nothing is stored under key: callers refuse an upload by failing r.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open returns the blob for reading, seekable so that http.ServeContent
	// can answer range requests. ErrNotFound if there is none.
	Open(ctx context.Context, key string) (Object, error)
	// Delete removes the blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, key string) error
	// Close releases the store's resources.
	Close() error
}

// Object is an open blob. Close it when done.
type Object interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
}

// ErrNotFound reports a key with no blob.
var ErrNotFound = errors.New("blob: not found")

// ErrBadKey reports a key ValidKey refuses.
var ErrBadKey = errors.New("blob: invalid key")

// MaxKeyLen matches the attachment's storage_key column.
const MaxKeyLen = 512

// ValidKey accepts keys of slash-separated segments of ASCII letters, digits,
// '.', '_' and '-', no segment starting with '.'. That rules out path
// traversal, hidden files and anything an object store would escape
// differently from the disk, so a key means the same blob on every Store.
func ValidKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg[0] == '.' {
			return fmt.Errorf("%w: %q", ErrBadKey, key)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("%w: %q", ErrBadKey, key)
			}
		}
	}
	return nil
}

// DefaultLocation is where attachments live when no storage URL is
// configured: PARLEY_DATA_DIR/files.
func DefaultLocation(dataDir string) string {
	return filepath.Join(dataDir, "files")
}

// ctxReader fails a read once ctx is done, so a cancelled request stops a
// copy even when the source itself would not notice.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
