// Package retention is the background job that forgets what Parley keeps
// only for a while: internal history past the organisation's period (1 year
// by default), the files of external sessions past their channel's period
// (72 hours by default; the message stays and its attachment reads as
// expired), uploads never sent (after a day), and the event log behind
// resumable streams (after 7 days). Storage is reclaimed as rows go.
//
// Blobs are deleted before the rows that name them, except for unsent
// uploads (see removeUnsent), so a failure leaves work for the next run
// rather than a row pointing at nothing. Every step is idempotent: several
// instances may run the job at once.
package retention

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"parley/server/blob"
	"parley/server/db"
	"parley/server/history"
	"parley/server/settings"
)

// Periods fixed by API.md and the design.
const (
	// UnsentUploadTTL is how long an upload waits to be sent.
	UnsentUploadTTL = 24 * time.Hour
	// EventLogTTL is how long the event log keeps entries: a client away
	// longer resumes with RESYNC_REQUIRED.
	EventLogTTL = 7 * 24 * time.Hour
)

// Scheduling defaults.
const (
	DefaultInterval = time.Hour
	// FirstRunDelay lets the server settle before the first run.
	FirstRunDelay = time.Minute
)

// batchSize bounds the rows one transaction touches, so that a large
// backlog never holds SQLite's write lock for long.
const batchSize = 500

// Job is the retention job.
type Job struct {
	db       *db.DB
	store    blob.Store
	settings *settings.Service
	log      *slog.Logger
	now      func() time.Time
	// history writes: it wakes the event relay after events are committed.
	history *history.Writer

	mu sync.Mutex // one run at a time in this process
}

// New returns the job.
func New(d *db.DB, hist *history.Writer, store blob.Store, st *settings.Service, log *slog.Logger, now func() time.Time) *Job {
	return &Job{db: d, history: hist, store: store, settings: st, log: log, now: now}
}

// Report is what one run removed.
type Report struct {
	// ExpiredFiles are session attachments whose file was removed (the
	// attachment stays, expired).
	ExpiredFiles int
	// DeletedMessages are internal messages past the history period;
	// DeletedMessageFiles the files they carried.
	DeletedMessages     int
	DeletedMessageFiles int
	// RemovedUploads are uploads never sent.
	RemovedUploads int
	// PrunedEvents are event log entries; PrunedThrough the newest of them
	// (pubsub.StoredCursor form), "" if none.
	PrunedEvents  int
	PrunedThrough string
	// HistoryDays is the internal history period the run applied.
	HistoryDays int
}

// Run runs the job every interval (DefaultInterval if <= 0), the first
// time FirstRunDelay after start, until ctx ends.
func (j *Job) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	wait := time.NewTimer(min(FirstRunDelay, interval))
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wait.C:
		}
		// Errors are logged by RunOnce; the next run tries again.
		_, _ = j.RunOnce(ctx, j.now())
		wait.Reset(interval)
	}
}

// RunOnce removes everything past its period at now, logs one line saying
// what it removed, and returns the same. A step that fails does not stop
// the others; the errors are joined.
func (j *Job) RunOnce(ctx context.Context, now time.Time) (Report, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	start := time.Now()
	now = now.UTC()
	var r Report
	var errs []error
	step := func(name string, err error) {
		if err != nil && ctx.Err() == nil {
			errs = append(errs, err)
			j.log.Error("retention step failed", "step", name, "err", err)
		}
	}
	step("session files", j.expireSessionFiles(ctx, now, &r))
	step("internal history", j.deleteInternalHistory(ctx, now, &r))
	step("unsent uploads", j.removeUnsent(ctx, now, &r))
	step("event log", j.pruneEvents(ctx, now, &r))
	j.log.Info("retention run",
		"expired_files", r.ExpiredFiles, "deleted_messages", r.DeletedMessages,
		"deleted_message_files", r.DeletedMessageFiles, "removed_uploads", r.RemovedUploads,
		"pruned_events", r.PrunedEvents, "pruned_through", r.PrunedThrough,
		"history_days", r.HistoryDays, "errors", len(errs), "took", time.Since(start))
	return r, errors.Join(errs...)
}
