package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"parley/ent"
	"parley/graph/model"
	"parley/server/settings"
)

type responseTimeKey struct{}

// ResponseTime reads the clock once per response (each event of a
// subscription is one) for the URLs it signs, so that an attachment's
// url and urlExpiresAt, resolved apart, agree.
func ResponseTime(now func() time.Time) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(context.WithValue(ctx, responseTimeKey{}, now()))
	}
}

// download is an attachment's signed download URL and when it stops
// working: the URL's expiry, or the file's if sooner. Both are nil once the
// file has expired.
func (r *Resolver) download(ctx context.Context, a *ent.Attachment) (*string, *time.Time) {
	if r.ChatService.FileExpired(a) || r.Downloads == nil {
		return nil, nil
	}
	now, ok := ctx.Value(responseTimeKey{}).(time.Time)
	if !ok {
		now = r.Downloads.Now()
	}
	u, exp := r.Downloads.Sign(string(a.ID), now)
	if a.ExpiresAt != nil && a.ExpiresAt.Before(exp) {
		exp = *a.ExpiresAt
	}
	return &u, &exp
}

// avatarURL is a user's signed avatar link, for colleagues (a visitor
// sees none). v names the image, so a new one is a new URL.
func (r *Resolver) avatarURL(ctx context.Context, u *ent.User) *string {
	if u.AvatarKey == nil || r.Avatars == nil || viewer(ctx).IsVisitor() {
		return nil
	}
	now, ok := ctx.Value(responseTimeKey{}).(time.Time)
	if !ok {
		now = r.Avatars.Now()
	}
	link, _ := r.Avatars.Sign(string(u.ID), now)
	sum := sha256.Sum256([]byte(*u.AvatarKey))
	link += "&v=" + hex.EncodeToString(sum[:6])
	return &link
}

// organizationSettings answers both the query and the mutation.
func (r *Resolver) organizationSettings(o settings.Organization, err error) (*model.OrganizationSettings, error) {
	if err != nil {
		return nil, err
	}
	return &model.OrganizationSettings{Plan: r.OrgPlan, InternalHistoryDays: o.InternalHistoryDays, OverdueAfterMinutes: o.OverdueAfterMinutes}, nil
}
