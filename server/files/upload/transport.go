// Package upload is a gqlgen transport for the GraphQL multipart request
// spec (https://github.com/jaydenseric/graphql-multipart-request-spec) that
// streams files instead of buffering them.
//
// gqlgen's transport.MultipartForm reads every file into memory or a
// temporary file before the resolver runs, so a 100 MB upload costs 100 MB of
// memory or disk before anyone has checked that the caller may upload at all,
// and the conversation's own limit can only be applied afterwards. This
// transport reads the `operations` and `map` fields, then runs the operation
// at once: the graphql.Upload a resolver receives reads the live file part
// of the request body. A resolver that checks permissions first and then
// copies the file with a size limit (files.Store) stores it without holding
// it, and stops reading the moment the limit is passed.
//
// Wiring: srv.AddTransport(upload.Transport{MaxFileSize: largest limit,
// Authorize: refuse a request without a valid token}) in place of
// transport.MultipartForm; in the uploadFile resolver, check membership
// first (nothing has been read yet), then
//
//	key := files.NewKey(time.Now())
//	size, err := files.Store(ctx, store, key, file.File, conversationLimit)
//	info, err := files.Inspect(ctx, store, key, upload.Filename(file))
//
// and save size, info and files.SanitizeFilename(upload.Filename(file)).
package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"parley/server/apperr"
)

// Defaults for the zero Transport.
const (
	DefaultMaxFileSize = 100 << 20
	// DefaultMaxFiles bounds the parts of one request: a message carries a
	// few attachments, not hundreds.
	DefaultMaxFiles = 10
	// maxJSON bounds the operations and map fields.
	maxJSON = 1 << 20
	// overhead is what a request may hold besides its files: operations,
	// map, part headers and boundaries.
	overhead = 2*maxJSON + 64<<10
)

// Transport implements graphql.Transport for multipart/form-data POSTs.
// Use it in place of transport.MultipartForm.
type Transport struct {
	// MaxFileSize caps each file: reading past it fails with FILE_TOO_LARGE.
	// The conversation's own, smaller, limit is for the resolver to apply.
	// Default DefaultMaxFileSize.
	MaxFileSize int64
	// MaxRequestSize caps the whole body. A request whose Content-Length is
	// larger is refused with 413 and FILE_TOO_LARGE before any of it is read.
	// Default: MaxFileSize plus room for the JSON fields, i.e. one full-size
	// file per request.
	MaxRequestSize int64
	// MaxFiles caps the entries of the map field. Default DefaultMaxFiles.
	MaxFiles int
	// TempDir holds files that cannot be streamed (see File). Default
	// os.TempDir().
	TempDir string
	// ResponseHeaders replace the default Content-Type: application/json.
	ResponseHeaders map[string][]string
	// Authorize, if set, vets a request that carries files once its
	// operations and map fields are read, before any file part is: an
	// error refuses the request with that error, and not a byte of its
	// files is read or stored. The token is already in ctx, so an
	// anonymous upload costs the server two small JSON fields, not a file.
	Authorize func(ctx context.Context) error
}

var _ graphql.Transport = Transport{}

func (t Transport) maxFileSize() int64 {
	if t.MaxFileSize > 0 {
		return t.MaxFileSize
	}
	return DefaultMaxFileSize
}

func (t Transport) maxRequestSize() int64 {
	if t.MaxRequestSize > 0 {
		return t.MaxRequestSize
	}
	return t.maxFileSize() + overhead
}

func (t Transport) maxFiles() int {
	if t.MaxFiles > 0 {
		return t.MaxFiles
	}
	return DefaultMaxFiles
}

// Supports implements graphql.Transport.
func (t Transport) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" || r.Method != http.MethodPost {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == "multipart/form-data"
}

