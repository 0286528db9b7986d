package graph

import (
	"parley/ent"
	"parley/graph/model"
	"parley/server/settings"
)

// attachmentURL is a signed download URL, or nil once the file has expired.
func (r *Resolver) attachmentURL(a *ent.Attachment) *string {
	if r.Core.FileExpired(a) || r.Downloads == nil {
		return nil
	}
	u := r.Downloads.URL(string(a.ID))
	return &u
}

// organizationSettings answers both the query and the mutation.
func (r *Resolver) organizationSettings(o settings.Organization, err error) (*model.OrganizationSettings, error) {
	if err != nil {
		return nil, err
	}
	return &model.OrganizationSettings{Plan: r.OrgPlan, InternalHistoryDays: o.InternalHistoryDays}, nil
}
