package chat

import (
	"context"
	"strings"

	"parley/ent"
	"parley/ent/reaction"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/apperr"
	"parley/server/auth"
)

// Reaction is one emoji on a message, summed over who put it there.
type Reaction struct {
	Emoji       string
	Count       int
	ReactedByMe bool
	Users       []*ent.User
	ByCustomer  bool
}

// maxReactions bounds how many reactions of one message are read.
const maxReactions = 1000

// Reactions are the emoji on a message the viewer has already been allowed
// to read, one entry per emoji in the order each was first used.
func (s *Service) Reactions(ctx context.Context, v *auth.Viewer, m *ent.Message) (_ []Reaction, err error) {
	defer apperr.At("chat.Reactions", &err)
	rs, err := s.db.Reaction.Query().Where(reaction.MessageID(m.ID)).
		Order(ent.Asc(reaction.FieldID)).Limit(maxReactions).All(ctx)
	if err != nil || len(rs) == 0 {
		return []Reaction{}, err
	}
	var userIDs []pulid.ID
	for _, r := range rs {
		if r.UserID != nil {
			userIDs = append(userIDs, *r.UserID)
		}
	}
	users := map[pulid.ID]*ent.User{}
	if len(userIDs) > 0 {
		us, err := s.db.User.Query().Where(user.IDIn(pulid.Uniq(userIDs)...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			users[u.ID] = u
		}
	}
	out := []Reaction{}
	at := map[string]int{}
	me := v.AuthorKey()
	for _, r := range rs {
		if v.IsVisitor() && !strings.HasPrefix(r.AuthorKey, "contact:") {
			continue // the agents' reactions are their own
		}
		i, ok := at[r.Emoji]
		if !ok {
			i = len(out)
			at[r.Emoji] = i
			out = append(out, Reaction{Emoji: r.Emoji, Users: []*ent.User{}})
		}
		e := &out[i]
		e.Count++
		e.ReactedByMe = e.ReactedByMe || r.AuthorKey == me
		e.ByCustomer = e.ByCustomer || strings.HasPrefix(r.AuthorKey, "contact:")
		if r.UserID != nil && users[*r.UserID] != nil {
			e.Users = append(e.Users, users[*r.UserID])
		}
	}
	return out, nil
}
