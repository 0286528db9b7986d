package auth

import (
	"sync"
	"time"

	"parley/server/apperr"
	"parley/server/ratelimit"
)

// Login throttling (README "Login throttling"). Only failed logins count,
// in three token buckets; a login is refused with RATE_LIMITED while any
// bucket that applies to it is empty, the right password included.
const (
	// One account from one client address: the guesser is slowed and the
	// owner, from anywhere else, is not.
	PairBurst    = 10
	PairInterval = 30 * time.Second
	// One address across all accounts: credential stuffing, one guess per
	// account.
	AddressBurst    = 50
	AddressInterval = 10 * time.Second
	// One account across all addresses: many addresses guessing one
	// password. Looser than the pair's and refilled faster, so that one
	// address can never empty it and the owner waits seconds, not forever.
	// Addresses the account logged in from before (KnownFor) pass it.
	AccountBurst    = 100
	AccountInterval = 10 * time.Second
	// KnownFor is how long an address the account logged in from is
	// exempt from the account's bucket.
	KnownFor = TokenTTL
)

// throttle holds the buckets, in memory (per instance).
type throttle struct {
	now                    func() time.Time
	pair, address, account *ratelimit.Limiter

	mu     sync.Mutex
	known  map[string]time.Time // pair key -> last successful login
	sweeps int
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{
		now:     now,
		pair:    ratelimit.New(PairBurst, PairInterval).SetClock(now),
		address: ratelimit.New(AddressBurst, AddressInterval).SetClock(now),
		account: ratelimit.New(AccountBurst, AccountInterval).SetClock(now),
		known:   map[string]time.Time{},
	}
}

func pairKey(account, addr string) string { return account + "\x00" + addr }

// check is RATE_LIMITED if a login for account from addr must wait.
func (t *throttle) check(account, addr string) error {
	pair := pairKey(account, addr)
	switch {
	case t.pair.Exhausted(pair):
		return limited(t.pair.RetryAfter(pair), "for this account from this address")
	case t.address.Exhausted(addr):
		return limited(t.address.RetryAfter(addr), "from this address")
	case t.account.Exhausted(account) && !t.isKnown(pair):
		return limited(t.account.RetryAfter(account), "for this account")
	}
	return nil
}

func limited(wait int, scope string) error {
	return apperr.New(apperr.RateLimited, "too many failed logins %s; try again in %d seconds", scope, wait).
		With("retryAfter", wait)
}

// failed counts a failed login in every bucket.
func (t *throttle) failed(account, addr string) {
	t.pair.Allow(pairKey(account, addr))
	t.address.Allow(addr)
	t.account.Allow(account)
}

// succeeded remembers addr as one the account logs in from.
func (t *throttle) succeeded(account, addr string) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.known[pairKey(account, addr)] = now
	if t.sweeps++; t.sweeps >= 1000 {
		t.sweeps = 0
		for k, at := range t.known {
			if now.Sub(at) > KnownFor {
				delete(t.known, k)
			}
		}
	}
}

func (t *throttle) isKnown(pair string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.known[pair]
	return ok && t.now().Sub(at) <= KnownFor
}
