// Package feed is a user's live feed: the resumable `events` stream,
// badges and their updates, and a conversation's messageAdded.
package feed

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/predicate"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/db"
	"parley/server/pubsub"
)

// Service is the feed.
type Service struct {
	db      *db.DB
	access  *access.Service
	streams *pubsub.Streams
	log     *slog.Logger
	// BadgeInterval is the least time between two badge updates of one stream.
	BadgeInterval time.Duration
	badges        *badgeBatcher
}

// New returns the feed.
func New(d *db.DB, acc *access.Service, streams *pubsub.Streams, log *slog.Logger) *Service {
	s := &Service{db: d, access: acc, streams: streams, log: log, BadgeInterval: 250 * time.Millisecond}
	s.badges = &badgeBatcher{s: s, window: 10 * time.Millisecond}
	return s
}

// Badges are the caller's marks (API.md Badges).
type Badges struct {
	InternalUnread     int // unread in chats that are not muted
	Mentions           int // unread @mentions, muted chats included
	MutedWithUnread    int // muted chats with something unread
	ExternalUnread     int // visible sessions in state UNREAD
	ExternalUnanswered int // visible sessions in state UNANSWERED
}

// Total is the side-menu mark.
func (b Badges) Total() int { return b.InternalUnread + b.ExternalUnread + b.ExternalUnanswered }

// Badges reads the viewer's badges from the per-member counters and the
// sessions' states: it never counts messages.
func (s *Service) Badges(ctx context.Context, v *auth.Viewer) (_ Badges, err error) {
	defer apperr.At("feed.Badges", &err)
	if v.UserID == "" {
		return Badges{}, nil
	}
	all, err := s.badgesOf(ctx, []*auth.Viewer{v})
	return all[v.UserID], err
}

// badgeChunk bounds the users one badge query names, well under the
// bind-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
const badgeChunk = 2000

// badgesOf computes the badges of many users with a few queries per
// badgeChunk users: streams of thousands of users ask at once.
func (s *Service) badgesOf(ctx context.Context, viewers []*auth.Viewer) (map[pulid.ID]Badges, error) {
	return s.badgesInChunks(ctx, viewers, badgeChunk)
}

func (s *Service) badgesInChunks(ctx context.Context, viewers []*auth.Viewer, chunk int) (map[pulid.ID]Badges, error) {
	out := make(map[pulid.ID]Badges, len(viewers))
	for len(viewers) > 0 {
		n := min(len(viewers), chunk)
		if err := s.badgesInto(ctx, viewers[:n], out); err != nil {
			return nil, err
		}
		viewers = viewers[n:]
	}
	return out, nil
}

// badgesInto adds the badges of up to badgeChunk users to out.
func (s *Service) badgesInto(ctx context.Context, viewers []*auth.Viewer, out map[pulid.ID]Badges) error {
	var ids, agents []pulid.ID
	admins := false
	for _, v := range viewers {
		ids = append(ids, v.UserID)
		switch v.Role {
		case user.RoleADMIN:
			admins = true
		case user.RoleAGENT:
			agents = append(agents, v.UserID)
		}
	}
	var rows []struct {
		UserID pulid.ID `json:"user_id"`
		Muted  bool     `json:"muted"`
		Unread int      `json:"unread"`
		Ment   int      `json:"ment"`
		Chats  int      `json:"chats"`
	}
	err := s.db.Member.Query().Where(member.UserIDIn(ids...), member.Or(member.UnreadCountGT(0), member.MentionCountGT(0))).
		GroupBy(member.FieldUserID, member.FieldMuted).
		Aggregate(entSum(member.FieldUnreadCount, "unread"), entSum(member.FieldMentionCount, "ment"), entCount("chats")).
		Scan(ctx, &rows)
	if err != nil {
		return err
	}
	for _, r := range rows {
		b := out[r.UserID]
		b.Mentions += r.Ment
		if r.Muted {
			b.MutedWithUnread += r.Chats
		} else {
			b.InternalUnread += r.Unread
		}
		out[r.UserID] = b
	}
	if s.access.External() != nil {
		return nil
	}
	if admins {
		var states []struct {
			ReplyState conversation.ReplyState `json:"reply_state"`
			N          int                     `json:"n"`
		}
		if err := s.db.Conversation.Query().Where(openWithMark()).GroupBy(conversation.FieldReplyState).
			Aggregate(entCount("n")).Scan(ctx, &states); err != nil {
			return err
		}
		for _, v := range viewers {
			if v.Role == user.RoleADMIN {
				b := out[v.UserID]
				for _, st := range states {
					addMark(&b, st.ReplyState, st.N)
				}
				out[v.UserID] = b
			}
		}
	}
	if len(agents) > 0 {
		if err := s.agentMarks(ctx, agents, out); err != nil {
			return err
		}
	}
	return nil
}

