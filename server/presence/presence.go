// Package presence tracks open WebSocket connections: who is online, and
// how to close every connection of a token when it is revoked.
package presence

import (
	"sync"

	"parley/ent/schema/pulid"
)

// Tracker is safe for concurrent use.
type Tracker struct {
	mu      sync.Mutex
	online  map[pulid.ID]int
	byToken map[int]map[*conn]struct{}
	// OnChange is called (outside the lock) when a user goes online or offline.
	OnChange func(userID pulid.ID, online bool)
}

type conn struct{ close func() }

// New returns an empty tracker.
func New() *Tracker {
	return &Tracker{online: map[pulid.ID]int{}, byToken: map[int]map[*conn]struct{}{}}
}

// Connect records an open connection and returns the function to call when
// it ends. close is called if the connection's token is revoked.
func (t *Tracker) Connect(userID pulid.ID, tokenID int, close func()) (disconnect func()) {
	c := &conn{close: close}
	t.mu.Lock()
	if t.byToken[tokenID] == nil {
		t.byToken[tokenID] = map[*conn]struct{}{}
	}
	t.byToken[tokenID][c] = struct{}{}
	first := false
	if userID != "" {
		t.online[userID]++
		first = t.online[userID] == 1
	}
	t.mu.Unlock()
	if first {
		t.changed(userID, true)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			delete(t.byToken[tokenID], c)
			if len(t.byToken[tokenID]) == 0 {
				delete(t.byToken, tokenID)
			}
			last := false
			if userID != "" {
				t.online[userID]--
				if t.online[userID] <= 0 {
					delete(t.online, userID)
					last = true
				}
			}
			t.mu.Unlock()
			if last {
				t.changed(userID, false)
			}
		})
	}
}

// Online reports whether the user has at least one connection open.
func (t *Tracker) Online(userID pulid.ID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.online[userID] > 0
}

// Tokens lists the tokens that have a connection open here.
func (t *Tracker) Tokens() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]int, 0, len(t.byToken))
	for id := range t.byToken {
		ids = append(ids, id)
	}
	return ids
}

// Revoke closes every connection opened with the token.
func (t *Tracker) Revoke(tokenID int) {
	t.mu.Lock()
	var closers []func()
	for c := range t.byToken[tokenID] {
		closers = append(closers, c.close)
	}
	t.mu.Unlock()
	for _, f := range closers {
		f()
	}
}

func (t *Tracker) changed(userID pulid.ID, online bool) {
	if t.OnChange != nil {
		t.OnChange(userID, online)
	}
}
