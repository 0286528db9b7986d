// Package model holds the GraphQL types that are not ent types: the two
// faces of a Conversation and gqlgen's generated inputs and payloads.
package model

import (
	"sync"

	"parley/ent"
)

// Conversation is the GraphQL interface both faces implement.
type Conversation interface {
	IsNode()
	IsConversation()
}

// Chat is a DIRECT or GROUP conversation as one user sees it.
type Chat struct {
	*ent.Conversation
	Viewer
	// Peer is the other person of a DIRECT chat, when already loaded.
	Peer *ent.User
}

// Session is an EXTERNAL conversation as one agent (or its visitor) sees it.
type Session struct {
	*ent.Conversation
	Viewer
}

// Viewer holds the caller's own member row of the conversation (muted,
// pinned, counters), loaded at most once even when resolvers run in parallel,
// and whether the caller may read the conversation now.
type Viewer struct {
	once   sync.Once
	member *ent.Member
	err    error
	// load, when set, reads the row in place of Own's (WrapOwn).
	load func() (*ent.Member, error)

	access   sync.Once
	readable bool
}

// Readable reports whether the caller may read the conversation now: check
// decides it the first time, unless the wrapper came from a query that
// already did (Checked).
func (v *Viewer) Readable(check func() bool) bool {
	v.access.Do(func() { v.readable = check() })
	return v.readable
}

// Own returns the caller's member row, calling load the first time unless
// it was given when the wrapper was made.
func (v *Viewer) Own(load func() (*ent.Member, error)) (*ent.Member, error) {
	if v.load != nil {
		load = v.load
	}
	v.once.Do(func() { v.member, v.err = load() })
	return v.member, v.err
}

// IsNode marks Chat as a Relay node.
func (*Chat) IsNode() {}

// IsConversation marks Chat as a Conversation.
func (*Chat) IsConversation() {}

// IsNode marks Session as a Relay node.
func (*Session) IsNode() {}

// IsConversation marks Session as a Conversation.
func (*Session) IsConversation() {}

// Wrap returns the GraphQL face of a conversation; the caller's member row
// is loaded on first use, and so is the caller's access to it, unless it is
// Checked: a conversation reached through an event, a message or a call
// shows its content only to those who may read it now.
func Wrap(c *ent.Conversation) Conversation {
	if c == nil {
		return nil
	}
	if c.Kind == "EXTERNAL" {
		return &Session{Conversation: c}
	}
	return &Chat{Conversation: c}
}

// Checked marks a wrapped conversation as read through a query that
// already applied the caller's access now, so its fields need no second check.
func Checked(c Conversation) Conversation {
	switch w := c.(type) {
	case *Chat:
		w.Viewer.access.Do(func() { w.Viewer.readable = true })
	case *Session:
		w.Viewer.access.Do(func() { w.Viewer.readable = true })
	}
	return c
}

// WrapWith returns the GraphQL face of a conversation whose member row for
// the caller is already known (m may be nil: the caller has none).
func WrapWith(c *ent.Conversation, m *ent.Member) Conversation {
	w := Wrap(c)
	switch w := w.(type) {
	case *Chat:
		w.Viewer.once.Do(func() { w.Viewer.member = m })
	case *Session:
		w.Viewer.once.Do(func() { w.Viewer.member = m })
	}
	return w
}

// WrapOwn returns the GraphQL face of a conversation whose member row for
// the caller is read by load when a field first needs it (an event's:
// read once for all its receivers).
func WrapOwn(c *ent.Conversation, load func() (*ent.Member, error)) Conversation {
	w := Wrap(c)
	switch w := w.(type) {
	case *Chat:
		w.Viewer.load = load
	case *Session:
		w.Viewer.load = load
	}
	return w
}
