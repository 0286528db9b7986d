package live

import (
	"slices"
	"testing"
)

// A user is online while one of their connections is open; a token's
// connections close together, as revoked or not, and leave no trace.
func TestPresence(t *testing.T) {
	p := newPresence()
	var closed []bool
	end := func(revoked bool) { closed = append(closed, revoked) }
	leave1 := p.connect("us1", 1, end)
	leave2 := p.connect("us1", 2, end)
	leaveVisitor := p.connect("", 3, end)
	if !p.Online("us1") || p.Online("") {
		t.Fatal("us1 should be online, a visitor never is")
	}
	tokens := p.Tokens()
	slices.Sort(tokens)
	if !slices.Equal(tokens, []int{1, 2, 3}) {
		t.Fatalf("tokens %v", tokens)
	}
	p.Revoke(1)
	p.Drop(3)
	if !slices.Equal(closed, []bool{true, false}) {
		t.Fatalf("closed %v, want the revoked one then the dropped one", closed)
	}
	leave1()
	leave1() // once only: us1 keeps token 2's connection
	if !p.Online("us1") {
		t.Fatal("us1 went offline with a connection still open")
	}
	leave2()
	leaveVisitor()
	if p.Online("us1") || len(p.Tokens()) != 0 {
		t.Fatalf("online %v, tokens %v after every connection ended", p.Online("us1"), p.Tokens())
	}
}
