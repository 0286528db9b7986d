// Package feed is a user's live feed: the resumable `events` stream,
// badges and their updates, and a conversation's messageAdded.
package feed

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
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
	// BadgeInterval is how soon a stream's badges follow a change, and
	// BadgeBusyInterval the least time between two of its updates while
	// changes keep coming: a badge a second is plenty to read, and each
	// update is a query and a frame for every subscriber.
	BadgeInterval, BadgeBusyInterval time.Duration
	badges                           *badgeBatcher
	// Now is the clock sessions become overdue by.
	Now func() time.Time
	// OverdueAfter is how long a customer may wait before their session is
	// overdue (the organisation's setting); nil is 15 minutes.
	OverdueAfter func(context.Context) (time.Duration, error)
}

// New returns the feed.
func New(d *db.DB, acc *access.Service, streams *pubsub.Streams, log *slog.Logger) *Service {
	s := &Service{db: d, access: acc, streams: streams, log: log, BadgeInterval: 250 * time.Millisecond,
		BadgeBusyInterval: time.Second, Now: time.Now}
	s.badges = &badgeBatcher{s: s, window: 10 * time.Millisecond}
	return s
}

// Badges are the caller's marks (API.md Badges).
type Badges struct {
	// ID names the caller's badges, stable per user, for clients' normalised caches.
	ID                 string
	InternalUnread     int // unread in chats that are not muted
	Mentions           int // unread @mentions, muted chats included
	MutedWithUnread    int // muted chats and sessions with something unread: dots, not numbers
	ExternalUnread     int // visible sessions in state UNREAD the caller has not muted
	ExternalUnanswered int // visible sessions in state UNANSWERED
	// ExternalOverdue: visible open sessions whose customer has waited
	// longer than the organisation's threshold (muted ones too: the customer
	// waits all the same). Already in the two above, so not in Total.
	ExternalOverdue int
}

// BadgesID is the id of the viewer's badges: "badges:" and the user id (a
// visitor's: their session's).
func BadgesID(v *auth.Viewer) string {
	if v.IsVisitor() {
		return "badges:" + string(v.VisitorSessionID)
	}
	return "badges:" + string(v.UserID)
}

// Total is the side-menu mark.
func (b Badges) Total() int { return b.InternalUnread + b.ExternalUnread + b.ExternalUnanswered }

// Badges reads the viewer's badges from the per-member counters and the
// sessions' states: it never counts messages.
func (s *Service) Badges(ctx context.Context, v *auth.Viewer) (_ Badges, err error) {
	defer apperr.At("feed.Badges", &err)
	if v.UserID == "" {
		return Badges{ID: BadgesID(v)}, nil
	}
	all, err := s.marksOf(ctx, []*auth.Viewer{v}, map[pulid.ID]bool{v.UserID: true}, badgeChunk)
	if err != nil {
		return Badges{}, err
	}
	b := all[v.UserID].badges()
	b.ID = BadgesID(v)
	return b, nil
}

// badgeChunk bounds the users one badge query names, well under the
// bind-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
const badgeChunk = 2000

// marksOf reads the marks of many users with a few queries per chunk
// users (streams of thousands of users ask at once): the sessions' part
// for all, their chats for those in withChats.
func (s *Service) marksOf(ctx context.Context, viewers []*auth.Viewer, withChats map[pulid.ID]bool, chunk int) (map[pulid.ID]*marks, error) {
	out := make(map[pulid.ID]*marks, len(viewers))
	for _, v := range viewers {
		out[v.UserID] = &marks{}
		if withChats[v.UserID] {
			out[v.UserID].chats = map[pulid.ID]chatMark{}
		}
	}
	for len(viewers) > 0 {
		n := min(len(viewers), chunk)
		if err := s.marksInto(ctx, viewers[:n], out); err != nil {
			return nil, err
		}
		viewers = viewers[n:]
	}
	return out, nil
}

