package upload

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"sync"

	"github.com/99designs/gqlgen/graphql"
)

// trailerSlack is how much may follow the last file in the body (the close
// delimiter aside) without spoiling MinSize: transport padding and a short
// epilogue. Clients send neither, so this is only a safety margin.
const trailerSlack = 4 << 10

// ErrNotSeekable is returned by File.Seek for anything but a no-op, unless
// the file had to be spooled to disk.
var ErrNotSeekable = errors.New("upload: the file streams from the request and cannot seek")

// errClosed is returned by reads after Close or after the request ended.
var errClosed = errors.New("upload: file closed")

type state int

const (
	pending state = iota // not reached in the body yet
	live                 // the multipart reader is at this part
	spooled              // copied to a temporary file
	done                 // read to its end from the body
	failed
)

// part is one file part of the body, named by its key in the map field.
type part struct {
	key         string
	readers     int // Uploads that read it: more than one means spool
	closed      int // of those, closed
	state       state
	filename    string
	contentType string
	live        *multipart.Part
	pos         int64    // bytes taken from live
	spool       *os.File // bytes [spoolBase, size) of the file
	spoolBase   int64
	size        int64 // known in spooled and done
	err         error
}

// request is the body of one multipart request, shared by its Files. All
// reading goes through mu: resolvers may run concurrently.
type request struct {
	mu            sync.Mutex
	mr            *multipart.Reader
	body          *countingReader
	contentLength int64
	trailer       int64
	maxFile       int64
	tempDir       string
	parts         map[string]*part
	pending       int
	cur           *part // the live part, if any
	ended         bool
}

// next moves the multipart reader to the next part, first spooling the
// current part if someone may still read it. mu is held.
func (q *request) next() {
	if q.cur != nil {
		q.leave(q.cur)
		q.cur = nil
	}
	if q.pending == 0 {
		return
	}
	mp, err := q.mr.NextPart()
	if err != nil {
		if errors.Is(err, io.EOF) {
			q.failPending(func(p *part) error { return badInput("file %s is missing from the request", p.key) })
		} else {
			e := q.readError(err)
			q.failPending(func(*part) error { return e })
		}
		return
	}
	p := q.parts[mp.FormName()]
	if p == nil || p.state != pending {
		e := badInput("unexpected form field %q: files must be listed in the map field, once", mp.FormName())
		q.failPending(func(*part) error { return e })
		return
	}
	q.pending--
	p.filename = mp.FileName()
	p.contentType = mp.Header.Get("Content-Type")
	p.state, p.live = live, mp
	q.cur = p
	if p.readers > 1 {
		// One part, several variables: each Upload reads on its own, so
		// the file cannot stream to them all. Rare; spool it.
		q.leave(p)
		q.cur = nil
	}
}

// leave is called when the body moves past p.
func (q *request) leave(p *part) {
	if p.state != live {
		return
	}
	if p.closed == p.readers {
		// Nobody reads it: NextPart discards the rest unread.
		q.fail(p, errClosed)
		return
	}
	// Someone may still read it (a resolver read files out of body order,
	// or reads several concurrently): keep the rest on disk.
	f, err := os.CreateTemp(q.tempDir, "parley-upload-*")
	if err != nil {
		q.fail(p, fmt.Errorf("upload: spooling a file: %w", err))
		return
	}
	_ = os.Remove(f.Name()) // unlinked at once: nothing outlives the request
	room := q.maxFile - p.pos
	n, err := io.Copy(f, io.LimitReader(p.live, room+1))
	if err != nil {
		_ = f.Close()
		q.fail(p, q.readError(err))
		return
	}
	if n > room {
		_ = f.Close()
		q.fail(p, tooLarge(q.maxFile))
		return
	}
	p.spool, p.spoolBase, p.size = f, p.pos, p.pos+n
	p.state, p.live = spooled, nil
}

func (q *request) fail(p *part, err error) {
	if p.state == pending {
		q.pending--
	}
	p.state, p.err, p.live = failed, err, nil
	if p.spool != nil {
		_ = p.spool.Close()
		p.spool = nil
	}
	if q.cur == p {
		q.cur = nil
	}
}

func (q *request) failPending(errFor func(*part) error) {
	for _, p := range q.parts {
		if p.state == pending {
			q.fail(p, errFor(p))
		}
	}
}

// readError maps a failure to read the body: past MaxRequestSize it is
// FILE_TOO_LARGE; otherwise the client sent what cannot be read (a part
// header with a raw NUL or control character, say) or went away. Either way
// it is the client's error, and the reader's own message, which quotes the
// client's bytes, is not passed on.
func (q *request) readError(err error) error {
	return bodyError(err, q.maxFile, badInput("the multipart body is malformed or cut short"))
}

// reach reads the body up to p's headers. mu is held.
func (q *request) reach(p *part) {
	for p.state == pending && !q.ended {
		q.next()
	}
}

// minSize is a lower bound of p's size; see File.MinSize. mu is held.
func (q *request) minSize(p *part) int64 {
	switch p.state {
	case spooled, done:
		return p.size
	case live:
		lb := p.pos
		// The last file of the body: what the body has left, less the
		// closing boundary, is this file.
		if q.pending == 0 && q.contentLength > 0 {
			if rest := q.contentLength - q.body.n - q.trailer; rest > 0 {
				lb += rest
			}
		}
		return lb
	}
	return 0
}

