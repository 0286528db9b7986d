package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"parley/server/apperr"
	"parley/server/auth"
)

// publicFields need no token.
var publicFields = map[string]bool{"login": true, "startLiveChat": true}

// visitorFields are what a Live Chat visitor's token may use; each resolver
// then limits it to the visitor's own session.
var visitorFields = map[string]bool{
	"node": true, "nodes": true, "sendMessage": true, "uploadFile": true,
	"markRead": true, "messageAdded": true, "logout": true, "typing": true, "typingUpdated": true,
}

// Guard is a field middleware that checks the token on every root field:
// everything but login, startLiveChat and introspection needs one, and a
// visitor's token opens only the fields a visitor may use.
func Guard(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !isRoot(fc.Object) || strings.HasPrefix(fc.Field.Name, "__") || publicFields[fc.Field.Name] {
		return next(ctx)
	}
	if err := RequireToken(ctx); err != nil {
		return nil, err
	}
	if auth.FromContext(ctx).IsVisitor() && !visitorFields[fc.Field.Name] {
		return nil, apperr.Forbid("a visitor token can only use its own session")
	}
	return next(ctx)
}

// RequireToken is UNAUTHENTICATED unless the request carries a valid token,
// a user's or a Live Chat visitor's. The upload transport calls it before
// reading a file: every operation that takes one needs a token.
func RequireToken(ctx context.Context) error {
	if auth.FromContext(ctx) != nil {
		return nil
	}
	if auth.HadBadToken(ctx) {
		return apperr.Unauth("the token is not valid; log in again")
	}
	return apperr.Unauth("this needs a token: log in and send Authorization: Bearer <token>")
}

func isRoot(object string) bool {
	return object == "Query" || object == "Mutation" || object == "Subscription"
}

// agentsAid are fields written for colleagues only: a Live Chat visitor
// reads them as null (a transcript is the agents' aid, not the customer's).
var agentsAid = map[string]map[string]bool{"Message": {"transcription": true}}

// HideAgentsAid is a field middleware that applies agentsAid.
func HideAgentsAid(ctx context.Context, next graphql.Resolver) (any, error) {
	if fc := graphql.GetFieldContext(ctx); fc != nil && agentsAid[fc.Object][fc.Field.Name] && auth.FromContext(ctx).IsVisitor() {
		return nil, nil
	}
	return next(ctx)
}
