package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"parley/server/apperr"
	"parley/server/logx"
)

// ensureErrorCodes covers the few refusals gqlgen writes itself, without
// the error presenter (an unsupported content type, a mutation over GET,
// undecodable variables): their errors get extensions.code BAD_USER_INPUT
// like every other error. Successful responses pass through untouched.
func ensureErrorCodes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		cw := &codeWriter{ResponseWriter: w, plainJSON: wantsPlainJSON(r), ctx: r.Context()}
		next.ServeHTTP(cw, r)
		cw.finish()
	})
}

type codeWriter struct {
	http.ResponseWriter
	plainJSON bool
	ctx       context.Context // the request's, for its log line
	status    int
	buf       *bytes.Buffer // set when the response is an error to patch
}

// wantsPlainJSON reports a JSON or GET request from a client that did not
// ask for application/graphql-response+json.
func wantsPlainJSON(r *http.Request) bool {
	if strings.Contains(r.Header.Get("Accept"), "application/graphql-response+json") {
		return false
	}
	return r.Method == http.MethodGet || strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
}

func (c *codeWriter) WriteHeader(status int) {
	if c.status != 0 {
		return
	}
	if status == http.StatusUnprocessableEntity && c.plainJSON {
		// gqlgen answers a query that does not parse or validate with 422;
		// GraphQL over HTTP wants 200 for application/json, so that clients
		// (Apollo, urql) read the errors as GraphQL errors, not as a failed
		// request. Clients that ask for application/graphql-response+json
		// get gqlgen's 400.
		status = http.StatusOK
	}
	c.status = status
	if status >= 400 {
		c.buf = &bytes.Buffer{}
		return
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *codeWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if c.buf != nil {
		return c.buf.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (c *codeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *codeWriter) finish() {
	if c.buf == nil {
		return
	}
	body := c.buf.Bytes()
	var resp map[string]any
	if json.Unmarshal(body, &resp) == nil {
		if errs, ok := resp["errors"].([]any); ok {
			for _, e := range errs {
				m, ok := e.(map[string]any)
				if !ok {
					continue
				}
				ext, _ := m["extensions"].(map[string]any)
				if ext == nil {
					ext = map[string]any{}
					m["extensions"] = ext
				}
				if _, has := ext["code"]; !has {
					ext["code"] = string(apperr.BadUserInput)
				}
				code, _ := ext["code"].(string)
				logx.NoteCode(c.ctx, code)
			}
			// A request that failed before execution has no data
			// entry, not "data": null (GraphQL over HTTP).
			if data, has := resp["data"]; has && data == nil {
				delete(resp, "data")
			}
			if patched, err := json.Marshal(resp); err == nil {
				body = patched
			}
		}
	}
	if c.ResponseWriter.Header().Get("Content-Type") == "" {
		c.ResponseWriter.Header().Set("Content-Type", "application/json")
	}
	c.ResponseWriter.Header().Set("Content-Length", strconv.Itoa(len(body)))
	c.ResponseWriter.WriteHeader(c.status)
	_, _ = c.ResponseWriter.Write(body)
}
