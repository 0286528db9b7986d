package calls

import (
	"context"
	"encoding/json"
	"slices"

	"parley/ent"
	"parley/ent/call"
	"parley/ent/calldevice"
	"parley/ent/member"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history/events"
	"parley/server/pubsub"
)

// Signalling's bounds (README "Calls"): an SDP description is a few KB;
// a mesh of more than MaxMesh peers sends each device's media MaxMesh-1
// times, which a browser's uplink does not carry.
const (
	MaxPayload  = 16 << 10
	MaxDeviceID = 64
	MaxMesh     = 8
)

// SignalKinds are the kinds of WebRTC signals.
var SignalKinds = []string{"OFFER", "ANSWER", "ICE_CANDIDATE", "HANGUP"}

// Signal is what SendSignal is asked to say.
type Signal struct {
	CallID           pulid.ID
	Device, ToDevice string
	Kind, Payload    string
}

// SendSignal passes a WebRTC signal from one of the viewer's devices to the
// other participants' devices (or one of them), numbered per call and
// sending device. It stores nothing beyond the call.
func (s *Service) SendSignal(ctx context.Context, v *auth.Viewer, in Signal) (_ *pubsub.CallSignal, _ *ent.Call, err error) {
	defer apperr.At("calls.SendSignal", &err)
	if err := validDevice("deviceId", in.Device, false); err != nil {
		return nil, nil, err
	}
	if err := validDevice("toDevice", in.ToDevice, true); err != nil {
		return nil, nil, err
	}
	if !slices.Contains(SignalKinds, in.Kind) {
		return nil, nil, apperr.BadInput("kind is OFFER, ANSWER, ICE_CANDIDATE or HANGUP").With("field", "kind")
	}
	if len(in.Payload) > MaxPayload {
		return nil, nil, apperr.Limit("callSignalPayload", MaxPayload, "a signal's payload is at most %d bytes", MaxPayload)
	}
	if !json.Valid([]byte(in.Payload)) {
		return nil, nil, apperr.BadInput("payload is JSON text").With("field", "payload")
	}
	c, others, err := s.Signalling(ctx, v, in.CallID, in.Device)
	if err != nil {
		return nil, nil, err
	}
	key := string(c.ID) + "|" + in.Device
	if !s.signals.Allow(key) {
		wait := s.signals.RetryAfter(key)
		return nil, nil, apperr.New(apperr.RateLimited, "too many signals; try again in %d seconds", wait).With("retryAfter", wait)
	}
	seq, err := s.nextSeq(ctx, c.ID, in.Device)
	if err != nil {
		return nil, nil, err
	}
	sig := &pubsub.CallSignal{CallID: c.ID, FromDevice: in.Device, ToDevice: in.ToDevice, Kind: in.Kind,
		Payload: in.Payload, Seq: seq, Audience: others}
	if s.Relay != nil {
		s.Relay.Say(ctx, pubsub.Signal{Type: events.CallSignal, ConversationID: c.ConversationID, UserID: v.UserID, Call: sig})
	}
	return sig, c, nil
}

// Signalling checks that the viewer's device may signal in the call now, and
// returns the call and whose devices its signals reach: a PHONE call's
// agent's own, else the other members of the chat. A user whose device
// answered (or started) the call signals from that device only.
func (s *Service) Signalling(ctx context.Context, v *auth.Viewer, callID pulid.ID, device string) (*ent.Call, []pulid.ID, error) {
	if err := validDevice("deviceId", device, false); err != nil {
		return nil, nil, err
	}
	c, err := s.Call(ctx, v, callID)
	if err != nil {
		return nil, nil, err
	}
	if err := phoneCallOwner(c, v); err != nil {
		return nil, nil, err
	}
	if c.State != call.StateRINGING && c.State != call.StateACTIVE {
		return nil, nil, callConflict(c)
	}
	var bound []string
	if c.StartedDevice != nil && c.StartedByID == v.UserID {
		bound = append(bound, *c.StartedDevice)
	}
	if c.AnsweredDevice != nil && c.AnsweredByID != nil && *c.AnsweredByID == v.UserID {
		bound = append(bound, *c.AnsweredDevice)
	}
	if len(bound) > 0 && !slices.Contains(bound, device) {
		return nil, nil, apperr.Forbid("this call is on another of your devices")
	}
	if c.Media == call.MediaPHONE {
		return c, []pulid.ID{v.UserID}, nil
	}
	members, err := s.db.Member.Query().Where(member.ConversationID(c.ConversationID)).Limit(MaxMesh + 1).
		Select(member.FieldUserID).All(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(members) > MaxMesh {
		return nil, nil, apperr.Limit("callMesh", MaxMesh, "calls connect groups of at most %d members", MaxMesh)
	}
	var others []pulid.ID
	in := false
	for _, m := range members {
		if m.UserID == v.UserID {
			in = true
		} else {
			others = append(others, m.UserID)
		}
	}
	if !in {
		return nil, nil, apperr.Forbid("you are not in this call")
	}
	return c, others, nil
}

// nextSeq hands out the next number of the device's signals in the call:
// the row is locked from the upsert to the commit, so numbers never repeat.
func (s *Service) nextSeq(ctx context.Context, callID pulid.ID, device string) (seq int64, err error) {
	tx, err := s.db.Tx(ctx)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = tx.CallDevice.Create().SetCallID(callID).SetDevice(device).SetSeq(1).
		OnConflictColumns(calldevice.FieldCallID, calldevice.FieldDevice).AddSeq(1).Exec(ctx); err != nil {
		return 0, err
	}
	row, err := tx.CallDevice.Query().Where(calldevice.CallID(callID), calldevice.Device(device)).Only(ctx)
	if err != nil {
		return 0, err
	}
	return row.Seq, tx.Commit()
}

// IceServers are the ICE servers of a call for the viewer: for its
// participants only, none for anyone else.
func (s *Service) IceServers(ctx context.Context, v *auth.Viewer, c *ent.Call) ([]IceServer, error) {
	if v == nil || v.IsVisitor() || v.UserID == "" {
		return []IceServer{}, nil
	}
	if c.Media == call.MediaPHONE {
		if c.StartedByID != v.UserID {
			return []IceServer{}, nil
		}
		return s.ICE.servers(v.UserID, s.now()), nil
	}
	in, err := s.db.Member.Query().Where(member.ConversationID(c.ConversationID), member.UserID(v.UserID)).Exist(ctx)
	if err != nil || !in {
		return []IceServer{}, err
	}
	return s.ICE.servers(v.UserID, s.now()), nil
}

// validDevice checks a client-named device id: 1 to 64 printable ASCII
// characters without spaces (empty allowed where optional).
func validDevice(field, id string, optional bool) error {
	if id == "" && optional {
		return nil
	}
	if id == "" || len(id) > MaxDeviceID {
		return apperr.BadInput("%s is 1 to %d characters", field, MaxDeviceID).With("field", field)
	}
	for _, r := range id {
		if r <= ' ' || r > '~' {
			return apperr.BadInput("%s is printable ASCII without spaces", field).With("field", field)
		}
	}
	return nil
}
