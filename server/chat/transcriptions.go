package chat

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"parley/ent"
	"parley/ent/attachment"
	"parley/ent/message"
	"parley/ent/predicate"
	"parley/ent/schema"
	"parley/server/apperr"
	"parley/server/blob"
	"parley/server/history"
	"parley/server/history/events"
	"parley/server/transcribe"
)

// TranscribeConfig sets how the transcription job works.
type TranscribeConfig struct {
	// Poll is how often PENDING transcriptions are looked for without being
	// woken (they may be another instance's, or left by a restart).
	Poll time.Duration
	// Lease is how long an instance has a transcription to itself: longer
	// than an engine may take (the local one stops at 2 minutes). Past it,
	// another instance takes it over.
	Lease time.Duration
	// Backoff is the wait before the first retry of a temporary failure,
	// doubled each time; MaxAttempts bounds the tries.
	Backoff     time.Duration
	MaxAttempts int
}

// DefaultTranscribeConfig is the production setting.
var DefaultTranscribeConfig = TranscribeConfig{Poll: time.Second, Lease: 3 * time.Minute, Backoff: 5 * time.Second, MaxAttempts: 4}

// Reasons a transcription fails without the engine's word.
const (
	reasonFileGone    = "the audio file is no longer available"
	reasonInterrupted = "transcription was interrupted too often; ask again"
)

// Transcriptions is the durable transcription job: the state is the
// message's transcription, so PENDING ones survive a restart; an instance
// claims one (a compare-and-set on that state) before asking the engine.
type Transcriptions struct {
	s *Service
	// Engine does the work (transcribe.Choose; nil: none).
	Engine transcribe.Engine
	Config TranscribeConfig
	// Observe, when set, is told the outcome of each attempt: "done",
	// "retry" or "failed" (metrics).
	Observe func(outcome string)
	wake    chan struct{}
}

func (j *Transcriptions) observe(outcome string, err error) error {
	if err == nil && j.Observe != nil {
		j.Observe(outcome)
	}
	return err
}

func newTranscriptions(s *Service) *Transcriptions {
	return &Transcriptions{s: s, Config: DefaultTranscribeConfig, wake: make(chan struct{}, 1)}
}

// Wake tells the job a transcription was asked for. It never blocks.
func (j *Transcriptions) Wake() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// Run transcribes PENDING messages until ctx ends.
func (j *Transcriptions) Run(ctx context.Context) {
	t := time.NewTicker(j.Config.Poll)
	defer t.Stop()
	for {
		if err := j.RunDue(ctx); err != nil && ctx.Err() == nil {
			j.s.log.Error("transcriptions", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-j.wake:
		case <-t.C:
		}
	}
}

// batch bounds how many PENDING transcriptions one pass looks at.
const batch = 20

// RunDue works the PENDING transcriptions that are due, one at a time.
func (j *Transcriptions) RunDue(ctx context.Context) (err error) {
	defer apperr.At("chat.Transcriptions", &err)
	pending, err := j.s.db.Message.Query().
		Where(message.KindEQ(message.KindAUDIO), pendingTranscription()).
		Order(ent.Asc(message.FieldID)).Limit(batch).All(ctx)
	if err != nil {
		return err
	}
	for _, m := range pending {
		if ctx.Err() != nil {
			return nil
		}
		tr := m.Transcription
		if tr == nil || tr.Status != schema.TranscriptionPending || (tr.Due != nil && tr.Due.After(j.s.now())) {
			continue
		}
		if err := j.work(ctx, m); err != nil && ctx.Err() == nil {
			j.s.log.Error("transcribing", "message", m.ID, "err", err)
		}
	}
	return nil
}

// work claims m's transcription, asks the engine and records the outcome.
func (j *Transcriptions) work(ctx context.Context, m *ent.Message) error {
	old := *m.Transcription
	if old.Attempts >= j.Config.MaxAttempts {
		return j.observe("failed", j.finish(ctx, m, &old, failed(reasonInterrupted)))
	}
	claimed := old
	claimed.Attempts++
	until := j.s.now().Add(j.Config.Lease)
	claimed.Due = &until
	if ok, err := j.set(ctx, m, &old, &claimed, false); err != nil || !ok {
		return err // another instance has it
	}
	res, err := j.transcribe(ctx, m)
	if ctx.Err() != nil {
		return nil // shutting down: the lease runs out and another instance takes it
	}
	switch {
	case err == nil:
		return j.observe("done", j.finish(ctx, m, &claimed, &schema.Transcription{Status: schema.TranscriptionDone,
			Text: &res.Text, Language: nonEmpty(res.Language)}))
	case transcribe.Temporary(err) && claimed.Attempts < j.Config.MaxAttempts:
		j.s.log.Warn("transcription will be retried", "message", m.ID, "attempt", claimed.Attempts, "err", err)
		retry := claimed
		due := j.s.now().Add(j.Config.Backoff << (claimed.Attempts - 1))
		retry.Due = &due
		_, err := j.set(ctx, m, &claimed, &retry, false)
		return j.observe("retry", err)
	default:
		j.s.log.Warn("transcription failed", "message", m.ID, "err", err)
		return j.observe("failed", j.finish(ctx, m, &claimed, failed(transcribe.Reason(err))))
	}
}

// transcribe runs the engine on the message's audio.
func (j *Transcriptions) transcribe(ctx context.Context, m *ent.Message) (transcribe.Result, error) {
	a, err := m.QueryAttachments().Where(attachment.ContentTypeHasPrefix("audio/")).
		Order(ent.Asc(attachment.FieldCreatedAt)).First(ctx)
	if ent.IsNotFound(err) {
		return transcribe.Result{}, &transcribe.Error{Reason: reasonFileGone}
	}
	if err != nil {
		return transcribe.Result{}, &transcribe.Error{Reason: "transcription failed", Temporary: true, Err: err}
	}
	seconds := 0.0
	if a.DurationSeconds != nil {
		seconds = *a.DurationSeconds
	}
	if err := transcribe.CheckLength(seconds, a.DurationSeconds != nil); err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) {
			return transcribe.Result{}, &transcribe.Error{Reason: "audio longer than 5 minutes cannot be transcribed", Err: err}
		}
		return transcribe.Result{}, err
	}
	if a.Expired || j.s.Files.Store == nil {
		return transcribe.Result{}, &transcribe.Error{Reason: reasonFileGone}
	}
	o, err := j.s.Files.Store.Open(ctx, a.StorageKey)
	if errors.Is(err, blob.ErrNotFound) {
		return transcribe.Result{}, &transcribe.Error{Reason: reasonFileGone, Err: err}
	}
	if err != nil {
		return transcribe.Result{}, &transcribe.Error{Reason: "the audio file could not be read", Temporary: true, Err: err}
	}
	defer o.Close()
	engine := j.Engine
	if engine == nil {
		engine = transcribe.None{}
	}
	ctx, cancel := context.WithTimeout(ctx, j.Config.Lease)
	defer cancel()
	return engine.Transcribe(ctx, o, a.Filename, a.ContentType)
}

