// Package fanout executes a subscription's event once for every subscriber
// who would receive the same bytes: the same document, operation name and
// variables, and the same audience (what the schema says the selected fields
// depend on besides the event: the reader's kind or role). The first
// subscriber to take an event executes it; the others of its group wait for
// that response and send it as it is. One hundred members of a room watching
// messageAdded cost one execution per message, not one hundred.
//
// Which operations may share is the schema's to say (Config.Classify); a
// subscription resolver opts in by passing its channel through Share. An
// operation that is not classified, or whose resolver does not call Share,
// runs as gqlgen runs it.
package fanout

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Classify says whether every subscriber of an operation with the same
// document and variables gets the same response for the same event, given
// the audience it returns (for instance "visitor" or a role). It is asked
// once, when the subscription starts.
type Classify func(ctx context.Context, oc *graphql.OperationContext) (audience string, ok bool)

// recent is how many events a group remembers: enough for subscribers a
// few events behind the fastest one to still find theirs.
const recent = 16

// Extension is the gqlgen handler extension (srv.Use) that groups
// subscriptions.
type Extension struct {
	classify Classify

	mu     sync.Mutex
	groups map[string]*group

	executed, shared int64 // guarded by mu, for tests and metrics
}

// New returns an Extension that groups the operations classify accepts.
func New(classify Classify) *Extension {
	return &Extension{classify: classify, groups: map[string]*group{}}
}

var (
	_ graphql.HandlerExtension     = (*Extension)(nil)
	_ graphql.OperationInterceptor = (*Extension)(nil)
)

func (*Extension) ExtensionName() string                   { return "Fanout" }
func (*Extension) Validate(graphql.ExecutableSchema) error { return nil }

// Counts returns how many events were executed for a group and how many
// responses were shared instead of executed.
func (x *Extension) Counts() (executed, shared int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.executed, x.shared
}

// group is the subscribers of one (document, variables, audience).
type group struct {
	key     string
	members int // guarded by Extension.mu

	mu     sync.Mutex
	events []*result // the latest, oldest first
}

// result is one event's response, once its executor has it.
type result struct {
	key  any // what names the event
	done chan struct{}
	data []byte // nil when the execution failed or had errors: run your own
}

// Keyed is an event that says which others it is the same as: the events
// of different readers with the same key are one event, whatever their
// values. ok is false for one that is not to be shared.
type Keyed interface {
	FanoutKey() (key string, ok bool)
}

// subscription is what Share hands the interceptor.
type subscription struct {
	// next returns the resolver's next event and what names it among the
	// group's (nil: execute it for this reader alone).
	next  func(ctx context.Context) (event, key any, ok bool)
	push  func(event any) // hands gqlgen the event to execute
	close func()          // ends gqlgen's stream
	offer *offer          // the resolver's source's, if it made one
}

// offer is a source's (Offer): to be pulled instead of running a goroutine.
type offer struct {
	ch    any    // the channel it would feed
	claim any    // func() func(context.Context) (T, bool)
	start func() // the source runs its own goroutine after all
	taken bool
}

type subscriptionKey struct{}

// A Waker lets a transport run a subscription that shares without a
// goroutine waiting for each of its events. The transport calls the
// response handler with a context from WithWaker; where the source of the
// events can tell that it has nothing yet and say when it may (Parking),
// the handler returns Parked instead of waiting, and Wake runs once the
// handler is worth calling again: from the source's goroutine, maybe
// before the call that parked has returned, and once the context of the
// call ends (the source watches that too). Wake must be safe to run more
// often than that.
type Waker struct {
	Wake   func()
	parked bool // the call parked: the source took Wake
}

// Parked is what a response handler called WithWaker returns when it has
// nothing yet.
var Parked = &graphql.Response{}

type wakerKey struct{}

// WithWaker returns ctx for calls of a subscription's response handler
// that may park on w rather than wait. One call at a time.
func WithWaker(ctx context.Context, w *Waker) context.Context {
	return context.WithValue(ctx, wakerKey{}, w)
}

// Parking returns the waker of a response handler call that may park, or
// nil. A source with nothing yet for the call arranges for w.Wake to run
// when it may have, calls w.Park and returns as if its stream had ended.
func Parking(ctx context.Context) *Waker {
	w, _ := ctx.Value(wakerKey{}).(*Waker)
	return w
}

// Park marks the call as parked: the source has taken Wake.
func (w *Waker) Park() { w.parked = true }

// unpark reports whether the call parked, for the next one.
func (w *Waker) unpark() bool {
	p := w.parked
	w.parked = false
	return p
}

