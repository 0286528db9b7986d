// Package graph is the GraphQL layer: gqlgen's executor, thin resolvers that
// translate GraphQL to calls on the services (one field each) and back, the root-field auth guard
// and the error presenter.
package graph

import (
	"context"
	"log/slog"
	"time"

	"parley/ent/schema/pulid"
	"parley/graph/model"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/calls"
	"parley/server/chat"
	"parley/server/feed"
	"parley/server/files"
	"parley/server/inbox"
	"parley/server/ratelimit"
	"parley/server/settings"
	"parley/server/users"
)

// Resolver is the root of all resolvers: the services they call.
type Resolver struct {
	Log       *slog.Logger
	OrgPlan   model.Plan
	Auth      *auth.Service
	Directory *users.Service
	Presence  Presence
	// ChatService is work between colleagues (gqlgen takes Chat and Chats).
	ChatService *chat.Service
	// Inbox is work with customers: sessions, channels, customers.
	Inbox *inbox.Service
	// Access decides who may see what: node(id:) and nested fields ask it.
	Access *access.Service
	// Feed is the caller's live feed: events, badges, messageAdded.
	Feed *feed.Service
	// Calls are calls between colleagues and to customers.
	Calls *calls.Service
	// VisitorLimit limits how often one address may start a Live Chat.
	VisitorLimit *ratelimit.Limiter
	// VisitorWrites limits how fast one Live Chat visitor (per session)
	// sends messages and uploads files: VisitorWriteBurst at once, then
	// one per VisitorWriteInterval. Colleagues are not limited.
	VisitorWrites *ratelimit.Limiter
	Settings      *settings.Service
	// Downloads signs Attachment.url.
	Downloads *files.Signer
	// Avatars signs User.avatarUrl.
	Avatars *files.Signer
}

// A Live Chat visitor may write this fast (README "Live Chat widget"):
// quicker than anyone types, slower than a script.
const (
	VisitorWriteBurst    = 20
	VisitorWriteInterval = time.Second
)

// limitVisitor is RATE_LIMITED when a Live Chat visitor writes faster than
// VisitorWrites allows.
func (r *Resolver) limitVisitor(ctx context.Context) error {
	v := viewer(ctx)
	if !v.IsVisitor() || r.VisitorWrites == nil {
		return nil
	}
	key := string(v.VisitorSessionID)
	if r.VisitorWrites.Allow(key) {
		return nil
	}
	wait := r.VisitorWrites.RetryAfter(key)
	return apperr.New(apperr.RateLimited, "sending too fast; try again in %d seconds", wait).With("retryAfter", wait)
}

// Presence answers User.online and says who is typing (server/presence).
type Presence interface {
	Online(ctx context.Context, userID string) bool
	Typing(ctx context.Context, v *auth.Viewer, conversationID pulid.ID) error
}
