package fanout

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// subscribe runs a subscription through the interceptor whose resolver is
// resolve, which returns the channel gqlgen reads, and returns what it
// responds until its stream ends.
func subscribe(t *testing.T, resolve func(ctx context.Context) <-chan string) []string {
	t.Helper()
	x := New(func(context.Context, *graphql.OperationContext) (string, bool) { return "everyone", true })
	oc := &graphql.OperationContext{RawQuery: "subscription { s }",
		Operation: &ast.OperationDefinition{Operation: ast.Subscription}}
	ctx, cancel := context.WithCancel(graphql.WithOperationContext(context.Background(), oc))
	defer cancel()
	responses := x.InterceptOperation(ctx, func(ctx context.Context) graphql.ResponseHandler {
		ch := resolve(ctx)
		return func(context.Context) *graphql.Response {
			v, ok := <-ch
			if !ok {
				return nil
			}
			b, _ := json.Marshal(v)
			return &graphql.Response{Data: b}
		}
	})
	var got []string
	for {
		r := responses(ctx)
		if r == nil {
			return got
		}
		var s string
		if err := json.Unmarshal(r.Data, &s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
}

// A source whose channel the resolver passes to Share is pulled, in the
// subscription's goroutine, and never started; one the resolver keeps to
// itself is started once the resolver has returned, and never pulled.
func TestOffer(t *testing.T) {
	t.Run("shared", func(t *testing.T) {
		claims, starts := 0, 0
		got := subscribe(t, func(ctx context.Context) <-chan string {
			ch := make(chan string) // never written: the events come from pull
			events := []string{"e1", "e2"}
			if !Offer(ctx, (<-chan string)(ch), func() func(context.Context) (string, bool) {
				claims++
				return func(context.Context) (string, bool) {
					if len(events) == 0 {
						return "", false
					}
					e := events[0]
					events = events[1:]
					return e, true
				}
			}, func() { starts++ }) {
				t.Fatal("Offer refused in an operation that shares")
			}
			return Share(ctx, (<-chan string)(ch))
		})
		if len(got) != 2 || got[0] != "e1" || got[1] != "e2" || claims != 1 || starts != 0 {
			t.Errorf("got %q, %d claims, %d starts; want [e1 e2], 1 claim, no start", got, claims, starts)
		}
	})
	t.Run("kept", func(t *testing.T) {
		claims, starts := 0, 0
		got := subscribe(t, func(ctx context.Context) <-chan string {
			ch := make(chan string, 1)
			if !Offer(ctx, (<-chan string)(ch), func() func(context.Context) (string, bool) {
				claims++
				return nil
			}, func() {
				starts++
				ch <- "own"
				close(ch)
			}) {
				t.Fatal("Offer refused in an operation that shares")
			}
			if Offer(ctx, (<-chan string)(ch), nil, nil) {
				t.Error("a second offer stood")
			}
			return ch // not through Share
		})
		if len(got) != 1 || got[0] != "own" || claims != 0 || starts != 1 {
			t.Errorf("got %q, %d claims, %d starts; want [own], no claim, 1 start", got, claims, starts)
		}
	})
	t.Run("outside", func(t *testing.T) {
		if Offer(context.Background(), make(<-chan string), nil, nil) {
			t.Error("Offer stood outside an operation")
		}
	})
}
