package feed

import (
	"maps"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/schema/pulid"
	"parley/server/history"
	"parley/server/history/events"
	"parley/server/pubsub"
)

// marks are what a reader's badges are summed from: their chats' counters
// and the sessions' part. A stream keeps its reader's marks and moves them
// with what it is delivered (follow), so that a message moves its
// receivers' badges from the counters its send moved, without a query per
// receiver; the sessions' part is read again when a session changes.
type marks struct {
	// chats holds the reader's chats with something unread or a mention,
	// and those the stream has since heard of; nil: not read yet.
	chats map[pulid.ID]chatMark
	// external is the sessions' part of the badges.
	external Badges
	// externalStale: a session changed since external was read.
	externalStale bool
}

// chatMark is what the badges need of one chat of the reader's.
type chatMark struct {
	counted, base int64 // the chat's counted, the member's unread_base
	mentions      int
	muted         bool
}

func (m *marks) clone() *marks {
	c := *m
	c.chats = maps.Clone(m.chats)
	return &c
}

// badges sums the marks.
func (m *marks) badges() Badges {
	b := m.external
	for _, c := range m.chats {
		unread := history.Unread(c.counted, c.base)
		if unread == 0 && c.mentions == 0 {
			continue
		}
		b.Mentions += c.mentions
		if c.muted { // a muted chat is a dot, not a number
			b.MutedWithUnread++
		} else {
			b.InternalUnread += unread
		}
	}
	return b
}

// follow moves the marks with a delivery to reader that moves badges.
//
// Every change to a member's row has an event for that member, later in
// the log than anything read before the change, and a stream is delivered
// the log in order: so whatever follow reads or sets, the last delivery
// about a chat leaves its mark as the database has it. A message another
// member sent, mentioning nobody the reader is, only raises the chat's
// counted (to the counted its send left, carried by its event); the
// reader's own message puts their base there. Anything else reads the
// reader's row again (Delivery.Own: once per chat and batch for every
// receiver who asks).
func (m *marks) follow(d *pubsub.Delivery, reader pulid.ID) {
	if m.chats == nil {
		return // nothing read yet: the next update reads it all
	}
	conv := d.Conversation
	if conv == nil {
		m.chats = nil
		return
	}
	if conv.Kind == conversation.KindEXTERNAL {
		m.externalStale = true
		return
	}
	c, known := m.chats[conv.ID]
	if known && d.Type == events.MessageAdded && d.Counted > 0 && d.Message != nil {
		switch mine, mentioned, ok := about(d.Message, reader); {
		case ok && mine: // the sender has read up to their message
			c.counted, c.base, c.mentions = max(c.counted, d.Counted), d.Counted, 0
			m.chats[conv.ID] = c
			return
		case ok && !mentioned:
			c.counted = max(c.counted, d.Counted)
			m.chats[conv.ID] = c
			return
		}
	}
	own, err := d.Own()
	switch {
	case err != nil:
		m.chats = nil // read it all again at the next update
	case own == nil: // no longer a member
		delete(m.chats, conv.ID)
	default:
		m.chats[conv.ID] = chatMark{counted: max(c.counted, conv.Counted), base: own.UnreadBase,
			mentions: own.MentionCount, muted: own.Muted}
	}
}

// about says whether the reader sent a message and whether it mentions
// them; ok is false when its mentions were not loaded.
func about(msg *ent.Message, reader pulid.ID) (mine, mentioned, ok bool) {
	mentions, err := msg.Edges.MentionsOrErr()
	if err != nil {
		return false, false, false
	}
	for _, u := range mentions {
		mentioned = mentioned || u.ID == reader
	}
	return msg.SenderID != nil && *msg.SenderID == reader, mentioned, true
}
