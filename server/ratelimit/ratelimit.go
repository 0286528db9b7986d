// Package ratelimit limits how often one key (an IP address, an e-mail) may
// do something, with a token bucket per key kept in memory.
package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter allows each key a burst, refilled at a steady rate.
type Limiter struct {
	mu     sync.Mutex
	every  rate.Limit
	burst  int
	keys   map[string]*entry
	sweeps int
	now    func() time.Time
}

type entry struct {
	lim  *rate.Limiter
	seen time.Time
}

// New allows burst actions per key at once, then one every interval.
func New(burst int, interval time.Duration) *Limiter {
	return &Limiter{every: rate.Every(interval), burst: burst, keys: map[string]*entry{}, now: time.Now}
}

// SetClock makes the limiter read the time from now (the server's clock,
// which tests move); call it before the limiter is used.
func (l *Limiter) SetClock(now func() time.Time) *Limiter {
	if now != nil {
		l.now = now
	}
	return l
}

// Allow reports whether key may act now, and takes a token if so.
func (l *Limiter) Allow(key string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e == nil {
		e = &entry{lim: rate.NewLimiter(l.every, l.burst)}
		l.keys[key] = e
	}
	e.seen = now
	if l.sweeps++; l.sweeps >= 1000 {
		l.sweep(now)
	}
	return e.lim.AllowN(now, 1)
}

// Exhausted reports whether key has no action left now, without taking one.
func (l *Limiter) Exhausted(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	return e != nil && e.lim.TokensAt(l.now()) < 1
}

// RetryAfter is how long until key may act again (0 if it may now), in
// whole seconds rounded up, as a client's retry hint.
func (l *Limiter) RetryAfter(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e == nil {
		return 0
	}
	missing := 1 - e.lim.TokensAt(l.now())
	if missing <= 0 {
		return 0
	}
	return int(math.Ceil(missing / float64(l.every)))
}

// sweep forgets keys idle long enough to have a full bucket again.
func (l *Limiter) sweep(now time.Time) {
	l.sweeps = 0
	idle := time.Duration(float64(l.burst) / float64(l.every) * float64(time.Second))
	for k, e := range l.keys {
		if now.Sub(e.seen) > idle {
			delete(l.keys, k)
		}
	}
}

type ipKey struct{}

// WithClientIP records the address a request came from.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, ipKey{}, ip)
}

// ClientIP returns the address a request came from ("" if unknown).
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(ipKey{}).(string)
	return ip
}