// Share puts the interceptor between a subscription resolver's channel and
// gqlgen, when the operation is one that shares; otherwise it returns ch.
// An event is the same as another if it is Keyed and their keys are
// equal, or else if the values are: a pointer shared by all the deliveries
// of one event.
func Share[T comparable](ctx context.Context, ch <-chan T) <-chan T {
	sub, _ := ctx.Value(subscriptionKey{}).(*subscription)
	if sub == nil || sub.next != nil {
		return ch
	}
	recv := func(ctx context.Context) (v T, ok bool) {
		select {
		case v, ok = <-ch:
		case <-ctx.Done():
		}
		return v, ok
	}
	if o := sub.offer; o != nil && !o.taken && o.ch == any(ch) {
		if claim, ok := o.claim.(func() func(context.Context) (T, bool)); ok {
			o.taken = true
			recv = claim()
		}
	}
	proxy := make(chan T, 1)
	sub.next = func(ctx context.Context) (any, any, bool) {
		v, ok := recv(ctx)
		if !ok {
			return nil, nil, false
		}
		if k, keyed := any(v).(Keyed); keyed {
			if key, share := k.FanoutKey(); share {
				return v, key, true
			}
			return v, nil, true
		}
		return v, v, true
	}
	sub.push = func(event any) { proxy <- event.(T) }
	sub.close = func() { close(proxy) }
	return proxy
}

// Offer lets the source of ch, which would feed it from a goroutine of its
// own, be pulled instead by the subscription's goroutine, which waits for
// its events anyway: one goroutine less for each subscription. It reports
// whether the offer stands: if the resolver then passes ch to Share, claim
// runs (in the resolver's goroutine) and returns what Share calls for each
// event (false: the end of the stream) in place of reading ch; if not,
// start runs once the resolver has returned. Outside an operation that
// shares, or for a second source, Offer returns false and calls neither.
func Offer[T any](ctx context.Context, ch <-chan T, claim func() func(context.Context) (T, bool), start func()) bool {
	sub, _ := ctx.Value(subscriptionKey{}).(*subscription)
	if sub == nil || sub.next != nil || sub.offer != nil {
		return false
	}
	sub.offer = &offer{ch: ch, claim: claim, start: start}
	return true
}

func (x *Extension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	audience, ok := x.classify(ctx, oc)
	if !ok {
		return next(ctx)
	}
	vars, err := json.Marshal(oc.Variables) // map keys come out sorted
	if err != nil {
		return next(ctx)
	}
	sub := &subscription{}
	inner := next(context.WithValue(ctx, subscriptionKey{}, sub))
	if o := sub.offer; o != nil && !o.taken {
		o.taken = true
		o.start() // not passed to Share: it runs as it would have
	}
	if sub.next == nil {
		return inner // refused, or a resolver that does not share
	}
	g := x.join(oc.RawQuery + "\x00" + oc.OperationName + "\x00" + string(vars) + "\x00" + audience)
	context.AfterFunc(ctx, func() { x.leave(g) })
	return func(ctx context.Context) *graphql.Response {
		event, key, ok := sub.next(ctx)
		if !ok {
			if w := Parking(ctx); w != nil && w.unpark() {
				return Parked
			}
			sub.close()
			return inner(ctx) // nil: the end of the stream
		}
		if key == nil {
			sub.push(event)
			return inner(ctx)
		}
		r, mine := g.take(key)
		if !mine {
			select {
			case <-r.done:
			case <-ctx.Done():
				return nil // the end of this stream
			}
			if r.data != nil {
				x.count(false)
				return &graphql.Response{Data: r.data}
			}
		}
		// Ours to execute, or the executor's failed: run it for this reader.
		if mine {
			defer close(r.done) // even on a panic: the group must not wait forever
		}
		sub.push(event)
		resp := inner(ctx)
		if mine {
			if resp != nil && len(resp.Errors) == 0 && len(resp.Extensions) == 0 {
				r.data = bytes.Clone(resp.Data) // gqlgen reuses its buffer
			}
			x.count(true)
		}
		return resp
	}
}

func (x *Extension) count(executed bool) {
	x.mu.Lock()
	if executed {
		x.executed++
	} else {
		x.shared++
	}
	x.mu.Unlock()
}

func (x *Extension) join(key string) *group {
	x.mu.Lock()
	defer x.mu.Unlock()
	g := x.groups[key]
	if g == nil {
		g = &group{key: key}
		x.groups[key] = g
	}
	g.members++
	return g
}

func (x *Extension) leave(g *group) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if g.members--; g.members == 0 {
		delete(x.groups, g.key)
	}
}

// take returns the result of the event key names and whether the caller
// is to execute it (the first of the group to take it).
func (g *group) take(key any) (*result, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.events) - 1; i >= 0; i-- {
		if g.events[i].key == key {
			return g.events[i], false
		}
	}
	r := &result{key: key, done: make(chan struct{})}
	if len(g.events) == recent {
		copy(g.events, g.events[1:])
		g.events = g.events[:recent-1]
	}
	g.events = append(g.events, r)
	return r, true
}
