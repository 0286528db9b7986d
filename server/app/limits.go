package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"parley/graph"
	"parley/server/apperr"
)

// Request limits of /query. Multipart uploads keep their own
// (upload.Transport); the document inside any request is bounded by
// graph.DocumentLimits.
const (
	// DefaultMaxBody is the largest JSON request body (PARLEY_MAX_BODY_BYTES).
	DefaultMaxBody = 1 << 20
	// maxQueryString bounds a GET's query string. Queries sent by GET are
	// the short, cacheable ones; anything longer belongs in a POST body.
	maxQueryString = 32 << 10
	// maxCachedQuery is the longest query the query and APQ caches keep.
	// They hold 1,000 entries each: at a megabyte each, gigabytes. A longer
	// query is parsed again each time it comes (an APQ client is told to
	// send it again).
	maxCachedQuery = 16 << 10
)

// smallQueries is a cache that keeps only entries whose query (named by
// query) is at most maxCachedQuery bytes.
type smallQueries[T any] struct {
	graphql.Cache[T]
	query func(key string, v T) string
}

func (c smallQueries[T]) Add(ctx context.Context, key string, v T) {
	if len(c.query(key, v)) <= maxCachedQuery {
		c.Cache.Add(ctx, key, v)
	}
}

// limitedPOST is transport.POST with a body limit and with errors that never
// repeat the body: gqlgen's own error for a body it cannot decode holds the
// whole body (a login's password with it) and Go type names.
type limitedPOST struct {
	transport.POST
	maxBody int64
}

func (t limitedPOST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	tooLarge := apperr.Limit("requestBody", t.maxBody, "the request body is larger than %d bytes", t.maxBody)
	if r.ContentLength > t.maxBody {
		// Refused unread; the rest of the body is not worth skipping.
		w.Header().Set("Connection", "close")
		writeGraphQLError(w, http.StatusRequestEntityTooLarge, tooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.maxBody))
	var overLimit *http.MaxBytesError
	switch {
	case errors.As(err, &overLimit):
		writeGraphQLError(w, http.StatusRequestEntityTooLarge, tooLarge)
		return
	case err != nil:
		writeGraphQLError(w, http.StatusBadRequest, apperr.BadInput("the request body could not be read"))
		return
	}
	if msg := decodeError(body); msg != "" {
		writeGraphQLError(w, http.StatusBadRequest, apperr.BadInput("%s", msg))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.POST.Do(w, r, exec)
}

// decodeError says what is wrong with a body that gqlgen would fail to
// decode into graphql.RawParams, in words of its own. It reads the first
// JSON value, as gqlgen does, and leaves variables and extensions raw (a
// check of their type, not a second full decode).
func decodeError(body []byte) string {
	var p struct {
		Query         string          `json:"query"`
		OperationName string          `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
		Extensions    json.RawMessage `json:"extensions"`
	}
	err := json.NewDecoder(bytes.NewReader(body)).Decode(&p)
	var wrongType *json.UnmarshalTypeError
	switch {
	case err == nil && p.Query == "" && !bytes.Contains(p.Extensions, []byte(`"persistedQuery"`)):
		// A missing query is a bad request (400), not a GraphQL error
		// (GraphQL over HTTP); an APQ request may name its query by hash.
		return "the request body has no query"
	case err == nil && isObjectOrNull(p.Variables) && isObjectOrNull(p.Extensions):
		return ""
	case err == nil, errors.As(err, &wrongType):
		return "the request body must be a JSON object with a query string and optional operationName, " +
			"variables and extensions objects (batched operations are not supported)"
	default:
		return "the request body is not valid JSON"
	}
}

// isObjectOrNull reports whether a valid JSON value decodes into a map.
func isObjectOrNull(v json.RawMessage) bool {
	return len(v) == 0 || v[0] == '{' || string(v) == "null"
}

// limitedGET is transport.GET with a bound on the query string, and without
// gqlgen's error for a malformed one, which repeats part of it.
type limitedGET struct {
	transport.GET
}

func (t limitedGET) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if len(r.URL.RawQuery) > maxQueryString {
		writeGraphQLError(w, http.StatusRequestURITooLong, apperr.Limit("queryString", maxQueryString,
			"the query string is longer than %d bytes: send the query in a POST body", maxQueryString))
		return
	}
	if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
		writeGraphQLError(w, http.StatusBadRequest, apperr.BadInput("the query string is not valid URL encoding"))
		return
	}
	t.GET.Do(&getOnlyQueries{ResponseWriter: w}, r, exec)
}

// getOnlyQueries turns gqlgen's 406 for a mutation sent by GET into the
// 405 with Allow: POST of GraphQL over HTTP: the method is what is wrong.
type getOnlyQueries struct{ http.ResponseWriter }

func (g *getOnlyQueries) WriteHeader(status int) {
	if status == http.StatusNotAcceptable {
		g.Header().Set("Allow", "POST")
		status = http.StatusMethodNotAllowed
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *getOnlyQueries) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// writeGraphQLError answers with a GraphQL response holding one error.
func writeGraphQLError(w http.ResponseWriter, status int, e *apperr.Error) {
	b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{graph.GQLError(e)}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
