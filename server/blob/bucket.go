//go:build s3 || gcs || azure || cloud

package blob

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	gcblob "gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

func init() {
	openBucket = func(ctx context.Context, url string) (Store, error) { return OpenBucket(ctx, url) }
}

// Bucket stores blobs in a gocloud.dev bucket.
type Bucket struct {
	b *gcblob.Bucket
}

var _ Store = (*Bucket)(nil)

// Upload buffering for object stores: S3 needs parts of at least 5 MiB, and
// one part in flight keeps an upload's memory at that, whatever the size.
const (
	partSize        = 5 << 20
	partConcurrency = 1
)

// OpenBucket opens a gocloud.dev bucket URL whose driver is compiled in,
// e.g. s3://bucket?region=eu-west-1, gs://bucket, azblob://container.
func OpenBucket(ctx context.Context, url string) (*Bucket, error) {
	b, err := gcblob.OpenBucket(ctx, url)
	if err != nil {
		// gocloud repeats the URL, query (credentials) included.
		msg := strings.ReplaceAll(err.Error(), url, redact(url))
		return nil, fmt.Errorf("blob: opening %s: %s", redact(url), msg)
	}
	return &Bucket{b: b}, nil
}

// NewBucket wraps an open bucket; the Store closes it on Close.
func NewBucket(b *gcblob.Bucket) *Bucket { return &Bucket{b: b} }

// redact drops a URL's query, which may carry credentials.
func redact(url string) string {
	if base, _, ok := strings.Cut(url, "?"); ok {
		return base + "?…"
	}
	return url
}

// Put implements Store. Cancelling the writer's context before Close is
// gocloud's way to abort a write, so an error leaves no object behind.
func (s *Bucket) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := ValidKey(key); err != nil {
		return 0, err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.b.NewWriter(wctx, key, &gcblob.WriterOptions{
		// We serve with our own headers; this only stops gocloud sniffing.
		ContentType:    "application/octet-stream",
		BufferSize:     partSize,
		MaxConcurrency: partConcurrency,
	})
	if err != nil {
		return 0, fmt.Errorf("blob: %w", err)
	}
	n, err := io.Copy(w, ctxReader{ctx, r})
	if err != nil {
		cancel()
		_ = w.Close()
		return n, err
	}
	if err := w.Close(); err != nil {
		return n, fmt.Errorf("blob: %w", err)
	}
	return n, nil
}

// Open implements Store. It reads the attributes only; the first Read (after
// any Seek) opens a range reader at the current offset, so serving a range
// of a large object fetches that range and no more.
func (s *Bucket) Open(ctx context.Context, key string) (Object, error) {
	if err := ValidKey(key); err != nil {
		return nil, err
	}
	attrs, err := s.b.Attributes(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &bucketObject{ctx: ctx, b: s.b, key: key, size: attrs.Size, mod: attrs.ModTime}, nil
}

// Delete implements Store.
func (s *Bucket) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	err := s.b.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}

// Close implements Store.
func (s *Bucket) Close() error { return s.b.Close() }

type bucketObject struct {
	ctx  context.Context
	b    *gcblob.Bucket
	key  string
	size int64
	mod  time.Time
	off  int64
	r    *gcblob.Reader // open at off, or nil
}

func (o *bucketObject) Size() int64        { return o.size }
func (o *bucketObject) ModTime() time.Time { return o.mod }

func (o *bucketObject) Read(p []byte) (int, error) {
	if o.off >= o.size {
		return 0, io.EOF
	}
	if o.r == nil {
		r, err := o.b.NewRangeReader(o.ctx, o.key, o.off, -1, nil)
		if gcerrors.Code(err) == gcerrors.NotFound {
			return 0, ErrNotFound
		}
		if err != nil {
			return 0, fmt.Errorf("blob: %w", err)
		}
		o.r = r
	}
	n, err := o.r.Read(p)
	o.off += int64(n)
	return n, err
}

func (o *bucketObject) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.off + offset
	case io.SeekEnd:
		abs = o.size + offset
	default:
		return o.off, fmt.Errorf("blob: bad whence %d", whence)
	}
	if abs < 0 {
		return o.off, fmt.Errorf("blob: seek to negative offset %d", abs)
	}
	if abs != o.off && o.r != nil {
		_ = o.r.Close()
		o.r = nil
	}
	o.off = abs
	return abs, nil
}

func (o *bucketObject) Close() error {
	if o.r == nil {
		return nil
	}
	err := o.r.Close()
	o.r = nil
	return err
}
