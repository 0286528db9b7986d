package logx

import (
	"context"
	"slices"
	"sync"
)

// Request is what the layers serving a request learn about it for its
// request line: the GraphQL operation, the user, the error codes sent.
// One lives in the request's context (WithRequest); it is safe to fill
// from several goroutines (a WebSocket's operations).
type Request struct {
	mu        sync.Mutex
	operation string
	user      string
	codes     []string // distinct: a small, fixed set
}

type requestKey struct{}

// WithRequest returns a context carrying r.
func WithRequest(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

func request(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// NoteOperation records the GraphQL operation's name (the last one, on a
// socket).
func NoteOperation(ctx context.Context, name string) {
	if r := request(ctx); r != nil && name != "" {
		r.mu.Lock()
		r.operation = name
		r.mu.Unlock()
	}
}

// NoteUser records the authenticated user's id.
func NoteUser(ctx context.Context, id string) {
	if r := request(ctx); r != nil {
		r.mu.Lock()
		r.user = id
		r.mu.Unlock()
	}
}

// NoteCode records an error code sent in the response.
func NoteCode(ctx context.Context, code string) {
	r := request(ctx)
	if r == nil || code == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.codes, code) && len(r.codes) < 16 {
		r.codes = append(r.codes, code)
	}
}

// Fields returns what was recorded.
func (r *Request) Fields() (operation, user string, codes []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.operation, r.user, slices.Clone(r.codes)
}
