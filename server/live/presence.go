package live

import "sync"

// Presence knows the authenticated sockets: who is online (User.online), and
// which sockets to close when a token is revoked. It is safe for concurrent
// use.
type Presence struct {
	mu      sync.Mutex
	online  map[string]int
	byToken map[int]map[*conn]struct{}
	// changed, when set, hears of a user whose first socket here opened
	// (online) or whose last one closed, outside the lock, in its own
	// goroutine: Config.PresenceChanged.
	changed func(userID string, online bool)
	// telling counts the changes being told, for Wait.
	telling sync.WaitGroup
}

type conn struct{ close func(revoked bool) }

func newPresence() *Presence {
	return &Presence{online: map[string]int{}, byToken: map[int]map[*conn]struct{}{}}
}

// connect records an open connection and returns the function to call when
// it ends. close ends the connection: revoked when its token was. userID is
// "" for a token that is not a user's.
func (t *Presence) connect(userID string, tokenID int, close func(revoked bool)) (disconnect func()) {
	c := &conn{close: close}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byToken[tokenID] == nil {
		t.byToken[tokenID] = map[*conn]struct{}{}
	}
	t.byToken[tokenID][c] = struct{}{}
	if userID != "" {
		if t.online[userID]++; t.online[userID] == 1 {
			t.tell(userID, true)
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			delete(t.byToken[tokenID], c)
			if len(t.byToken[tokenID]) == 0 {
				delete(t.byToken, tokenID)
			}
			if userID != "" {
				t.online[userID]--
				if t.online[userID] <= 0 {
					delete(t.online, userID)
					t.tell(userID, false)
				}
			}
		})
	}
}

// tell hands a change to changed; the receiver reads Online to know the
// latest, since two changes may reach it in either order.
func (t *Presence) tell(userID string, online bool) {
	if t.changed != nil {
		t.telling.Add(1)
		go func() {
			defer t.telling.Done()
			t.changed(userID, online)
		}()
	}
}

// Wait waits until the changes told so far have been heard: at shutdown,
// once the sockets are closed, so that recording the last ones does not
// meet a closed database.
func (t *Presence) Wait() { t.telling.Wait() }

// Online reports whether the user has at least one connection open here.
func (t *Presence) Online(userID string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.online[userID] > 0
}

// Tokens lists the tokens that have a connection open here.
func (t *Presence) Tokens() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]int, 0, len(t.byToken))
	for id := range t.byToken {
		ids = append(ids, id)
	}
	return ids
}

// Revoke closes every connection opened with the token with 4403, as
// revoked.
func (t *Presence) Revoke(tokenID int) { t.closeAll(tokenID, true) }

// Drop closes every connection opened with the token as a restart would:
// the token stays good and clients reconnect.
func (t *Presence) Drop(tokenID int) { t.closeAll(tokenID, false) }

func (t *Presence) closeAll(tokenID int, revoked bool) {
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
