// Package graph is the GraphQL layer: gqlgen's executor, thin resolvers that
// translate GraphQL to calls on the core and back, the root-field auth guard
// and the error presenter.
package graph

import (
	"log/slog"

	"parley/graph/model"
	"parley/server/auth"
	"parley/server/chat"
	"parley/server/files"
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
	Core      *chat.Service
	// VisitorLimit limits how often one address may start a Live Chat.
	VisitorLimit *ratelimit.Limiter
	Settings     *settings.Service
	// Downloads signs Attachment.url.
	Downloads *files.Signer
}

// Presence answers User.online.
type Presence interface {
	Online(userID string) bool
}
