// Package model holds the GraphQL types that are not ent types: the two
// faces of a Conversation and gqlgen's generated inputs and payloads.
package model

import "parley/ent"

// Chat is a DIRECT or GROUP conversation as one user sees it.
type Chat struct {
	*ent.Conversation
	// Member is the caller's membership row, when it was loaded with the chat.
	Member *ent.Member
}

// Session is an EXTERNAL conversation as one agent sees it.
type Session struct {
	*ent.Conversation
	// Member is the agent's own preferences (muted, pinned), if any were loaded.
	Member *ent.Member
}

// IsNode marks Chat as a Relay node.
func (*Chat) IsNode() {}

// IsConversation marks Chat as a Conversation.
func (*Chat) IsConversation() {}

// IsNode marks Session as a Relay node.
func (*Session) IsNode() {}

// IsConversation marks Session as a Conversation.
func (*Session) IsConversation() {}

// Wrap returns the GraphQL face of a conversation: Chat or Session by kind.
func Wrap(c *ent.Conversation, m *ent.Member) Conversation {
	if c == nil {
		return nil
	}
	if c.Kind == "EXTERNAL" {
		return &Session{Conversation: c, Member: m}
	}
	return &Chat{Conversation: c, Member: m}
}

// Conversation is the GraphQL interface both faces implement.
type Conversation interface {
	IsNode()
	IsConversation()
}
