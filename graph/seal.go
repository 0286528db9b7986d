package graph

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"

	"parley/ent"
	"parley/ent/message"
	"parley/graph/model"
	"parley/server/apperr"
)

// A conversation reaches a reader through an event, a message or a call
// that was theirs when it happened: a member removed since, an agent taken
// off the channel, an assignee forwarded away. For such a reader only its
// identity resolves (so a client can drop it from its list); everything that
// reads its content now — history, members, customer, counters — reads as
// empty. A field not named here is refused: new fields are sealed until
// someone decides otherwise.
var (
	// identityFields resolve for anyone an event about the conversation reached.
	identityFields = map[string]bool{"__typename": true, "id": true, "kind": true, "title": true,
		"channel": true, "contact": true, "status": true, "replyState": true}
	// sealedValues are what the other fields read as.
	sealedValues = map[string]func() any{
		"messages": func() any {
			return &ent.MessageConnection{Edges: []*ent.MessageEdge{}, PageInfo: ent.PageInfo{}}
		},
		"members":      func() any { return []*ent.User{} },
		"unreadCount":  func() any { return 0 },
		"mentionCount": func() any { return 0 },
		"muted":        func() any { return false },
		"pinned":       func() any { return false },
		"archived":     func() any { return false },
		"badge":        func() any { return model.BadgeDisplayNone },
		"replyPolicy": func() any {
			return &model.ReplyPolicy{CanReply: false, Reason: ptr("you no longer have access to this conversation"),
				AllowedTags: []message.MessageTag{}}
		},
		"lastMessage": nil, "lastMessageAt": nil, "admin": nil, "assignee": nil, "customer": nil,
		"archivedAt": nil, "archivedBy": nil, "lastInboundAt": nil,
	}
)

// SealLost is a field middleware that applies the rule above to every field
// of a Chat or Session, asking access once per conversation whether the
// caller may read it now.
func (r *Resolver) SealLost(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || (fc.Object != "Chat" && fc.Object != "Session") || identityFields[fc.Field.Name] {
		return next(ctx)
	}
	if r.readableNow(ctx, fc) {
		return next(ctx)
	}
	value, ok := sealedValues[fc.Field.Name]
	switch {
	case !ok:
		return nil, apperr.Forbid("you no longer have access to this conversation")
	case value == nil:
		return nil, nil
	}
	return value(), nil
}

// readableNow reports whether the caller may read the conversation whose
// field fc is.
func (r *Resolver) readableNow(ctx context.Context, fc *graphql.FieldContext) bool {
	switch w := parentObject(fc).(type) {
	case *model.Chat:
		return w.Readable(func() bool { return r.own(ctx, &w.Viewer, w.ID) != nil })
	case *model.Session:
		return w.Readable(func() bool {
			_, err := r.Access.Conversation(ctx, viewer(ctx), w.ID)
			if err != nil && apperr.CodeOf(err) == apperr.Internal {
				r.Log.Error("graph.SealLost: checking access to a session", "err", err)
			}
			return err == nil
		})
	}
	return false // a shape this middleware does not know: refuse rather than leak
}

// parentObject is the object whose field fc resolves: gqlgen keeps it as the
// parent field's result, a pointer to it inside lists, or an interface.
func parentObject(fc *graphql.FieldContext) any {
	if fc.Parent == nil || fc.Parent.Result == nil {
		return nil
	}
	v := reflect.ValueOf(fc.Parent.Result)
	for range 3 {
		switch o := v.Interface().(type) {
		case *model.Chat, *model.Session:
			return o
		}
		if (v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface) || v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	return nil
}
