// Package jobs is the background schedule: what runs on its own, how
// often, and under which name it logs. The work itself belongs to its room;
// this is the one list of it.
package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// AutoCloseInterval is how often idle sessions are looked for.
const AutoCloseInterval = time.Minute

// Schedule is the background work of one instance.
type Schedule struct {
	Log *slog.Logger
	// Outbox delivers replies to customers (its own loop: woken on commit,
	// polled every second).
	Outbox interface{ Run(context.Context) }
	// Sessions closes sessions idle past their channel's period.
	Sessions interface {
		CloseInactive(context.Context) (int, error)
	}
	// Retention forgets what is kept only for a while, every
	// RetentionInterval (never when it is negative).
	Retention interface {
		Run(context.Context, time.Duration)
	}
	RetentionInterval time.Duration
	// Tokens closes the sockets of revoked or expired tokens.
	Tokens interface{ Run(context.Context) }
	// Transcriptions transcribes the PENDING voice messages (its own loop:
	// woken when one is asked for, polled every second).
	Transcriptions interface{ Run(context.Context) }
	// Presence refreshes this instance's online users and expires those
	// of instances that died (nil: not run).
	Presence interface{ Run(context.Context) }
}

// Run runs the schedule until ctx ends.
func (s Schedule) Run(ctx context.Context) {
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	run(s.Outbox.Run)
	run(func(ctx context.Context) { Every(ctx, AutoCloseInterval, s.closeInactive) })
	run(s.Tokens.Run)
	run(s.Transcriptions.Run)
	if s.Presence != nil {
		run(s.Presence.Run)
	}
	if s.RetentionInterval >= 0 {
		run(func(ctx context.Context) { s.Retention.Run(ctx, s.RetentionInterval) })
	}
	wg.Wait()
}

// closeInactive archives sessions idle past their channel's period.
func (s Schedule) closeInactive(ctx context.Context) {
	n, err := s.Sessions.CloseInactive(ctx)
	if err != nil && ctx.Err() == nil {
		s.Log.Error("closing inactive sessions", "err", err)
	}
	if n > 0 {
		s.Log.Info("closed inactive sessions", "sessions", n)
	}
}

// Every runs f at once and then at each interval until ctx ends.
func Every(ctx context.Context, interval time.Duration, f func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		f(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
