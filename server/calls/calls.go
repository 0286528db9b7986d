// Package calls is audio and video calls between colleagues, and phone
// calls an agent makes to a session's customer.
package calls

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"parley/ent"
	"parley/ent/call"
	"parley/ent/calldevice"
	"parley/ent/conversation"
	"parley/ent/customer"
	"parley/ent/customerlink"
	"parley/ent/keptsignal"
	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
	"parley/server/history/events"
	"parley/server/pubsub"
	"parley/server/ratelimit"
)

// forget deletes what signalling kept of a call that is over.
func forget(ctx context.Context, tx *history.Tx, callID pulid.ID) error {
	if _, err := tx.CallDevice.Delete().Where(calldevice.CallID(callID)).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.KeptSignal.Delete().Where(keptsignal.CallID(callID)).Exec(ctx)
	return err
}

// callNote is the SYSTEM message of a call that did not connect: "Missed
// video call from Ann", "Bob declined the audio call".
func (s *Service) callNote(ctx context.Context, c *ent.Call, who pulid.ID, what string) string {
	name := "Someone"
	if u, err := s.db.User.Get(ctx, who); err == nil {
		name = u.Name
	}
	media := strings.ToLower(string(c.Media))
	if what == "missed" {
		return fmt.Sprintf("Missed %s call from %s", media, name)
	}
	return fmt.Sprintf("%s declined the %s call", name, media)
}

// Service is the calls.
type Service struct {
	db      *ent.Client
	access  *access.Service
	history *history.Writer
	now     func() time.Time
	signals *ratelimit.Limiter
	// Relay carries signals to the participants' devices (nil: nowhere).
	Relay *pubsub.Relay
	// ICE is what Call.iceServers hands participants.
	ICE ICE
}

// Signals a device may send in a call: a burst (an offer's ICE candidates),
// then signalEvery.
const (
	signalBurst = 100
	signalEvery = 100 * time.Millisecond
)

// New returns the calls.
func New(client *ent.Client, acc *access.Service, hist *history.Writer, now func() time.Time) *Service {
	return &Service{db: client, access: acc, history: hist, now: now,
		signals: ratelimit.New(signalBurst, signalEvery).SetClock(now)}
}

// StartCall starts an audio or video call in a chat (every member's devices
// ring), or a phone call to a session's customer.
// device, if not empty, is the caller's: the call's signals come from it.
func (s *Service) StartCall(ctx context.Context, v *auth.Viewer, convID pulid.ID, media call.Media, device string) (_ *ent.Call, err error) {
	defer apperr.At("calls.StartCall", &err)
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	if err := validDevice("deviceId", device, true); err != nil {
		return nil, err
	}
	conv, err := s.access.Conversation(ctx, v, convID)
	if err != nil {
		return nil, err
	}
	if conv.Kind == conversation.KindEXTERNAL {
		if media != call.MediaPHONE {
			return nil, apperr.BadInput("a customer is called by phone").With("field", "media")
		}
		return s.escalate(ctx, v, convID, device)
	}
	if media == call.MediaPHONE {
		return nil, apperr.BadInput("colleagues are called with AUDIO or VIDEO").With("field", "media")
	}
	return s.newCall(ctx, v, conv, media, nil, device, history.ConversationEvent(events.CallUpdated, conv))
}

// Escalate calls a session's customer by phone: the contact's number, or
// the linked customer's.
func (s *Service) Escalate(ctx context.Context, v *auth.Viewer, sessionID pulid.ID) (_ *ent.Call, err error) {
	defer apperr.At("calls.Escalate", &err)
	return s.escalate(ctx, v, sessionID, "")
}

func (s *Service) escalate(ctx context.Context, v *auth.Viewer, sessionID pulid.ID, device string) (*ent.Call, error) {
	conv, err := s.access.AgentSession(ctx, v, sessionID)
	if err != nil {
		return nil, err
	}
	number, err := s.dialNumber(ctx, conv)
	if err != nil {
		return nil, err
	}
	// The call rings on the agent's own devices, which dial the customer.
	return s.newCall(ctx, v, conv, call.MediaPHONE, &number, device, history.UserEvent(events.CallUpdated, v.UserID, conv))
}

func (s *Service) dialNumber(ctx context.Context, conv *ent.Conversation) (string, error) {
	ct, err := s.db.Contact.Get(ctx, *conv.ContactID)
	if err != nil {
		return "", err
	}
	if ct.Phone != nil && *ct.Phone != "" {
		return *ct.Phone, nil
	}
	cust, err := s.db.Customer.Query().Where(customer.HasLinksWith(customerlink.ContactID(ct.ID))).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return "", err
	}
	if cust != nil && len(cust.Phones) > 0 {
		return cust.Phones[0], nil
	}
	return "", apperr.BadInput("there is no phone number for this customer: link a customer record with one").With("field", "sessionId")
}

