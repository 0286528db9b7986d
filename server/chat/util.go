package chat

import (
	entsql "entgo.io/ent/dialect/sql"

	"parley/ent"

	"unicode/utf8"

	"parley/ent/channel"
	"parley/ent/conversation"
	"parley/ent/predicate"
	"parley/ent/schema/pulid"
)

func channelID(id pulid.ID) predicate.Channel { return channel.ID(id) }

// textLen counts characters as people do: code points, so an emoji is one.
func textLen(s string) int { return utf8.RuneCountInString(s) }

func ptr[T any](v T) *T { return &v }

// forUpdate locks the rows a query reads until commit, on PostgreSQL. SQLite
// has no row locks and needs none: its writers take turns (see db.Tx).
func forUpdate[Q interface{ ForUpdate(...entsql.LockOption) Q }](s *Service, q Q) Q {
	if s.db.IsPostgres() {
		return q.ForUpdate()
	}
	return q
}

func conversationOf(channelID, contactID pulid.ID) predicate.Conversation {
	return conversation.And(conversation.ChannelID(channelID), conversation.ContactID(contactID))
}

func entSum(field, as string) ent.AggregateFunc { return ent.As(ent.Sum(field), as) }

func entCount(as string) ent.AggregateFunc { return ent.As(ent.Count(), as) }

// deref is the string p points to, or "".
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
