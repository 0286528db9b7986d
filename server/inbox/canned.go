package inbox

import (
	"context"
	"strings"

	"parley/ent"
	"parley/ent/cannedresponse"
	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
)

// CreateCanned saves a reply: personal, or shared with everyone (admins only).
func (s *Service) CreateCanned(ctx context.Context, v *auth.Viewer, shortcut, text string, shared bool) (_ *ent.CannedResponse, err error) {
	defer apperr.At("inbox.CreateCanned", &err)
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	if shared && !v.IsAdmin() {
		return nil, apperr.Forbid("only an admin can share a canned response")
	}
	shortcut = strings.TrimSpace(shortcut)
	if shortcut == "" || textLen(shortcut) > 64 || strings.ContainsAny(shortcut, " \t\n") {
		return nil, apperr.BadInput("a shortcut is 1 to 64 characters without spaces").With("field", "shortcut")
	}
	if strings.TrimSpace(text) == "" || textLen(text) > s.limits.InternalText {
		return nil, apperr.BadInput("the text must be 1 to %d characters", s.limits.InternalText).With("field", "text")
	}
	taken, err := s.db.CannedResponse.Query().Where(cannedresponse.ShortcutEqualFold(shortcut),
		cannedresponse.Or(cannedresponse.OwnerID(v.UserID), cannedresponse.Shared(true))).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if taken {
		return nil, apperr.New(apperr.Conflict, "the shortcut %q is already in use", shortcut).With("field", "shortcut")
	}
	return s.db.CannedResponse.Create().SetID(pulid.MustNew("cr")).SetShortcut(shortcut).SetText(text).
		SetShared(shared).SetOwnerID(v.UserID).Save(ctx)
}

// CannedResponses lists the viewer's own and the shared canned responses,
// matching a search by shortcut or text.
func (s *Service) CannedResponses(ctx context.Context, v *auth.Viewer, search string) (_ []*ent.CannedResponse, err error) {
	defer apperr.At("inbox.CannedResponses", &err)
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	q := s.db.CannedResponse.Query().Where(cannedresponse.Or(cannedresponse.OwnerID(v.UserID), cannedresponse.Shared(true)))
	if term := strings.TrimSpace(search); term != "" {
		term = strings.TrimPrefix(term, "/")
		q.Where(cannedresponse.Or(cannedresponse.ShortcutContainsFold(term), cannedresponse.TextContainsFold(term)))
	}
	return q.Order(ent.Asc(cannedresponse.FieldShortcut), ent.Asc(cannedresponse.FieldID)).All(ctx)
}

// Canned returns one canned response the viewer may use.
func (s *Service) Canned(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.CannedResponse, err error) {
	defer apperr.At("inbox.Canned", &err)
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	c, err := s.db.CannedResponse.Query().Where(cannedresponse.ID(id),
		cannedresponse.Or(cannedresponse.OwnerID(v.UserID), cannedresponse.Shared(true))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such canned response")
	}
	return c, err
}

// DeleteCanned removes one's own canned response; shared ones, admins only.
func (s *Service) DeleteCanned(ctx context.Context, v *auth.Viewer, id pulid.ID) (err error) {
	defer apperr.At("inbox.DeleteCanned", &err)
	c, err := s.Canned(ctx, v, id)
	if err != nil {
		return err
	}
	if c.OwnerID != v.UserID && !(c.Shared && v.IsAdmin()) {
		return apperr.Forbid("only its owner or an admin can delete a shared canned response")
	}
	return s.db.CannedResponse.DeleteOneID(id).Exec(ctx)
}
