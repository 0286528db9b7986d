package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"parley/server/auth"
)

// sharedFields read the same for everyone an event reaches who is of the
// same kind and role (a visitor, or a colleague's role): their values come
// from the event itself, never from who reads it. A subscription selecting
// only these executes once per event for all such readers (server/fanout);
// selecting any other field makes it run for each reader. Adding a field
// here is a promise that its resolver, and every middleware on it, reads
// nothing of the reader but its kind and role: counters, mute and pin, read
// marks, reactedByMe, settings and the conversation's content are not.
var sharedFields = map[string]map[string]bool{
	"Subscription": {"messageAdded": true, "events": true},
	// Of an event, what a message's event carries (model.Event.FanoutKey).
	"Event": {"cursor": true, "type": true, "message": true, "conversation": true},
	"Message": {"id": true, "sender": true, "direction": true, "kind": true, "text": true,
		"attachments": true, "mentions": true, "status": true, "failureReason": true, "readAt": true,
		"clientMessageId": true, "messageTag": true, "createdAt": true, "providerKind": true,
		"editedAt": true, "deletedAt": true, "deletedAfterDelivery": true, "conversation": true},
	// Only a conversation's identity: SealLost decides the rest per reader.
	"Conversation": {"id": true},
	"Chat":         {"id": true},
	"Session":      {"id": true},
	"User": {"id": true, "name": true, "email": true, "extension": true, "role": true,
		"online": true, "active": true, "avatarUrl": true},
	"Attachment": {"id": true, "filename": true, "contentType": true, "size": true, "url": true,
		"urlExpiresAt": true, "expiresAt": true, "width": true, "height": true, "durationSeconds": true},
}

// SharedAudience is fanout's Classify for this schema: a subscription that
// selects only sharedFields is shared among readers of the same kind and role.
func SharedAudience(ctx context.Context, oc *graphql.OperationContext) (string, bool) {
	v := auth.FromContext(ctx)
	if v == nil || oc.Operation == nil || !onlyShared(oc.Operation.SelectionSet) {
		return "", false
	}
	if v.IsVisitor() {
		return "visitor", true
	}
	return "role:" + string(v.Role), true
}

// onlyShared reports whether a selection, fragments included, reads only
// sharedFields. Validation has already refused fragment cycles, and
// DocumentLimits bounds the depth.
func onlyShared(set ast.SelectionSet) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				continue
			}
			if s.ObjectDefinition == nil || !sharedFields[s.ObjectDefinition.Name][s.Name] || !onlyShared(s.SelectionSet) {
				return false
			}
		case *ast.InlineFragment:
			if !onlyShared(s.SelectionSet) {
				return false
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || !onlyShared(s.Definition.SelectionSet) {
				return false
			}
		default:
			return false
		}
	}
	return true
}