// finish records a final transcription and tells the chat, unless another
// instance got there first.
func (j *Transcriptions) finish(ctx context.Context, m *ent.Message, from, to *schema.Transcription) error {
	_, err := j.set(ctx, m, from, to, true)
	return err
}

// set moves m's transcription from one state to another if it is still in
// the first (false otherwise), emitting MESSAGE_UPDATED when told to.
func (j *Transcriptions) set(ctx context.Context, m *ent.Message, from, to *schema.Transcription, emit bool) (bool, error) {
	ok := false
	err := j.s.history.Write(ctx, func(tx *history.Tx) error {
		n, err := tx.Message.Update().Where(message.ID(m.ID), transcriptionIs(from)).SetTranscription(to).Save(ctx)
		if err != nil || n == 0 {
			return err
		}
		ok = true
		if !emit {
			return nil
		}
		conv, err := tx.Conversation.Get(ctx, m.ConversationID)
		if err != nil {
			return err
		}
		e := history.ConversationEvent(events.MessageUpdated, conv)
		e.MessageID = m.ID
		tx.Emit(e)
		return nil
	})
	return ok, err
}

// transcriptionIs matches a message whose transcription is exactly tr (nil:
// none). The column holds ent's json.Marshal of the value, so the same
// encoding of what was read compares equal: a compare-and-set.
func transcriptionIs(tr *schema.Transcription) predicate.Message {
	if tr == nil {
		return message.TranscriptionIsNil()
	}
	b, err := json.Marshal(tr)
	if err != nil {
		return func(s *entsql.Selector) { s.Where(entsql.False()) }
	}
	// As text: SQLite may hold the value as a BLOB, PostgreSQL as text.
	return func(s *entsql.Selector) {
		s.Where(entsql.P(func(pb *entsql.Builder) {
			pb.WriteString("CAST(").WriteString(s.C(message.FieldTranscription)).WriteString(" AS TEXT) = ").Arg(string(b))
		}))
	}
}

// pendingTranscription narrows the scan to PENDING transcriptions (the
// exact state is checked on the decoded value).
func pendingTranscription() predicate.Message {
	return func(s *entsql.Selector) {
		s.Where(entsql.P(func(pb *entsql.Builder) {
			pb.WriteString("CAST(").WriteString(s.C(message.FieldTranscription)).WriteString(" AS TEXT) LIKE ").Arg(`%"status":"PENDING"%`)
		}))
	}
}

func failed(reason string) *schema.Transcription {
	return &schema.Transcription{Status: schema.TranscriptionFailed, Reason: &reason}
}

func nonEmpty(s string) *string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return &s
}
