package feed

import (
	"context"

	"parley/ent/schema/pulid"
	"parley/server/auth"
)

// BadgesInChunks computes the badges of many users at once, chunk users per
// round of queries, as the streams' badge batcher does.
func (s *Service) BadgesInChunks(ctx context.Context, viewers []*auth.Viewer, chunk int) (map[pulid.ID]Badges, error) {
	withChats := map[pulid.ID]bool{}
	for _, v := range viewers {
		withChats[v.UserID] = true
	}
	all, err := s.marksOf(ctx, viewers, withChats, chunk)
	out := map[pulid.ID]Badges{}
	for id, m := range all {
		out[id] = m.badges()
	}
	return out, err
}

// BadgeReads is how many users' marks the streams have asked the database
// for, so far.
func (s *Service) BadgeReads() int64 { return s.badges.rounds.Load() }
