// Package files turns uploads into attachments and serves them back: it
// stores a stream under a size limit, finds out what a file really is (never
// trusting the client's name or type), and hands out short-lived signed
// download URLs served with headers that keep an uploaded file from running
// as part of the site. It knows blob storage but no database: the caller
// looks attachments up (see Lookup).
//
// The upload transport that streams multipart requests to resolvers is in
// the upload sub-package.
package files

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"time"

	"parley/server/apperr"
	"parley/server/blob"
)

// NewKey returns a fresh storage key, grouped by month so retention and
// backups can work on whole directories.
func NewKey(now time.Time) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return now.UTC().Format("2006/01/") + hex.EncodeToString(b)
}

// TooLarge is the FILE_TOO_LARGE error for a limit of max bytes.
func TooLarge(max int64) *apperr.Error {
	return apperr.New(apperr.FileTooLarge, "the file is larger than the limit of %d bytes", max).With("max", max)
}

// sizeHinter is a reader that knows a lower bound of its size before being
// read (upload.File, from the request's Content-Length).
type sizeHinter interface{ MinSize() int64 }

// Store streams r into st under key and returns its size. If r holds more
// than max bytes it fails with FILE_TOO_LARGE (extensions.max) after reading
// at most max+1 of them, or before reading any when r can tell (MinSize);
// a refused or failed upload leaves nothing under key. Store consumes r: it
// closes r if r is an io.Closer, which tells an upload.File to skip
// whatever Store did not read.
func Store(ctx context.Context, st blob.Store, key string, r io.Reader, max int64) (int64, error) {
	if c, ok := r.(io.Closer); ok {
		defer c.Close()
	}
	if h, ok := r.(sizeHinter); ok && h.MinSize() > max {
		return 0, TooLarge(max)
	}
	lr := &limitReader{r: r, left: max}
	n, err := st.Put(ctx, key, lr)
	if err == nil {
		return n, nil
	}
	// Put abandons a failed write; deleting anyway costs little and covers
	// a store that would not.
	_ = st.Delete(context.WithoutCancel(ctx), key)
	if lr.over || apperr.CodeOf(err) == apperr.FileTooLarge {
		// Also when the reader itself refused (upload.File at the
		// transport's cap): report this limit, the one that applies.
		return 0, TooLarge(max)
	}
	return 0, err
}

var errOverLimit = errors.New("files: over the size limit")

// limitReader passes at most left bytes and fails on the first byte beyond.
type limitReader struct {
	r    io.Reader
	left int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	if int64(n) > l.left {
		l.over = true
		n = int(l.left)
		l.left = 0
		return n, errOverLimit
	}
	l.left -= int64(n)
	return n, err
}
