package metrics

import (
	"fmt"
	"strings"
	"testing"
)

func TestOperationLabelsAreBounded(t *testing.T) {
	m := New()
	for in, want := range map[string]string{"": "anonymous", "SendMessage": "SendMessage", "a-b": "other",
		strings.Repeat("x", 65): "other", "é": "other"} {
		if got := m.Operation(in); got != want {
			t.Errorf("Operation(%q) = %q, want %q", in, got, want)
		}
	}
	for i := range MaxOperations * 2 {
		m.Operation(fmt.Sprintf("Op%d", i))
	}
	if got := m.Operation("NewOne"); got != "other" {
		t.Errorf("past the cap: %q, want other", got)
	}
	if got := m.Operation("SendMessage"); got != "SendMessage" {
		t.Errorf("a name seen before the cap: %q", got)
	}
}

// Two registries in one process do not collide.
func TestRegistriesAreIndependent(t *testing.T) {
	a, b := New(), New()
	a.Gauge("x", "x", func() float64 { return 1 })
	b.Gauge("x", "x", func() float64 { return 2 })
	a.GraphQLErrors.WithLabelValues("INTERNAL").Inc()
	if n, err := b.Registry.Gather(); err != nil || len(n) == 0 {
		t.Fatalf("gather: %v", err)
	}
}
