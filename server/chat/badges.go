package chat

import (
	"context"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/predicate"
	"parley/ent/user"
	"parley/server/auth"
)

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

// Badges reads the viewer's badges from the per-member counters: it never
// counts messages.
func (s *Service) Badges(ctx context.Context, v *auth.Viewer) (Badges, error) {
	var b Badges
	if v.UserID == "" {
		return b, nil
	}
	var rows []struct {
		Muted  bool `json:"muted"`
		Unread int  `json:"unread"`
		Ment   int  `json:"ment"`
		Chats  int  `json:"chats"`
	}
	err := s.db.Member.Query().Where(member.UserID(v.UserID), member.Or(member.UnreadCountGT(0), member.MentionCountGT(0))).
		GroupBy(member.FieldMuted).
		Aggregate(ent.As(ent.Sum(member.FieldUnreadCount), "unread"), ent.As(ent.Sum(member.FieldMentionCount), "ment"),
			ent.As(ent.Count(), "chats")).
		Scan(ctx, &rows)
	if err != nil {
		return b, err
	}
	for _, r := range rows {
		b.Mentions += r.Ment
		if r.Muted {
			b.MutedWithUnread += r.Chats
		} else {
			b.InternalUnread += r.Unread
		}
	}
	if !s.ExternalAllowed || (v.Role != user.RoleADMIN && v.Role != user.RoleAGENT) {
		return b, nil
	}
	visible := s.visibleSessions(v)
	if b.ExternalUnread, err = s.db.Conversation.Query().
		Where(visible, conversation.StatusEQ(conversation.StatusOPEN), conversation.ReplyStateEQ(conversation.ReplyStateUNREAD)).
		Count(ctx); err != nil {
		return b, err
	}
	b.ExternalUnanswered, err = s.db.Conversation.Query().
		Where(visible, conversation.StatusEQ(conversation.StatusOPEN), conversation.ReplyStateEQ(conversation.ReplyStateUNANSWERED)).
		Count(ctx)
	return b, err
}

// visibleSessions selects the sessions the viewer may see.
func (s *Service) visibleSessions(v *auth.Viewer) predicate.Conversation {
	kind := conversation.KindEQ(conversation.KindEXTERNAL)
	if v.IsAdmin() {
		return kind
	}
	return conversation.And(kind, conversation.Or(
		conversation.AssigneeID(v.UserID),
		conversation.HasChannelWith(channelHasAgent(v.UserID)),
	))
}
