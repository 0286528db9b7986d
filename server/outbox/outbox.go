// Package outbox is the delivery worker: it hands replies to customers to
// their channel's provider after commit, retries what may be retried, and
// moves each message's delivery status (SENT or FAILED).
package outbox

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"parley/ent"
	"parley/ent/message"
	entoutbox "parley/ent/outbox"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/db"
	"parley/server/history"
)

// Config sets how replies to customers are delivered.
type Config struct {
	MaxAttempts int           // tries before a message is FAILED
	Backoff     time.Duration // wait after the first failure; doubles each time
	MaxBackoff  time.Duration
	Lease       time.Duration // how long a worker may hold an entry while sending
	SendTimeout time.Duration
}

// Default is the production setting.
var Default = Config{MaxAttempts: 6, Backoff: 2 * time.Second, MaxBackoff: 5 * time.Minute,
	Lease: 2 * time.Minute, SendTimeout: 30 * time.Second}

// Service is the delivery worker.
type Service struct {
	db        *db.DB
	history   *history.Writer
	providers *channel.Registry
	now       func() time.Time
	log       *slog.Logger
	// Config sets how replies are delivered.
	Config Config
	// Observe, when set, is told the outcome of each attempt (Sent, Retry,
	// Failed) and the kind of channel ("" when it could not be read): metrics.
	Observe func(kind channel.Kind, outcome string)
	wake    chan struct{}
}

// The outcomes of a delivery attempt.
const (
	Sent   = "sent"
	Retry  = "retry"
	Failed = "failed"
)

// Depth counts the entries waiting to be sent (PENDING, due or not).
func (s *Service) Depth(ctx context.Context) (int, error) {
	return s.db.Outbox.Query().Where(entoutbox.StateEQ(entoutbox.StatePENDING)).Count(ctx)
}

func (s *Service) observe(kind channel.Kind, outcome string) {
	if s.Observe != nil {
		s.Observe(kind, outcome)
	}
}

// New returns the worker; Run starts it.
func New(d *db.DB, hist *history.Writer, providers *channel.Registry, now func() time.Time, log *slog.Logger) *Service {
	return &Service{db: d, history: hist, providers: providers, now: now, log: log, Config: Default, wake: make(chan struct{}, 1)}
}

// Wake tells the worker that entries were committed. It never blocks.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers due outbox entries until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		for {
			n, err := s.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.Error("outbox", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// DeliverDue hands the due entries to their adapters and returns how many it took.
//
// Delivery is at most once: an entry is marked SENDING (committed) before
// the adapter is called, and an entry whose lease ran out while SENDING —
// the process died mid-send, so the provider may have it — is failed, never
// sent again. Only errors the adapter calls temporary are retried.
func (s *Service) DeliverDue(ctx context.Context) (_ int, err error) {
	defer apperr.At("outbox.DeliverDue", &err)
	now := s.now()
	var claimed []*ent.Outbox
	interrupted := 0
	// Claiming records no event; failing a stale entry does (Write wakes the relay then).
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		stale, err := tx.Outbox.Query().Where(entoutbox.StateEQ(entoutbox.StateSENDING), entoutbox.LeaseUntilLT(now)).All(ctx)
		if err != nil {
			return err
		}
		for _, e := range stale {
			if err := s.finish(ctx, tx, e, entoutbox.StateFAILED, "delivery was interrupted; it may or may not have reached the customer"); err != nil {
				return err
			}
		}
		interrupted = len(stale)
		claimed, err = history.ForUpdate(tx, tx.Outbox.Query().
			Where(entoutbox.StateEQ(entoutbox.StatePENDING), entoutbox.NextAttemptAtLTE(now)).
			Order(ent.Asc(entoutbox.FieldNextAttemptAt)).Limit(20)).All(ctx)
		if err != nil || len(claimed) == 0 {
			return err
		}
		ids := make([]int, len(claimed))
		for i, e := range claimed {
			ids[i] = e.ID
		}
		return tx.Outbox.Update().Where(entoutbox.IDIn(ids...), entoutbox.StateEQ(entoutbox.StatePENDING)).
			SetState(entoutbox.StateSENDING).SetLeaseUntil(now.Add(s.Config.Lease)).AddAttempts(1).Exec(ctx)
	})
	if err != nil {
		return 0, err
	}
	for range interrupted {
		s.observe("", Failed)
	}
	for _, e := range claimed {
		e.Attempts++
		if err := s.deliver(ctx, e); err != nil {
			return len(claimed), err
		}
	}
	return len(claimed), nil
}

