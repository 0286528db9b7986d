package chat

import (
	"context"

	"parley/ent"
	"parley/ent/call"
	"parley/ent/conversation"
	"parley/ent/event"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
)

// StartCall starts an audio or video call in a chat (every member's devices
// ring), or a phone call to a session's customer.
func (s *Service) StartCall(ctx context.Context, v *auth.Viewer, convID pulid.ID, media call.Media) (*ent.Call, error) {
	if err := colleague(v); err != nil {
		return nil, err
	}
	conv, err := s.Conversation(ctx, v, convID)
	if err != nil {
		return nil, err
	}
	if conv.Kind == conversation.KindEXTERNAL {
		if media != call.MediaPHONE {
			return nil, apperr.BadInput("a customer is called by phone").With("field", "media")
		}
		return s.Escalate(ctx, v, convID)
	}
	if media == call.MediaPHONE {
		return nil, apperr.BadInput("colleagues are called with AUDIO or VIDEO").With("field", "media")
	}
	return s.newCall(ctx, v, conv, media, nil, conversationEvent(event.TypeCALL_UPDATED, conv))
}

// Escalate calls a session's customer by phone: the contact's number, or
// the linked customer's.
func (s *Service) Escalate(ctx context.Context, v *auth.Viewer, sessionID pulid.ID) (*ent.Call, error) {
	conv, err := s.agentSession(ctx, v, sessionID)
	if err != nil {
		return nil, err
	}
	number, err := s.dialNumber(ctx, v, conv)
	if err != nil {
		return nil, err
	}
	// The call rings on the agent's own devices, which dial the customer.
	return s.newCall(ctx, v, conv, call.MediaPHONE, &number, userEvent(event.TypeCALL_UPDATED, v.UserID, conv))
}

func (s *Service) dialNumber(ctx context.Context, v *auth.Viewer, conv *ent.Conversation) (string, error) {
	ct, err := s.db.Contact.Get(ctx, *conv.ContactID)
	if err != nil {
		return "", err
	}
	if ct.Phone != nil && *ct.Phone != "" {
		return *ct.Phone, nil
	}
	cust, err := s.SessionCustomer(ctx, v, conv)
	if err != nil {
		return "", err
	}
	if cust != nil && len(cust.Phones) > 0 {
		return cust.Phones[0], nil
	}
	return "", apperr.BadInput("there is no phone number for this customer: link a customer record with one").With("field", "sessionId")
}

func (s *Service) newCall(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, media call.Media, number *string, e ev) (*ent.Call, error) {
	var c *ent.Call
	err := s.write(ctx, func(tx *ent.Tx) error {
		var err error
		c, err = tx.Call.Create().SetID(pulid.MustNew("ca")).SetConversationID(conv.ID).SetMedia(media).
			SetNillableDialNumber(number).SetStartedByID(v.UserID).Save(ctx)
		if err != nil {
			return err
		}
		e.CallID = c.ID
		return emit(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return c.Unwrap(), nil
}

// Call returns a call the viewer may see: one in a conversation they read.
func (s *Service) Call(ctx context.Context, v *auth.Viewer, id pulid.ID) (*ent.Call, error) {
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
	if _, err := s.Conversation(ctx, v, c.ConversationID); err != nil {
		return nil, err
	}
	return c, nil
}
