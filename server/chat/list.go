package chat

import (
	"context"
	"time"

	entdialect "entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/message"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
)

// ChatItem is one chat in a user's list.
type ChatItem struct {
	Conversation *ent.Conversation
	Member       *ent.Member
	// Peer is the other person of a DIRECT chat.
	Peer *ent.User
}

// ChatCursor is a position in a user's list of chats.
type ChatCursor struct {
	Pinned     bool
	ActivityAt time.Time
	ID         pulid.ID
}

// CursorOf returns the position of an item.
func CursorOf(it ChatItem) ChatCursor {
	return ChatCursor{Pinned: it.Member.Pinned, ActivityAt: activityOf(it.Conversation, it.Member), ID: it.Conversation.ID}
}

// activityOf is when a chat last moved for a member: its last message, or
// when the member joined if that is later. A message writes one row, the
// chat's, not one per member.
func activityOf(c *ent.Conversation, m *ent.Member) time.Time {
	if c.LastMessageAt != nil && c.LastMessageAt.After(m.ActivityAt) {
		return *c.LastMessageAt
	}
	return m.ActivityAt
}

// activitySQL is activityOf in SQL, on members joined with their
// conversation as c.
func activitySQL(dialect string) string {
	greatest := "MAX" // SQLite's MAX of several arguments is the largest
	if dialect == entdialect.Postgres {
		greatest = "GREATEST"
	}
	return greatest + "(" + member.Table + "." + member.FieldActivityAt + ", COALESCE(c." + conversation.FieldLastMessageAt +
		", " + member.Table + "." + member.FieldActivityAt + "))"
}

// Chats lists the viewer's chats (archived or not): pinned first, then
// newest activity. It returns up to first items after the cursor, whether
// more follow, and how many there are in all.
func (s *Service) Chats(ctx context.Context, v *auth.Viewer, archived bool, first int, after *ChatCursor) (_ []ChatItem, _ bool, _ int, err error) {
	defer apperr.At("chat.Chats", &err)
	if err := access.Colleague(v); err != nil {
		return nil, false, 0, err
	}
	base := s.db.Member.Query().Where(member.UserID(v.UserID), member.Archived(archived),
		member.HasConversationWith(conversation.KindNEQ(conversation.KindEXTERNAL), conversation.EndedAtIsNil()))
	total, err := base.Clone().Count(ctx)
	if err != nil {
		return nil, false, 0, err
	}
	activity := activitySQL(s.db.Dialect)
	q := base.Clone().Where(func(sel *sql.Selector) {
		c := sql.Table(conversation.Table).As("c")
		sel.Join(c).On(sel.C(member.FieldConversationID), c.C(conversation.FieldID))
		if after == nil {
			return
		}
		later := sql.And(sql.EQ(sel.C(member.FieldPinned), after.Pinned), sql.Or(
			sql.P(func(b *sql.Builder) { b.WriteString(activity + " < ").Arg(after.ActivityAt) }),
			sql.And(sql.P(func(b *sql.Builder) { b.WriteString(activity + " = ").Arg(after.ActivityAt) }),
				sql.LT(sel.C(member.FieldConversationID), string(after.ID))),
		))
		if after.Pinned { // unpinned chats all come after pinned ones
			later = sql.Or(sql.EQ(sel.C(member.FieldPinned), false), later)
		}
		sel.Where(later)
	})
	rows, err := q.Order(ent.Desc(member.FieldPinned), func(sel *sql.Selector) { sel.OrderExpr(sql.Expr(activity + " DESC")) },
		ent.Desc(member.FieldConversationID)).
		Limit(first + 1).WithConversation().All(ctx)
	if err != nil {
		return nil, false, 0, err
	}
	more := len(rows) > first
	if more {
		rows = rows[:first]
	}
	items := make([]ChatItem, len(rows))
	var direct []pulid.ID
	for i, m := range rows {
		items[i] = ChatItem{Conversation: m.Edges.Conversation, Member: m}
		if m.Edges.Conversation.Kind == conversation.KindDIRECT {
			direct = append(direct, m.ConversationID)
		}
	}
	if len(direct) > 0 {
		peers, err := s.db.Member.Query().Where(member.ConversationIDIn(direct...), member.UserIDNEQ(v.UserID)).
			WithUser().All(ctx)
		if err != nil {
			return nil, false, 0, err
		}
		byConv := map[pulid.ID]*ent.User{}
		for _, p := range peers {
			byConv[p.ConversationID] = p.Edges.User
		}
		for i := range items {
			items[i].Peer = byConv[items[i].Conversation.ID]
		}
	}
	return items, more, total, nil
}

