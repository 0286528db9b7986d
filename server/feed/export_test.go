package feed

import (
	"context"

	"parley/ent/schema/pulid"
	"parley/server/auth"
)

// BadgesInChunks computes the badges of many users at once, chunk users per
// round of queries, as the streams' badge batcher does.
func (s *Service) BadgesInChunks(ctx context.Context, viewers []*auth.Viewer, chunk int) (map[pulid.ID]Badges, error) {
	return s.badgesInChunks(ctx, viewers, chunk)
}
