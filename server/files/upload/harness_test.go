package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"parley/server/apperr"
)

// A tiny schema executed by hand, so the transport is tested through
// gqlgen's real handler without generated code.
const testSDL = `
scalar Upload
type Query { ok: Boolean }
type Mutation {
  upload(file: Upload!): String
  two(a: Upload!, b: Upload!): String
  many(files: [Upload!]!): String
}`

// resolveFunc answers one root field from its arguments.
type resolveFunc func(ctx context.Context, field string, args map[string]any) (any, error)

type testSchema struct {
	schema  *ast.Schema
	resolve resolveFunc
}

func (s *testSchema) Schema() *ast.Schema { return s.schema }

func (s *testSchema) Complexity(context.Context, string, string, int, map[string]any) (int, bool) {
	return 0, false
}

func (s *testSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	sent := false
	return func(ctx context.Context) *graphql.Response {
		if sent {
			return nil
		}
		sent = true
		data := map[string]any{}
		var errs gqlerror.List
		for _, sel := range oc.Operation.SelectionSet {
			f := sel.(*ast.Field)
			v, err := s.resolve(ctx, f.Name, f.ArgumentMap(oc.Variables))
			data[f.Alias] = v
			if err != nil {
				ge := &gqlerror.Error{Message: err.Error(), Path: ast.Path{ast.PathName(f.Alias)}}
				if e, ok := apperr.As(err); ok {
					ge.Extensions = map[string]any{"code": string(e.Code)}
					for k, v := range e.Extensions {
						ge.Extensions[k] = v
					}
				}
				errs = append(errs, ge)
			}
		}
		b, _ := json.Marshal(data)
		return &graphql.Response{Data: b, Errors: errs}
	}
}

func newServer(t testing.TB, tr Transport, resolve resolveFunc) *httptest.Server {
	t.Helper()
	srv := handler.New(&testSchema{schema: gqlparser.MustLoadSchema(&ast.Source{Input: testSDL}), resolve: resolve})
	srv.AddTransport(tr)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

type filePart struct {
	key, filename, contentType string
	r                          io.Reader
}

// writeMultipart writes a spec request: operations, map, then the files.
func writeMultipart(mw *multipart.Writer, operations, fileMap string, files ...filePart) error {
	if err := mw.WriteField("operations", operations); err != nil {
		return err
	}
	if err := mw.WriteField("map", fileMap); err != nil {
		return err
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.key, f.filename))
		if f.contentType != "" {
			h.Set("Content-Type", f.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, f.r); err != nil {
			return err
		}
	}
	return mw.Close()
}

// request builds a buffered request (it has a Content-Length).
func newRequest(t testing.TB, url, operations, fileMap string, files ...filePart) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := writeMultipart(mw, operations, fileMap, files...); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

// streamingRequest builds a request whose body is generated while it is
// sent, with no Content-Length (chunked), as a browser's stream would be.
func streamingRequest(t testing.TB, url, operations, fileMap string, files ...filePart) *http.Request {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() { pw.CloseWithError(writeMultipart(mw, operations, fileMap, files...)) }()
	req, err := http.NewRequest(http.MethodPost, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

type gqlResponse struct {
	status int
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func do(t testing.TB, req *http.Request) gqlResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out gqlResponse
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("response %d %q: %v", resp.StatusCode, b, err)
	}
	out.status = resp.StatusCode
	return out
}