// deliver sends one claimed entry and records the outcome.
func (s *Service) deliver(ctx context.Context, e *ent.Outbox) error {
	ch, out, err := s.outbound(ctx, e.MessageID)
	var providerID string
	if err == nil {
		var p channel.Provider
		if p, err = s.providers.For(out.Channel.Kind); err == nil {
			if !ch.Connected {
				err = channel.ErrSyncLost
			} else {
				sendCtx, cancel := context.WithTimeout(ctx, s.Config.SendTimeout)
				providerID, err = p.Send(sendCtx, out)
				cancel()
			}
		}
	}
	outcome := Failed
	werr := s.history.Write(ctx, func(tx *history.Tx) error {
		outcome = Failed
		switch {
		case err == nil:
			outcome = Sent
			if providerID != "" {
				if err := tx.Message.UpdateOneID(e.MessageID).SetProviderMessageID(providerID).Exec(ctx); err != nil {
					return err
				}
			}
			return s.finish(ctx, tx, e, entoutbox.StateDONE, "")
		case errors.Is(err, channel.ErrSyncLost):
			if ch != nil && ch.Connected {
				if err := tx.Channel.UpdateOneID(ch.ID).SetConnected(false).Exec(ctx); err != nil {
					return err
				}
			}
			return s.finish(ctx, tx, e, entoutbox.StateFAILED, channel.ErrSyncLost.Error())
		case channel.IsTemporary(err) && e.Attempts < s.Config.MaxAttempts:
			outcome = Retry
			wait := s.Config.Backoff << (e.Attempts - 1)
			if wait > s.Config.MaxBackoff || wait <= 0 {
				wait = s.Config.MaxBackoff
			}
			return tx.Outbox.UpdateOneID(e.ID).SetState(entoutbox.StatePENDING).ClearLeaseUntil().
				SetNextAttemptAt(s.now().Add(wait)).SetLastError(err.Error()).Exec(ctx)
		default:
			return s.finish(ctx, tx, e, entoutbox.StateFAILED, err.Error())
		}
	})
	if werr == nil {
		s.observe(out.Channel.Kind, outcome)
	}
	return werr
}

// finish closes an entry and moves its message forward (SENT) or to FAILED.
func (s *Service) finish(ctx context.Context, tx *history.Tx, e *ent.Outbox, state entoutbox.State, reason string) error {
	u := tx.Outbox.UpdateOneID(e.ID).SetState(state).ClearLeaseUntil()
	if reason != "" {
		u.SetLastError(reason)
	}
	if err := u.Exec(ctx); err != nil {
		return err
	}
	m, err := tx.Message.Get(ctx, e.MessageID)
	if err != nil {
		return err
	}
	conv, err := tx.Conversation.Get(ctx, m.ConversationID)
	if err != nil {
		return err
	}
	to := message.StatusSENT
	if state == entoutbox.StateFAILED {
		to = message.StatusFAILED
	}
	_, err = tx.Advance(ctx, conv, m.ID, to, reason)
	return err
}

// outbound gathers what a provider needs to send a message, in the seam's
// plain terms, and the channel it goes through.
func (s *Service) outbound(ctx context.Context, msgID pulid.ID) (*ent.Channel, channel.Outbound, error) {
	var out channel.Outbound
	m, err := s.db.Message.Query().Where(message.ID(msgID)).WithAttachments().WithReplyTo().Only(ctx)
	if err != nil {
		return nil, out, err
	}
	conv, err := s.db.Conversation.Get(ctx, m.ConversationID)
	if err != nil {
		return nil, out, err
	}
	if conv.ChannelID == nil || conv.ContactID == nil {
		return nil, out, apperr.Missing("not a session")
	}
	ch, err := s.db.Channel.Get(ctx, *conv.ChannelID)
	if err != nil {
		return nil, out, err
	}
	ct, err := s.db.Contact.Get(ctx, *conv.ContactID)
	if err != nil {
		return nil, out, err
	}
	out = channel.Outbound{
		Channel: channel.Channel{ID: string(ch.ID), Kind: channel.Kind(ch.Kind), Name: ch.Name,
			ExternalID: deref(ch.ExternalID), Credentials: ch.Credentials},
		Contact:   channel.Contact{ExternalID: ct.ExternalID, Phone: deref(ct.Phone)},
		MessageID: string(m.ID), Text: deref(m.Text),
	}
	if m.MessageTag != nil {
		out.Tag = string(*m.MessageTag)
	}
	out.Comment = m.Kind == message.KindCOMMENT
	out.SinceCustomer = -1
	if conv.LastInboundAt != nil {
		out.SinceCustomer = s.now().Sub(*conv.LastInboundAt)
	}
	for _, a := range m.Edges.Attachments {
		out.Attachments = append(out.Attachments, channel.Attachment{ID: string(a.ID), Filename: a.Filename,
			ContentType: a.ContentType, Size: a.Size})
	}
	if r := m.Edges.ReplyTo; r != nil && r.ProviderMessageID != nil {
		out.ReplyToProviderID = *r.ProviderMessageID
	}
	if t := m.Template; t != nil {
		out.Template = &channel.Template{Name: t.Name, Language: t.Language, Parameters: t.Parameters}
	}
	return ch, out, nil
}

// deref is the string p points to, or "".
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
