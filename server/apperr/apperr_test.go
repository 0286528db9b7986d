package apperr_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"parley/server/apperr"
)

type notFound struct{}

func (notFound) Error() string { return "not found" }

// A service method's boundary names the operation of an internal error and
// leaves everything else as it was: codes, messages, and what is wrapped.
func TestAtNamesTheOperationOfInternalErrors(t *testing.T) {
	call := func(inner error) (err error) {
		defer apperr.At("inbox.Forward", &err)
		return inner
	}
	if err := call(nil); err != nil {
		t.Fatalf("nil became %v", err)
	}
	internal := fmt.Errorf("query: %w", notFound{})
	err := call(internal)
	if err.Error() != "inbox.Forward: query: not found" || apperr.CodeOf(err) != apperr.Internal {
		t.Fatalf("internal error: %q (%s)", err, apperr.CodeOf(err))
	}
	var nf notFound
	if !errors.As(err, &nf) || !errors.Is(err, internal) {
		t.Fatal("the wrapped error is no longer reachable")
	}
	if err := call(context.Canceled); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancellation is no longer one: %v", err)
	}
	coded := apperr.Forbid("only an admin can manage channels")
	if err := call(coded); err != coded || apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("an error with a code changed: %v", err)
	}
	// A coded error wrapped further down keeps its code through the boundary.
	deeper := fmt.Errorf("access.Session: %w", apperr.Missing("no such session"))
	if err := call(deeper); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("code lost: %v", err)
	}
}
