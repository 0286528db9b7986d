package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
)

// File is one file of a multipart request.
type File struct {
	// Var is the variable the file fills, e.g. "file" or "files.0".
	Var         string
	Name        string
	ContentType string // default application/octet-stream
	Body        io.Reader
	// Size is Body's length in bytes; -1 sends the request without a
	// Content-Length (chunked), as a client streaming from a pipe would.
	Size int64
}

// BytesFile is a file from memory.
func BytesFile(variable, name string, data []byte) File {
	return File{Var: variable, Name: name, Body: bytes.NewReader(data), Size: int64(len(data))}
}

// Upload sends a GraphQL multipart request as the spec
// (github.com/jaydenseric/graphql-multipart-request-spec) lays it out:
// the operations field with the files' variables null, the map field, then
// the files in order. Bodies are streamed, never held.
func (c *Client) Upload(query string, vars Vars, files ...File) *Response {
	c.env.T.Helper()
	req := c.UploadRequest(query, vars, files...)
	return c.send(req)
}

// UploadRequest builds the request Upload sends (without the token).
func (c *Client) UploadRequest(query string, vars Vars, files ...File) *http.Request {
	c.env.T.Helper()
	if vars == nil {
		vars = Vars{}
	}
	fileMap := map[string][]string{}
	for i, f := range files {
		setNull(vars, f.Var)
		fileMap[fmt.Sprint(i)] = []string{"variables." + f.Var}
	}
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	mapJSON, _ := json.Marshal(fileMap)

	var parts []io.Reader
	length := int64(0)
	known := true
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	_ = mw.WriteField("operations", string(ops))
	_ = mw.WriteField("map", string(mapJSON))
	for i, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%d"; filename=%q`, i, f.Name))
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		_, _ = mw.CreatePart(h)
		parts = append(parts, bytes.NewReader(bytes.Clone(head.Bytes())), f.Body)
		length += int64(head.Len())
		head.Reset()
		if f.Size < 0 {
			known = false
		}
		length += f.Size
	}
	_ = mw.Close()
	parts = append(parts, bytes.NewReader(bytes.Clone(head.Bytes())))
	length += int64(head.Len())

	req, _ := http.NewRequest(http.MethodPost, c.env.URL+"/query", io.MultiReader(parts...))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.ContentLength = -1
	if known {
		req.ContentLength = length
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req
}

// setNull sets the variable at a dotted path ("file", "input.files.0") to
// null, creating maps on the way; list elements must already exist.
func setNull(vars Vars, path string) {
	keys := strings.Split(path, ".")
	var cur any = vars
	for i, k := range keys {
		last := i == len(keys)-1
		switch v := cur.(type) {
		case map[string]any:
			if last {
				v[k] = nil
				return
			}
			if v[k] == nil {
				v[k] = map[string]any{}
			}
			cur = v[k]
		case []any:
			var n int
			_, _ = fmt.Sscan(k, &n)
			if last {
				v[n] = nil
				return
			}
			cur = v[n]
		}
	}
}

// Fetch GETs a URL (a download, say) with the client's token if it has one
// and header pairs, and returns the response with its body read.
func (c *Client) Fetch(rawURL string, header ...string) (*http.Response, []byte) {
	c.env.T.Helper()
	return c.env.fetch(rawURL, c.Token, header...)
}

// FetchAnonymously GETs a URL without a token: what anyone holding the URL gets.
func (e *Env) FetchAnonymously(rawURL string, header ...string) (*http.Response, []byte) {
	e.T.Helper()
	return e.fetch(rawURL, "", header...)
}

func (e *Env) fetch(rawURL, token string, header ...string) (*http.Response, []byte) {
	e.T.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = e.URL + rawURL
	}
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		e.T.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("GET %s: %v", rawURL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.T.Fatalf("GET %s: reading: %v", rawURL, err)
	}
	return res, body
}