// agentMarks counts, per agent, the marked open sessions they see: those of
// their channels and those forwarded to them, each once.
func (s *Service) agentMarks(ctx context.Context, agents []pulid.ID, out map[pulid.ID]Badges) error {
	args := make([]any, len(agents))
	marks := make([]string, len(agents))
	for i, a := range agents {
		args[i], marks[i] = string(a), fmt.Sprintf("$%d", i+1)
	}
	q := `SELECT u, reply_state, count(*) FROM (` +
		access.AgentSessionsSQL(strings.Join(marks, ", "), "c.id, c.reply_state",
			"c.status = 'OPEN' AND c.reply_state IN ('UNREAD', 'UNANSWERED')") +
		`) seen GROUP BY u, reply_state`
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			u     string
			state conversation.ReplyState
			n     int
		)
		if err := rows.Scan(&u, &state, &n); err != nil {
			return err
		}
		b := out[pulid.ID(u)]
		addMark(&b, state, n)
		out[pulid.ID(u)] = b
	}
	return rows.Err()
}

func openWithMark() predicate.Conversation {
	return conversation.And(conversation.KindEQ(conversation.KindEXTERNAL), conversation.StatusEQ(conversation.StatusOPEN),
		conversation.ReplyStateIn(conversation.ReplyStateUNREAD, conversation.ReplyStateUNANSWERED))
}

func addMark(b *Badges, state conversation.ReplyState, n int) {
	switch state {
	case conversation.ReplyStateUNREAD:
		b.ExternalUnread += n
	case conversation.ReplyStateUNANSWERED:
		b.ExternalUnanswered += n
	}
}

// badgeBatcher gathers the badge requests of many streams for a few
// milliseconds and answers them all with one computation.
type badgeBatcher struct {
	s      *Service
	window time.Duration
	mu     sync.Mutex
	round  *badgeRound
}

type badgeRound struct {
	viewers map[pulid.ID]*auth.Viewer
	done    chan struct{}
	result  map[pulid.ID]Badges
	err     error
}

// get returns the viewer's badges as of the round it joins.
func (bb *badgeBatcher) get(ctx context.Context, v *auth.Viewer) (Badges, error) {
	bb.mu.Lock()
	r := bb.round
	if r == nil {
		r = &badgeRound{viewers: map[pulid.ID]*auth.Viewer{}, done: make(chan struct{})}
		bb.round = r
		time.AfterFunc(bb.window, func() { bb.flush(r) })
	}
	r.viewers[v.UserID] = v
	bb.mu.Unlock()
	select {
	case <-r.done:
		return r.result[v.UserID], r.err
	case <-ctx.Done():
		return Badges{}, ctx.Err()
	}
}

func (bb *badgeBatcher) flush(r *badgeRound) {
	bb.mu.Lock()
	bb.round = nil
	bb.mu.Unlock()
	viewers := make([]*auth.Viewer, 0, len(r.viewers))
	for _, v := range r.viewers {
		viewers = append(viewers, v)
	}
	// The round serves many streams: it is not cut short by any one of them.
	r.result, r.err = bb.s.badgesOf(context.Background(), viewers)
	close(r.done)
}

func entSum(field, as string) ent.AggregateFunc { return ent.As(ent.Sum(field), as) }

func entCount(as string) ent.AggregateFunc { return ent.As(ent.Count(), as) }