// Title is the name of a conversation as the viewer sees it: a group's
// title, the other person of a direct chat, the customer of a session.
func (s *Service) Title(ctx context.Context, v *auth.Viewer, c *ent.Conversation, peer *ent.User) (_ string, err error) {
	defer apperr.At("chat.Title", &err)
	switch c.Kind {
	case conversation.KindGROUP:
		return c.Title, nil
	case conversation.KindDIRECT:
		if peer == nil {
			var err error
			peer, err = s.db.User.Query().
				Where(user.HasMembershipsWith(member.ConversationID(c.ID)), user.IDNEQ(v.UserID)).First(ctx)
			if ent.IsNotFound(err) {
				return "", nil
			}
			if err != nil {
				return "", err
			}
		}
		return peer.Name, nil
	}
	ct, err := c.Contact(ctx)
	if err != nil || ct == nil {
		return "", err
	}
	return ContactName(ct), nil
}

// ContactName is how a customer is shown: their name if the channel gives it.
func ContactName(ct *ent.Contact) string {
	if ct.DisplayName != nil && *ct.DisplayName != "" && !ct.PrivacyRestricted {
		return *ct.DisplayName
	}
	return "Unknown customer"
}

// Members lists a chat's members in the order they joined.
func (s *Service) Members(ctx context.Context, c *ent.Conversation) (_ []*ent.User, err error) {
	defer apperr.At("chat.Members", &err)
	ms, err := s.db.Member.Query().Where(member.ConversationID(c.ID)).
		Order(ent.Asc(member.FieldJoinedAt), ent.Asc(member.FieldID)).WithUser().All(ctx)
	if err != nil {
		return nil, err
	}
	users := make([]*ent.User, len(ms))
	for i, m := range ms {
		users[i] = m.Edges.User
	}
	return users, nil
}

// Messages returns the query of a conversation's history as the viewer may
// read it (a visitor never sees private notes).
func (s *Service) Messages(ctx context.Context, v *auth.Viewer, c *ent.Conversation) *ent.MessageQuery {
	q := s.db.Message.Query().Where(message.ConversationID(c.ID))
	if v.IsVisitor() {
		q.Where(message.AgentsOnly(false))
	}
	return q
}

// LastMessage returns a conversation's newest message the viewer may read
// (nil if none, or if retention removed it): for a Live Chat visitor, the
// newest that is not for agents only.
func (s *Service) LastMessage(ctx context.Context, v *auth.Viewer, c *ent.Conversation) (_ *ent.Message, err error) {
	defer apperr.At("chat.LastMessage", &err)
	if c.LastMessageID == nil {
		return nil, nil
	}
	m, err := s.db.Message.Get(ctx, *c.LastMessageID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil || !v.IsVisitor() || !m.AgentsOnly {
		return m, err
	}
	m, err = s.Messages(ctx, v, c).Order(ent.Desc(message.FieldSeq)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return m, err
}

// ReplyTo returns the message m answers, if the viewer may read it.
func (s *Service) ReplyTo(ctx context.Context, v *auth.Viewer, m *ent.Message) (_ *ent.Message, err error) {
	defer apperr.At("chat.ReplyTo", &err)
	if m.ReplyToID == nil {
		return nil, nil
	}
	r, err := s.access.Message(ctx, v, *m.ReplyToID)
	if _, ok := apperr.As(err); ok {
		return nil, nil // gone, or not for this viewer: it reads as none
	}
	return r, err
}
