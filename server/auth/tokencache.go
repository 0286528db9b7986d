package auth

import (
	"sync"
	"time"

	"parley/ent/schema/pulid"
)

// tokenTTL is how long a token, once resolved, is taken as it was without
// asking the database again: every HTTP request authenticates, and the
// lookup was one statement of every send. What this instance changes
// (logout, revoked sessions, a new role, a deactivated account) drops the
// cached token at once; what another instance changes is seen here within
// tokenTTL, as its sockets are within Config.TokenCheck.
const tokenTTL = 2 * time.Second

// maxCachedTokens bounds the cache: past it, it starts again empty.
const maxCachedTokens = 10_000

// tokenCache holds the tokens resolved lately, by hash. Only accepted tokens
// are kept, so that guessing cannot fill it.
type tokenCache struct {
	mu     sync.Mutex
	byHash map[string]cachedToken
	// gen moves with every drop: a token read from the database before a
	// drop is not kept after it (it may be what the drop was about).
	gen uint64
}

type cachedToken struct {
	viewer  Viewer
	expires time.Time // the token's own end, if it has one
	until   time.Time // when to ask the database again
}

func newTokenCache() *tokenCache { return &tokenCache{byHash: map[string]cachedToken{}} }

// get returns the viewer of a token resolved less than tokenTTL before now;
// on a miss, the generation to hand put.
func (c *tokenCache) get(hash string, now time.Time) (_ *Viewer, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byHash[hash]
	if !ok || !now.Before(e.until) || (!e.expires.IsZero() && !now.Before(e.expires)) {
		return nil, c.gen, false
	}
	v := e.viewer
	return &v, 0, true
}

// put keeps what the database said of a token, unless something was
// dropped since get missed.
func (c *tokenCache) put(hash string, v *Viewer, expires, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.byHash) >= maxCachedTokens {
		clear(c.byHash)
	}
	c.byHash[hash] = cachedToken{viewer: *v, expires: expires, until: now.Add(tokenTTL)}
}

// dropTokens forgets the tokens with these ids.
func (c *tokenCache) dropTokens(ids ...int) {
	if len(ids) == 0 {
		return
	}
	drop := make(map[int]bool, len(ids))
	for _, id := range ids {
		drop[id] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for h, e := range c.byHash {
		if drop[e.viewer.TokenID] {
			delete(c.byHash, h)
		}
	}
}

// dropUser forgets every token of a user (a new role, deactivation).
func (c *tokenCache) dropUser(userID pulid.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for h, e := range c.byHash {
		if e.viewer.UserID == userID {
			delete(c.byHash, h)
		}
	}
}