// end is called when the request is answered: nothing is read after it.
func (q *request) end() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ended {
		return
	}
	q.ended = true
	for _, p := range q.parts {
		if p.state == pending || p.state == live || p.state == spooled {
			q.fail(p, errClosed)
		}
	}
}

// File is the graphql.Upload.File this transport gives resolvers. It reads
// the file part straight from the request body:
//
//   - Read returns at most MaxFileSize bytes, then FILE_TOO_LARGE (an
//     *apperr.Error) if the file has more, so a careless copy never stores a
//     truncated file as if it were whole. A body cut short is an error, not
//     io.EOF.
//   - Files are best read in body order. Reading a later file first, or two
//     at once, spools the earlier one's rest to an unlinked temporary file
//     (capped at MaxFileSize) so it can still be read. A file mapped to
//     several variables is spooled too. A file nobody reads is skipped
//     without being stored.
//   - Seek only reports the position, except on a spooled file.
//   - Close says the resolver is done: the rest of the file is skipped, never
//     spooled. files.Store closes what it reads.
//   - Everything fails once the request has been answered.
type File struct {
	req    *request
	p      *part
	pos    int64
	closed bool
}

var _ io.ReadSeekCloser = (*File)(nil)

// Read implements io.Reader.
func (f *File) Read(b []byte) (int, error) {
	q, p := f.req, f.p
	q.mu.Lock()
	defer q.mu.Unlock()
	if f.closed {
		return 0, errClosed
	}
	q.reach(p)
	switch p.state {
	case failed:
		return 0, p.err
	case done:
		if f.pos >= p.size {
			return 0, io.EOF
		}
		return 0, errClosed
	case spooled:
		if f.pos >= p.size {
			return 0, io.EOF
		}
		if rest := p.size - f.pos; int64(len(b)) > rest {
			b = b[:rest]
		}
		n, err := p.spool.ReadAt(b, f.pos-p.spoolBase)
		f.pos += int64(n)
		if err == io.EOF && f.pos == p.size {
			err = nil
		}
		return n, err
	case live:
		return f.readLive(b)
	}
	return 0, errClosed
}

func (f *File) readLive(b []byte) (int, error) {
	q, p := f.req, f.p
	if p.pos == 0 && q.minSize(p) > q.maxFile {
		// Content-Length already says so: refuse without reading.
		q.fail(p, tooLarge(q.maxFile))
		return 0, p.err
	}
	if room := q.maxFile + 1 - p.pos; int64(len(b)) > room {
		b = b[:room]
	}
	n, err := p.live.Read(b)
	p.pos += int64(n)
	f.pos += int64(n)
	if over := p.pos - q.maxFile; over > 0 {
		p.pos -= over
		f.pos -= over
		q.fail(p, tooLarge(q.maxFile))
		return n - int(over), p.err
	}
	switch {
	case errors.Is(err, io.EOF):
		p.state, p.size, p.live = done, p.pos, nil
		q.cur = nil
		return n, io.EOF
	case err != nil:
		q.fail(p, q.readError(err))
		return n, p.err
	}
	return n, nil
}

// Seek implements io.Seeker as far as a stream can: it reports the position,
// and moves only within a spooled file.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	q, p := f.req, f.p
	q.mu.Lock()
	defer q.mu.Unlock()
	abs := offset
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		abs += f.pos
	case io.SeekEnd:
		if p.state != spooled && p.state != done {
			return f.pos, ErrNotSeekable
		}
		abs += p.size
	default:
		return f.pos, ErrNotSeekable
	}
	if abs == f.pos {
		return abs, nil
	}
	if p.state == spooled && !f.closed && abs >= p.spoolBase && abs <= p.size {
		f.pos = abs
		return abs, nil
	}
	return f.pos, ErrNotSeekable
}

// Close implements io.Closer: the caller will not read the file again.
func (f *File) Close() error {
	q, p := f.req, f.p
	q.mu.Lock()
	defer q.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	p.closed++
	if p.closed == p.readers && p.state == spooled {
		q.fail(p, errClosed)
	}
	return nil
}

// MinSize is a lower bound of the file's size, known before reading it:
// the exact size of a spooled or finished file, or, for the last file of a
// request with a Content-Length, what the body has left less its closing
// boundary. files.Store uses it to refuse an upload over the limit without
// reading a byte of it. Reaching the file reads the body up to its headers.
func (f *File) MinSize() int64 {
	q := f.req
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reach(f.p)
	return q.minSize(f.p)
}

// Filename is the name the client gave the file (its directory stripped).
// It reads the body up to the file's headers.
func (f *File) Filename() string {
	q := f.req
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reach(f.p)
	return f.p.filename
}

// Filename returns the client's name for an upload: the transport fills
// Upload.Filename for the first file of a request only, since later ones'
// headers come after the earlier files.
func Filename(u graphql.Upload) string {
	if u.Filename != "" {
		return u.Filename
	}
	if f, ok := u.File.(*File); ok {
		return f.Filename()
	}
	return ""
}
