package chat

import (
	"context"
	"time"

	"parley/ent"
	"parley/ent/event"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/pubsub"
)

// Event is one entry of a user's `events` stream.
type Event struct {
	Cursor string
	// Type is one of API.md's EventType values.
	Type         string
	Conversation *ent.Conversation
	Member       *ent.Member
	Message      *ent.Message
	Call         *ent.Call
	Badges       *Badges
}

func principal(v *auth.Viewer) pubsub.Principal {
	return pubsub.Principal{UserID: v.UserID, IsAdmin: v.IsAdmin(),
		VisitorSessionID: v.VisitorSessionID, VisitorContactID: v.VisitorContactID}
}

// MessageAdded streams the new messages of a conversation the viewer may read.
func (s *Service) MessageAdded(ctx context.Context, v *auth.Viewer, convID pulid.ID) (<-chan *ent.Message, error) {
	if _, _, err := s.Conversation(ctx, v, convID); err != nil {
		return nil, err
	}
	ds, err := s.streams.Open(ctx, principal(v),
		pubsub.Filter{ConversationID: convID, Types: []event.Type{event.TypeMESSAGE_ADDED}}, nil)
	if err != nil {
		return nil, err
	}
	out := make(chan *ent.Message)
	go func() {
		defer close(out)
		for d := range ds {
			if d.Message == nil || (v.IsVisitor() && d.Message.AgentsOnly) {
				continue
			}
			select {
			case out <- d.Message:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// Events streams everything that concerns the viewer, from the cursor since
// (when given), with a BADGES_UPDATED after changes that move the badges.
func (s *Service) Events(ctx context.Context, v *auth.Viewer, since *string) (<-chan Event, error) {
	if err := colleague(v); err != nil {
		return nil, err
	}
	var from *pubsub.Cursor
	if since != nil && *since != "" {
		c, err := pubsub.ParseCursor(*since)
		if err != nil {
			return nil, apperr.BadInput("since is not a cursor this server handed out").With("field", "since")
		}
		from = &c
	}
	ds, err := s.streams.Open(ctx, principal(v), pubsub.Filter{}, from)
	if err != nil {
		return nil, err
	}
	out := make(chan Event)
	go s.pump(ctx, v, ds, out, true)
	return out, nil
}

// BadgesUpdated streams the viewer's badges whenever they may have changed.
func (s *Service) BadgesUpdated(ctx context.Context, v *auth.Viewer) (<-chan Event, error) {
	if err := colleague(v); err != nil {
		return nil, err
	}
	ds, err := s.streams.Open(ctx, principal(v), pubsub.Filter{}, nil)
	if err != nil {
		return nil, err
	}
	out := make(chan Event)
	go s.pump(ctx, v, ds, out, false)
	return out, nil
}

// pump turns deliveries into events (if withEvents) and follows changes
// that move the badges with one BADGES_UPDATED, at most every BadgeInterval.
func (s *Service) pump(ctx context.Context, v *auth.Viewer, ds <-chan *pubsub.Delivery, out chan<- Event, withEvents bool) {
	defer close(out)
	send := func(e Event) bool {
		select {
		case out <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var (
		timer  *time.Timer
		fire   <-chan time.Time
		cursor string
	)
	for {
		select {
		case d, ok := <-ds:
			if !ok {
				return
			}
			cursor = d.Cursor.String()
			if d.Resync {
				if withEvents && !send(Event{Cursor: cursor, Type: "RESYNC_REQUIRED"}) {
					return
				}
				continue
			}
			if withEvents && !send(Event{Cursor: cursor, Type: string(d.Type), Conversation: d.Conversation,
				Member: d.Member, Message: d.Message, Call: d.Call}) {
				return
			}
			if movesBadges(d.Type) && fire == nil {
				timer = time.NewTimer(s.BadgeInterval)
				fire = timer.C
			}
		case <-fire:
			fire = nil
			b, err := s.Badges(ctx, v)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("computing badges", "err", err)
				}
				continue
			}
			if !send(Event{Cursor: cursor, Type: "BADGES_UPDATED", Badges: &b}) {
				return
			}
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		}
	}
}

func movesBadges(t event.Type) bool {
	return t != event.TypeCALL_UPDATED && t != event.TypeMESSAGE_UPDATED
}
