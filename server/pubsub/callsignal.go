package pubsub

import (
	"context"
	"encoding/json"
	"time"

	"parley/ent"
	"parley/ent/keptsignal"
	"parley/ent/schema/pulid"
	"parley/server/history/events"
)

// CallSignal is a CALL_SIGNAL's content: one WebRTC message from a device
// of a call's participant to the others' devices (ToDevice empty) or one.
type CallSignal struct {
	CallID     pulid.ID `json:"c"`
	FromDevice string   `json:"f"`
	ToDevice   string   `json:"d,omitempty"`
	Kind       string   `json:"k"`
	Payload    string   `json:"p"`
	Seq        int64    `json:"s"`
	// Audience are the users whose devices receive it (the calls service
	// decided: the other participants).
	Audience []pulid.ID `json:"a"`
}

// maxNotify bounds a NOTIFY's payload: PostgreSQL refuses 8000 bytes.
const maxNotify = 7900

// keptFor is how long a signal too large for a NOTIFY stays in kept_signals.
const keptFor = time.Minute

// notifyPayload is what a NOTIFY says of s: s itself, or when too large
// (a call signal's SDP) the id of a kept_signals row holding it.
func (r *Relay) notifyPayload(ctx context.Context, s Signal) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil || len(b) <= maxNotify || s.Call == nil {
		return b, err
	}
	now := time.Now()
	if _, err := r.db.KeptSignal.Delete().Where(keptsignal.CreatedAtLT(now.Add(-keptFor))).Exec(ctx); err != nil {
		return nil, err
	}
	row, err := r.db.KeptSignal.Create().SetCallID(s.Call.CallID).SetBody(string(b)).SetCreatedAt(now).Save(ctx)
	if err != nil {
		return nil, err
	}
	return json.Marshal(Signal{Type: s.Type, Ref: row.ID, From: s.From})
}

// keptSignal reads a signal another instance kept in kept_signals.
func (r *Relay) keptSignal(ctx context.Context, id int64) (Signal, bool) {
	var s Signal
	row, err := r.db.KeptSignal.Get(ctx, id)
	if ent.IsNotFound(err) {
		return s, false // its call ended meanwhile
	}
	if err != nil {
		r.logSignalErr(ctx, err)
		return s, false
	}
	if json.Unmarshal([]byte(row.Body), &s) != nil || s.Call == nil {
		return s, false
	}
	return s, true
}

// publishCallSignal delivers a call signal to its audience's subscribers here.
func (r *Relay) publishCallSignal(ctx context.Context, s Signal) {
	var listening []string
	for _, u := range s.Call.Audience {
		if r.hub.Listening(string(u)) {
			listening = append(listening, string(u))
		}
	}
	if len(listening) == 0 {
		return
	}
	c, err := r.db.Call.Get(ctx, s.Call.CallID)
	if err != nil {
		r.logSignalErr(ctx, err)
		return
	}
	who, err := r.db.User.Get(ctx, s.UserID)
	if err != nil {
		r.logSignalErr(ctx, err)
		return
	}
	for _, k := range listening {
		r.hub.Publish(k, &Delivery{Type: events.CallSignal, Ephemeral: true, ConversationID: c.ConversationID,
			Call: c, User: who, CallSignal: s.Call})
	}
}