// Do implements graphql.Transport.
func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	if len(t.ResponseHeaders) == 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	for k, vs := range t.ResponseHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}

	if r.ContentLength > t.maxRequestSize() {
		// Refused before reading: with Expect: 100-continue the client
		// does not even send the body. Connection: close, since the unread
		// body cannot be skipped cheaply.
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge(t.maxFileSize()))
		return
	}
	body := &countingReader{r: http.MaxBytesReader(w, r.Body, t.maxRequestSize())}
	r.Body = struct {
		io.Reader
		io.Closer
	}{body, r.Body}
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, badInput("failed to parse multipart form"))
		return
	}
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))

	var ops graphql.RawParams
	if err := readJSONPart(mr, "operations", t.maxFileSize(), &ops); err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	var fileMap map[string][]string
	if err := readJSONPart(mr, "map", t.maxFileSize(), &fileMap); err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	if len(fileMap) > t.maxFiles() {
		writeError(w, http.StatusUnprocessableEntity,
			apperr.Limit("files", int64(t.maxFiles()), "at most %d files per request", t.maxFiles()))
		return
	}

	if len(fileMap) > 0 && t.Authorize != nil {
		if err := t.Authorize(r.Context()); err != nil {
			// Answered as a resolver's refusal would be (HTTP 200). The
			// files stay unread: closing is cheaper than draining them.
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusOK, err)
			return
		}
	}

	req := &request{
		mr:            mr,
		body:          body,
		contentLength: r.ContentLength,
		trailer:       int64(len(params["boundary"])) + trailerSlack,
		maxFile:       t.maxFileSize(),
		tempDir:       t.TempDir,
		parts:         make(map[string]*part, len(fileMap)),
	}
	defer req.end()
	for key, paths := range fileMap {
		if len(paths) == 0 {
			writeError(w, http.StatusUnprocessableEntity, badInput("the map field gives a file no paths"))
			return
		}
		req.parts[key] = &part{key: key, readers: len(paths)}
		req.pending++
	}
	// Reach the first file's headers now, so the common single-file request
	// hands the resolver the client's filename and content type in the
	// Upload itself. Only headers are read.
	req.mu.Lock()
	if req.pending > 0 {
		req.next()
	}
	req.mu.Unlock()

	for key, paths := range fileMap {
		p := req.parts[key]
		for _, path := range paths {
			up := graphql.Upload{
				File:        &File{req: req, p: p},
				Filename:    p.filename,
				ContentType: p.contentType,
				Size:        -1, // unknown until read: use what files.Store returns
			}
			if err := addUpload(&ops, up, key, path); err != nil {
				writeError(w, http.StatusUnprocessableEntity, err)
				return
			}
		}
	}

	ops.Headers = r.Header
	ops.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, gerr := exec.CreateOperationContext(r.Context(), &ops)
	if gerr != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(r.Context(), rc), gerr)
		w.WriteHeader(http.StatusUnprocessableEntity)
		writeJSON(w, resp)
		return
	}
	responses, ctx := exec.DispatchOperation(r.Context(), rc)
	resp := responses(ctx)
	// Files the operation did not read stay unread: net/http discards a
	// small rest of the body and otherwise closes the connection after this
	// response, so an unread file is never stored anywhere.
	req.end()
	writeJSON(w, resp)
}

// addUpload is graphql.RawParams.AddUpload without its panics on a path
// that does not match the variables' shape, and without its errors, which
// repeat the map's keys and paths.
func addUpload(ops *graphql.RawParams, up graphql.Upload, key, path string) (err error) {
	bad := badInput("the map field names a path that is not a variable of the operation")
	defer func() {
		if recover() != nil {
			err = bad
		}
	}()
	if ops.AddUpload(up, key, path) != nil {
		return bad
	}
	return nil
}

// readJSONPart decodes the next part, which must be the field name.
func readJSONPart(mr *multipart.Reader, name string, maxFile int64, v any) error {
	p, err := mr.NextPart()
	if err != nil {
		return bodyError(err, maxFile, badInput("the %s field is missing", name))
	}
	if p.FormName() != name {
		return badInput("the %s field must come first", name)
	}
	b, err := io.ReadAll(io.LimitReader(p, maxJSON+1))
	if err != nil {
		return bodyError(err, maxFile, badInput("failed to read the %s field", name))
	}
	if len(b) > maxJSON {
		return badInput("the %s field is larger than %d bytes", name, maxJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return badInput("the %s field could not be decoded (batched operations are not supported)", name)
	}
	return nil
}

// bodyError turns a failure to read the body into what the client sees:
// FILE_TOO_LARGE past MaxRequestSize, otherwise fallback.
func bodyError(err error, maxFile int64, fallback error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(maxFile)
	}
	return fallback
}

func tooLarge(max int64) *apperr.Error {
	return apperr.New(apperr.FileTooLarge, "the file is larger than the limit of %d bytes", max).With("max", max)
}

func badInput(format string, args ...any) *apperr.Error {
	return apperr.BadInput(format, args...)
}

func statusOf(err error) int {
	if apperr.CodeOf(err) == apperr.FileTooLarge {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusUnprocessableEntity
}

// writeError writes err as a GraphQL response with extensions.code, the
// shape clients get for every other error.
func writeError(w http.ResponseWriter, status int, err error) {
	var gerr *gqlerror.Error
	if !errors.As(err, &gerr) {
		gerr = &gqlerror.Error{Message: err.Error()}
		if e, ok := apperr.As(err); ok {
			gerr.Message = e.Message
			gerr.Extensions = map[string]any{"code": string(e.Code)}
			for k, v := range e.Extensions {
				gerr.Extensions[k] = v
			}
		}
	}
	w.WriteHeader(status)
	writeJSON(w, &graphql.Response{Errors: gqlerror.List{gerr}})
}

func writeJSON(w io.Writer, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		panic(fmt.Errorf("upload: marshalling a response: %w", err))
	}
	_, _ = w.Write(b)
}

// countingReader counts what the multipart reader has taken from the body,
// for File.MinSize.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
