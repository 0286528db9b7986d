// Package auth knows who is calling: passwords, revocable bearer tokens, and
// the Viewer every request and WebSocket connection carries.
package auth

import (
	"context"

	"parley/ent/schema/pulid"
	"parley/ent/user"
)

// Viewer is the identity behind a request.
type Viewer struct {
	// UserID is set for colleagues.
	UserID pulid.ID
	Role   user.Role
	// TokenID is the database id of the token used, for logout.
	TokenID int
	// Visitor tokens speak for a Live Chat visitor: their session and contact.
	VisitorSessionID pulid.ID
	VisitorContactID pulid.ID
}

// IsVisitor reports whether the viewer is a Live Chat visitor.
func (v *Viewer) IsVisitor() bool { return v != nil && v.VisitorSessionID != "" }

// IsAdmin reports whether the viewer is an admin.
func (v *Viewer) IsAdmin() bool { return v != nil && v.UserID != "" && v.Role == user.RoleADMIN }

// AuthorKey names the viewer as the author of messages and uploads.
func (v *Viewer) AuthorKey() string {
	if v.IsVisitor() {
		return "contact:" + string(v.VisitorContactID)
	}
	return string(v.UserID)
}

type ctxKey int

const (
	viewerKey ctxKey = iota
	badTokenKey
)

// WithViewer returns a context that carries the viewer.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey, v)
}

// FromContext returns the viewer, or nil for an anonymous request.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey).(*Viewer)
	return v
}

// WithBadToken records that a token was presented but refused, so the API
// can say why a field needs authentication.
func WithBadToken(ctx context.Context) context.Context {
	return context.WithValue(ctx, badTokenKey, true)
}

// HadBadToken reports whether the request presented a refused token.
func HadBadToken(ctx context.Context) bool {
	b, _ := ctx.Value(badTokenKey).(bool)
	return b
}
