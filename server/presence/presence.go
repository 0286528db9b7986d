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

type conn struct{ close func(revoked bool) }

// New returns an empty tracker.
func New() *Tracker {
	return &Tracker{online: map[pulid.ID]int{}, byToken: map[int]map[*conn]struct{}{}}
}

// Connect records an open connection and returns the function to call when
// it ends. close ends the connection: revoked when its token was.
func (t *Tracker) Connect(userID pulid.ID, tokenID int, close func(revoked bool)) (disconnect func()) {
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

// Revoke closes every connection opened with the token, as revoked.
func (t *Tracker) Revoke(tokenID int) { t.closeAll(tokenID, true) }

// Drop closes every connection opened with the token as a restart would:
// the token stays good and clients reconnect.
func (t *Tracker) Drop(tokenID int) { t.closeAll(tokenID, false) }

func (t *Tracker) closeAll(tokenID int, revoked bool) {
	t.mu.Lock()
	var closers []func(bool)
	for c := range t.byToken[tokenID] {
		closers = append(closers, c.close)
	}
	t.mu.Unlock()
	for _, f := range closers {
		f(revoked)
	}
}

func (t *Tracker) changed(userID pulid.ID, online bool) {
	if t.OnChange != nil {
		t.OnChange(userID, online)
	}
}