// marksInto reads the marks of up to badgeChunk users into out.
func (s *Service) marksInto(ctx context.Context, viewers []*auth.Viewer, out map[pulid.ID]*marks) error {
	var chats, agents []pulid.ID
	admins := false
	for _, v := range viewers {
		if out[v.UserID].chats != nil {
			chats = append(chats, v.UserID)
		}
		switch v.Role {
		case user.RoleADMIN:
			admins = true
		case user.RoleAGENT:
			agents = append(agents, v.UserID)
		}
	}
	if len(chats) > 0 {
		if err := s.chatMarks(ctx, chats, out); err != nil {
			return err
		}
	}
	if s.access.External() != nil {
		return nil
	}
	cutoff, err := s.overdueCutoff(ctx)
	if err != nil {
		return err
	}
	if admins {
		if err := s.adminMarks(ctx, viewers, cutoff, out); err != nil {
			return err
		}
	}
	if len(agents) > 0 {
		if err := s.agentMarks(ctx, agents, cutoff, out); err != nil {
			return err
		}
	}
	return nil
}

// chatMarks reads the users' chats with something unread or a mention
// into out: the others count for nothing, and a stream learns of them
// when a message arrives (marks.follow).
func (s *Service) chatMarks(ctx context.Context, users []pulid.ID, out map[pulid.ID]*marks) error {
	args, list := usersList(users)
	q := `SELECT m.user_id, m.conversation_id, c.counted, m.unread_base, m.mention_count, m.muted
		FROM members m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.user_id IN (` + list + `) AND (c.counted > m.unread_base OR m.mention_count > 0)`
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			u, conv string
			m       chatMark
		)
		if err := rows.Scan(&u, &conv, &m.counted, &m.base, &m.mentions, &m.muted); err != nil {
			return err
		}
		out[pulid.ID(u)].chats[pulid.ID(conv)] = m
	}
	return rows.Err()
}

// usersList returns the users as a statement's arguments $1, $2 … and the
// list of their placeholders, for an IN (…).
func usersList(users []pulid.ID) (args []any, list string) {
	marks := make([]string, len(users))
	for i, u := range users {
		args, marks[i] = append(args, string(u)), fmt.Sprintf("$%d", i+1)
	}
	return args, strings.Join(marks, ", ")
}

// overdueCutoff is the waiting start before which a session is overdue now.
func (s *Service) overdueCutoff(ctx context.Context) (time.Time, error) {
	after := 15 * time.Minute
	if s.OverdueAfter != nil {
		d, err := s.OverdueAfter(ctx)
		if err != nil {
			return time.Time{}, err
		}
		after = d
	}
	return s.Now().UTC().Add(-after), nil
}

// adminMarks counts the marked open sessions for the admins, who see them
// all: once for every admin, and then what each has muted.
func (s *Service) adminMarks(ctx context.Context, viewers []*auth.Viewer, cutoff time.Time, out map[pulid.ID]*marks) error {
	var states []struct {
		ReplyState conversation.ReplyState `json:"reply_state"`
		N          int                     `json:"n"`
	}
	if err := s.db.Conversation.Query().Where(openWithMark()).GroupBy(conversation.FieldReplyState).
		Aggregate(entCount("n")).Scan(ctx, &states); err != nil {
		return err
	}
	overdue, err := s.db.Conversation.Query().Where(conversation.KindEQ(conversation.KindEXTERNAL),
		conversation.StatusEQ(conversation.StatusOPEN), conversation.WaitingSinceLTE(cutoff)).Count(ctx)
	if err != nil {
		return err
	}
	var admins []pulid.ID
	for _, v := range viewers {
		if v.Role == user.RoleADMIN {
			admins = append(admins, v.UserID)
		}
	}
	var muted []struct {
		UserID pulid.ID `json:"user_id"`
		N      int      `json:"n"`
	}
	if err := s.db.Member.Query().Where(member.UserIDIn(admins...), member.Muted(true),
		member.HasConversationWith(openWithMark(), conversation.ReplyStateEQ(conversation.ReplyStateUNREAD))).
		GroupBy(member.FieldUserID).Aggregate(entCount("n")).Scan(ctx, &muted); err != nil {
		return err
	}
	for _, a := range admins {
		b := &out[a].external
		for _, st := range states {
			addMark(b, st.ReplyState, false, st.N)
		}
		b.ExternalOverdue += overdue
	}
	for _, m := range muted { // a muted session is a dot, not a number
		b := &out[m.UserID].external
		b.ExternalUnread -= m.N
		b.MutedWithUnread += m.N
	}
	return nil
}

