package pubsub

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/history/events"
)

// Signal is an ephemeral event (TYPING, PRESENCE_UPDATED): said to whoever
// listens at that moment, on every instance, and never written to the log.
// A stream passes it on with its last cursor, so it neither advances nor
// breaks resuming, and events(since:) never replays it.
type Signal struct {
	Type events.Type `json:"t"`
	// ConversationID: a conversation's signal (TYPING) goes to those who see
	// the conversation, as a message in it would; ChannelID is the
	// session's channel.
	ConversationID pulid.ID `json:"c,omitempty"`
	ChannelID      pulid.ID `json:"h,omitempty"`
	// UserID is who it is about: the user typing, or whose presence changed
	// (a user's signal goes to those who share a conversation with them).
	UserID pulid.ID `json:"u,omitempty"`
	// ContactID is the Live Chat visitor typing, when it is not a user.
	ContactID pulid.ID  `json:"v,omitempty"`
	ExpiresAt time.Time `json:"x,omitzero"`
	// Call is a CALL_SIGNAL's content and audience.
	Call *CallSignal `json:"k,omitempty"`
	// Ref names the kept_signals row holding a signal too large for a NOTIFY.
	Ref int64 `json:"r,omitempty"`
	// From names the instance that said it: its own NOTIFY comes back to it.
	From string `json:"i,omitempty"`
}

// MaxSignalAudience bounds who one user's signal reaches.
const MaxSignalAudience = 5000

// signalChannel is the PostgreSQL channel signals travel between instances
// on; the payload is the Signal itself (small: ids only).
const signalChannel = "parley_signals"

// Say publishes a signal to this instance's subscribers and, on PostgreSQL,
// to the other instances'. Best effort: nothing retries a lost one.
func (r *Relay) Say(ctx context.Context, s Signal) {
	s.From = r.instance
	if r.db.IsPostgres() {
		if b, err := r.notifyPayload(ctx, s); err != nil {
			r.logf.Warn("keeping a call signal for other instances", "err", err)
		} else if _, err := r.db.SQL.ExecContext(ctx, "SELECT pg_notify($1, $2)", signalChannel, string(b)); err != nil && ctx.Err() == nil {
			r.logf.Warn("telling other instances of a signal", "err", err)
		}
	}
	r.publishSignal(ctx, s)
}

// heard publishes a signal another instance said (a NOTIFY's payload).
func (r *Relay) heard(ctx context.Context, payload string) {
	var s Signal
	if len(payload) > maxNotify || json.Unmarshal([]byte(payload), &s) != nil || s.Type == "" || s.From == r.instance {
		return
	}
	if s.Ref != 0 {
		var ok bool
		if s, ok = r.keptSignal(ctx, s.Ref); !ok {
			return
		}
	}
	r.publishSignal(ctx, s)
}

// publishSignal delivers a signal to the subscribers here allowed to see
// it, never to whoever it comes from.
func (r *Relay) publishSignal(ctx context.Context, s Signal) {
	if r.OnSignal != nil {
		r.OnSignal(s)
	}
	if r.hub.Subscribers() == 0 {
		return
	}
	if s.Call != nil {
		r.publishCallSignal(ctx, s)
		return
	}
	if !r.hub.Takes(s.Type) {
		return // no audience here: not worth looking for
	}
	var (
		keys []string
		b    = &batch{members: map[pulid.ID][]pulid.ID{}}
		e    = entry{Entry: Entry{Type: events.MessageAdded, ConversationID: s.ConversationID, ChannelID: s.ChannelID}}
		err  error
	)
	if s.ConversationID != "" {
		if b, err = load(ctx, r.db.Client, []entry{e}, true); err != nil {
			r.logSignalErr(ctx, err)
			return
		}
		keys = b.audience(e)
	} else if s.UserID != "" {
		if keys, err = r.sharers(ctx, s.UserID); err != nil {
			r.logSignalErr(ctx, err)
			return
		}
	}
	from := string(s.UserID)
	if s.ContactID != "" {
		from = VisitorKey(s.ContactID)
	}
	var who *ent.User
	probe := &Delivery{Type: s.Type, ConversationID: e.ConversationID}
	for _, k := range keys {
		if k == from || !r.hub.Wants(k, probe) {
			continue
		}
		if who == nil && s.UserID != "" {
			if who, err = r.db.User.Get(ctx, s.UserID); err != nil {
				r.logSignalErr(ctx, err)
				return
			}
		}
		d := b.delivery(e, k)
		d.Type, d.Ephemeral, d.User, d.ExpiresAt = s.Type, true, who, s.ExpiresAt
		r.hub.Publish(k, d)
	}
}

// sharers are the users who share a conversation with the user.
func (r *Relay) sharers(ctx context.Context, userID pulid.ID) ([]string, error) {
	q := r.db.Rebind(`SELECT DISTINCT m2.user_id FROM members m1 JOIN members m2 ON m2.conversation_id = m1.conversation_id
		WHERE m1.user_id = $1 AND m2.user_id <> $1 LIMIT ` + strconv.Itoa(MaxSignalAudience))
	rows, err := r.db.SQL.QueryContext(ctx, q, string(userID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (r *Relay) logSignalErr(ctx context.Context, err error) {
	if ctx.Err() == nil {
		r.logf.Warn("delivering a signal", "err", err)
	}
}