func (s *Service) newCall(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, media call.Media, number *string, device string, e history.Event) (*ent.Call, error) {
	var c *ent.Call
	err := s.history.Write(ctx, func(tx *history.Tx) error {
		var err error
		create := tx.Call.Create().SetID(pulid.MustNew("ca")).SetConversationID(conv.ID).SetMedia(media).
			SetNillableDialNumber(number).SetStartedByID(v.UserID)
		if device != "" {
			create.SetStartedDevice(device)
		}
		c, err = create.Save(ctx)
		if err != nil {
			return err
		}
		e.CallID = c.ID
		tx.Emit(e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c.Unwrap(), nil
}

// Call returns a call the viewer may see: one in a conversation they read.
func (s *Service) Call(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Call, err error) {
	defer apperr.At("calls.Call", &err)
	c, err := s.db.Call.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such call")
	}
	if err != nil {
		return nil, err
	}
	if v.IsVisitor() {
		return nil, apperr.Missing("no such call")
	}
	if _, err := s.access.Conversation(ctx, v, c.ConversationID); err != nil {
		return nil, err
	}
	return c, nil
}

// Answer picks up a RINGING call from another device or member: ACTIVE.
// Colleagues do not answer their own AUDIO or VIDEO calls; a PHONE call
// rings on the agent's own devices, one of which answers it. The answering
// device (if named) becomes the call's: the CALL_UPDATED every device gets
// names it, and the user's others stop ringing.
func (s *Service) Answer(ctx context.Context, v *auth.Viewer, id pulid.ID, device string) (_ *ent.Call, err error) {
	defer apperr.At("calls.Answer", &err)
	if err := validDevice("deviceId", device, true); err != nil {
		return nil, err
	}
	c, conv, err := s.callee(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return s.moveCall(ctx, c, conv, call.StateRINGING, call.StateACTIVE, func(u *ent.CallUpdate) {
		u.SetAnsweredAt(s.now()).SetAnsweredByID(v.UserID)
		if device != "" {
			u.SetAnsweredDevice(device)
		}
	}, "")
}

// Decline turns down a RINGING call. In a direct chat or on a phone call
// that ends it (DECLINED); in a group the others' devices go on ringing,
// so the call is returned as it is and only the caller's devices stop.
func (s *Service) Decline(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Call, err error) {
	defer apperr.At("calls.Decline", &err)
	c, conv, err := s.callee(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if conv.Kind == conversation.KindGROUP {
		if c.State != call.StateRINGING {
			return nil, callConflict(c)
		}
		return c, nil
	}
	return s.moveCall(ctx, c, conv, call.StateRINGING, call.StateDECLINED, nil, s.callNote(ctx, c, v.UserID, "declined"))
}

// End hangs up: an ACTIVE call is ENDED; a RINGING one nobody answered is
// MISSED. Anyone in the call's conversation may end it, but a PHONE call
// only its agent.
func (s *Service) End(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Call, err error) {
	defer apperr.At("calls.End", &err)
	c, err := s.Call(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if err := phoneCallOwner(c, v); err != nil {
		return nil, err
	}
	conv, err := s.db.Conversation.Get(ctx, c.ConversationID)
	if err != nil {
		return nil, err
	}
	if c.State == call.StateRINGING {
		return s.moveCall(ctx, c, conv, call.StateRINGING, call.StateMISSED, nil, s.callNote(ctx, c, c.StartedByID, "missed"))
	}
	return s.moveCall(ctx, c, conv, call.StateACTIVE, call.StateENDED, nil, "")
}

// phoneCallOwner refuses anyone but its agent a PHONE call: it rings on the
// escalating agent's devices only, so only they answer, decline or end it.
func phoneCallOwner(c *ent.Call, v *auth.Viewer) error {
	if c.Media == call.MediaPHONE && c.StartedByID != v.UserID {
		return apperr.Forbid("this phone call belongs to the agent who started it")
	}
	return nil
}

// callee loads a call the viewer may pick up or turn down.
func (s *Service) callee(ctx context.Context, v *auth.Viewer, id pulid.ID) (*ent.Call, *ent.Conversation, error) {
	c, err := s.Call(ctx, v, id)
	if err != nil {
		return nil, nil, err
	}
	if err := phoneCallOwner(c, v); err != nil {
		return nil, nil, err
	}
	if c.Media != call.MediaPHONE && c.StartedByID == v.UserID {
		return nil, nil, apperr.Forbid("you started this call: end it instead")
	}
	conv, err := s.db.Conversation.Get(ctx, c.ConversationID)
	return c, conv, err
}

// moveCall changes a call's state if it is still in state from (and set
// what else changes), tells the devices that rang: a chat's members, or
// for a phone call the agent; and writes note, if any, as a SYSTEM message
// in the chat. A call that is over forgets its devices and signals.
func (s *Service) moveCall(ctx context.Context, c *ent.Call, conv *ent.Conversation, from, to call.State, set func(*ent.CallUpdate), note string) (*ent.Call, error) {
	e := history.ConversationEvent(events.CallUpdated, conv)
	if c.Media == call.MediaPHONE {
		e = history.UserEvent(events.CallUpdated, c.StartedByID, conv)
	}
	e.CallID = c.ID
	err := s.history.Write(ctx, func(tx *history.Tx) error {
		upd := tx.Call.Update().Where(call.ID(c.ID), call.StateEQ(from)).SetState(to)
		if set != nil {
			set(upd)
		}
		if to != call.StateACTIVE {
			upd.SetEndedAt(s.now())
		}
		n, err := upd.Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errCallMoved
		}
		tx.Emit(e)
		if to != call.StateACTIVE {
			if err := forget(ctx, tx, c.ID); err != nil {
				return err
			}
		}
		if note != "" {
			// A session's note is for agents: the customer never sees it.
			_, err = tx.System(ctx, conv, note, conv.Kind == conversation.KindEXTERNAL)
		}
		return err
	})
	if errors.Is(err, errCallMoved) {
		if cur, gerr := s.db.Call.Get(ctx, c.ID); gerr == nil {
			c = cur
		}
		return nil, callConflict(c)
	}
	if err != nil {
		return nil, err
	}
	return s.db.Call.Get(ctx, c.ID)
}

var errCallMoved = apperr.New(apperr.Conflict, "the call changed meanwhile")

func callConflict(c *ent.Call) error {
	return apperr.New(apperr.Conflict, "the call is %s", c.State).With("state", string(c.State))
}