// agentMarks counts, per agent, the marked open sessions they see: those of
// their channels and those forwarded to them, each once, with the agent's
// own mute.
func (s *Service) agentMarks(ctx context.Context, agents []pulid.ID, cutoff time.Time, out map[pulid.ID]*marks) error {
	args, list := usersList(agents)
	args = append(args, cutoff)
	q := `SELECT seen.u, seen.reply_state, COALESCE(m.muted, false), count(*),
		sum(CASE WHEN seen.waiting_since <= $` + fmt.Sprint(len(args)) + ` THEN 1 ELSE 0 END) FROM (` +
		access.AgentSessionsSQL(list, "c.id, c.reply_state, c.waiting_since",
			"c.status = 'OPEN' AND (c.reply_state IN ('UNREAD', 'UNANSWERED') OR c.waiting_since IS NOT NULL)") +
		`) seen LEFT JOIN members m ON m.conversation_id = seen.id AND m.user_id = seen.u
		GROUP BY seen.u, seen.reply_state, COALESCE(m.muted, false)`
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			u        string
			state    conversation.ReplyState
			muted    bool
			n, overd int
		)
		if err := rows.Scan(&u, &state, &muted, &n, &overd); err != nil {
			return err
		}
		b := &out[pulid.ID(u)].external
		addMark(b, state, muted, n)
		b.ExternalOverdue += overd
	}
	return rows.Err()
}

func openWithMark() predicate.Conversation {
	return conversation.And(conversation.KindEQ(conversation.KindEXTERNAL), conversation.StatusEQ(conversation.StatusOPEN),
		conversation.ReplyStateIn(conversation.ReplyStateUNREAD, conversation.ReplyStateUNANSWERED))
}

// addMark counts n sessions in a state; muted unread ones are dots.
func addMark(b *Badges, state conversation.ReplyState, muted bool, n int) {
	switch {
	case state == conversation.ReplyStateUNREAD && muted:
		b.MutedWithUnread += n
	case state == conversation.ReplyStateUNREAD:
		b.ExternalUnread += n
	case state == conversation.ReplyStateUNANSWERED:
		b.ExternalUnanswered += n
	}
}

// badgeBatcher gathers the requests for marks of many streams for a few
// milliseconds and answers them all with one round of queries.
type badgeBatcher struct {
	s      *Service
	window time.Duration
	mu     sync.Mutex
	round  *badgeRound
	// rounds counts the users asked for, for tests: a stream that follows
	// its chats from its deliveries asks for none.
	rounds atomic.Int64
}

type badgeRound struct {
	viewers   map[pulid.ID]*auth.Viewer
	withChats map[pulid.ID]bool
	done      chan struct{}
	result    map[pulid.ID]*marks
	err       error
}

// get returns the viewer's marks as of the round it joins: the sessions'
// part, and their chats too if withChats. The caller owns what it gets.
func (bb *badgeBatcher) get(ctx context.Context, v *auth.Viewer, withChats bool) (*marks, error) {
	bb.mu.Lock()
	r := bb.round
	if r == nil {
		r = &badgeRound{viewers: map[pulid.ID]*auth.Viewer{}, withChats: map[pulid.ID]bool{}, done: make(chan struct{})}
		bb.round = r
		time.AfterFunc(bb.window, func() { bb.flush(r) })
	}
	r.viewers[v.UserID] = v
	r.withChats[v.UserID] = r.withChats[v.UserID] || withChats
	bb.mu.Unlock()
	select {
	case <-r.done:
		if r.err != nil {
			return nil, r.err
		}
		// Two devices of one user may share a round: each keeps its own copy.
		return r.result[v.UserID].clone(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
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
	bb.rounds.Add(int64(len(viewers)))
	// The round serves many streams: it is not cut short by any one of them.
	r.result, r.err = bb.s.marksOf(context.Background(), viewers, r.withChats, badgeChunk)
	close(r.done)
}

func entSum(field, as string) ent.AggregateFunc { return ent.As(ent.Sum(field), as) }

func entCount(as string) ent.AggregateFunc { return ent.As(ent.Count(), as) }
