package inbox

import (
	"context"
	"time"

	"entgo.io/ent/dialect/sql"

	"parley/ent"
	entchannel "parley/ent/channel"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
)

// SessionSort is the inbox's order.
type SessionSort string

const (
	// SortNewest: the caller's pinned sessions first, then newest activity.
	SortNewest SessionSort = "NEWEST"
	// SortWaitingLongest: only the sessions whose customer waits for an
	// answer, the longest wait first.
	SortWaitingLongest SessionSort = "WAITING_LONGEST"
)

// SessionFilter narrows the inbox.
type SessionFilter struct {
	Status      *conversation.Status
	ChannelKind *entchannel.Kind
	ChannelID   *pulid.ID
	ReplyState  *conversation.ReplyState
	// Overdue: waiting longer than the organisation's threshold (true), or not (false).
	Overdue *bool
	Sort    SessionSort
}

// SessionCursor is a position in the inbox: of its sort, the pinned mark
// (newest), and the activity or waiting time, and the id.
type SessionCursor struct {
	Sort   SessionSort
	Pinned bool
	At     time.Time
	ID     pulid.ID
}

// SessionRow is a session in the inbox, with its position.
type SessionRow struct {
	Session *ent.Conversation
	Cursor  SessionCursor
}

// Sessions lists the sessions the viewer may see: the caller's pinned ones
// first, then newest activity; or those waiting, longest first.
func (s *Service) Sessions(ctx context.Context, v *auth.Viewer, f SessionFilter, first int, after *SessionCursor) (_ []SessionRow, _ bool, _ int, err error) {
	defer apperr.At("inbox.Sessions", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, false, 0, err
	}
	if f.Sort == "" {
		f.Sort = SortNewest
	}
	if after != nil && after.Sort != f.Sort {
		return nil, false, 0, apperr.BadInput("after is not a cursor of this list").With("field", "after")
	}
	q := s.db.Conversation.Query().Where(access.VisibleSessions(v), announced)
	if f.Status != nil {
		q.Where(conversation.StatusEQ(*f.Status))
	}
	if f.ChannelID != nil {
		q.Where(conversation.ChannelID(*f.ChannelID))
	}
	if f.ChannelKind != nil {
		q.Where(conversation.HasChannelWith(entchannel.KindEQ(*f.ChannelKind)))
	}
	if f.ReplyState != nil {
		q.Where(conversation.ReplyStateEQ(*f.ReplyState))
	}
	if f.Overdue != nil {
		cutoff, err := s.overdueCutoff(ctx)
		if err != nil {
			return nil, false, 0, err
		}
		if *f.Overdue {
			q.Where(conversation.WaitingSinceLTE(cutoff))
		} else {
			q.Where(conversation.Or(conversation.WaitingSinceIsNil(), conversation.WaitingSinceGT(cutoff)))
		}
	}
	if f.Sort == SortWaitingLongest {
		q.Where(conversation.WaitingSinceNotNil())
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, false, 0, err
	}
	var rows []SessionRow
	if f.Sort == SortWaitingLongest {
		rows, err = s.waitingLongest(ctx, q, first, after)
	} else {
		rows, err = s.newest(ctx, v, q, first, after)
	}
	if err != nil {
		return nil, false, 0, err
	}
	more := len(rows) > first
	if more {
		rows = rows[:first]
	}
	return rows, more, total, nil
}

func (s *Service) waitingLongest(ctx context.Context, q *ent.ConversationQuery, first int, after *SessionCursor) ([]SessionRow, error) {
	if after != nil {
		q.Where(conversation.Or(conversation.WaitingSinceGT(after.At),
			conversation.And(conversation.WaitingSince(after.At), conversation.IDGT(after.ID))))
	}
	convs, err := q.Order(ent.Asc(conversation.FieldWaitingSince), ent.Asc(conversation.FieldID)).Limit(first + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]SessionRow, len(convs))
	for i, c := range convs {
		rows[i] = SessionRow{Session: c, Cursor: SessionCursor{Sort: SortWaitingLongest, At: *c.WaitingSince, ID: c.ID}}
	}
	return rows, nil
}

// newest orders the caller's pinned sessions first (as chats), then by
// newest activity. Pins are the caller's own member rows of the sessions.
func (s *Service) newest(ctx context.Context, v *auth.Viewer, q *ent.ConversationQuery, first int, after *SessionCursor) ([]SessionRow, error) {
	pinned := conversation.HasMembersWith(member.UserID(v.UserID), member.Pinned(true))
	if after != nil {
		older := conversation.Or(conversation.LastMessageAtLT(after.At),
			conversation.And(conversation.LastMessageAt(after.At), conversation.IDLT(after.ID)))
		if after.Pinned { // every unpinned session comes after the pinned ones
			q.Where(conversation.Or(conversation.Not(pinned), conversation.And(pinned, older)))
		} else {
			q.Where(conversation.Not(pinned), older)
		}
	}
	// The user id is written into the ORDER BY as a literal: ent drops the
	// arguments of an order expression. A pulid is letters, digits and _.
	if !safeLiteral(string(v.UserID)) {
		return nil, apperr.New(apperr.Internal, "a user id that is not an id")
	}
	byPin := func(sel *sql.Selector) {
		sel.OrderExpr(sql.Expr("EXISTS (SELECT 1 FROM members pm WHERE pm.conversation_id = " + sel.C(conversation.FieldID) +
			" AND pm.user_id = '" + string(v.UserID) + "' AND pm.pinned = true) DESC"))
	}
	convs, err := q.Order(byPin, ent.Desc(conversation.FieldLastMessageAt), ent.Desc(conversation.FieldID)).Limit(first + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]pulid.ID, len(convs))
	for i, c := range convs {
		ids[i] = c.ID
	}
	pins, err := s.db.Member.Query().Where(member.UserID(v.UserID), member.ConversationIDIn(ids...), member.Pinned(true)).
		Select(member.FieldConversationID).Strings(ctx)
	if err != nil {
		return nil, err
	}
	isPinned := map[pulid.ID]bool{}
	for _, id := range pins {
		isPinned[pulid.ID(id)] = true
	}
	rows := make([]SessionRow, len(convs))
	for i, c := range convs {
		at := time.Time{}
		if c.LastMessageAt != nil {
			at = *c.LastMessageAt
		}
		rows[i] = SessionRow{Session: c, Cursor: SessionCursor{Sort: SortNewest, Pinned: isPinned[c.ID], At: at, ID: c.ID}}
	}
	return rows, nil
}

// DefaultOverdueAfter is how long a customer may wait before their session
// is overdue, when the organisation set nothing.
const DefaultOverdueAfter = 15 * time.Minute

// overdueCutoff is the waiting start before which a session is overdue now.
func (s *Service) overdueCutoff(ctx context.Context) (time.Time, error) {
	after := DefaultOverdueAfter
	if s.OverdueAfter != nil {
		d, err := s.OverdueAfter(ctx)
		if err != nil {
			return time.Time{}, err
		}
		after = d
	}
	return s.now().Add(-after), nil
}

// safeLiteral says whether s may stand in SQL between quotes as it is.
func safeLiteral(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_') {
			return false
		}
	}
	return s != ""
}
