package graph

import (
	"parley/ent"
	"parley/ent/channel"
	"parley/ent/conversation"
	"parley/ent/schema/pulid"
	"parley/graph/model"
)

// NewComplexity prices lists by the page they ask for, so a query that
// nests large pages inside large pages is refused before it runs.
func NewComplexity() ComplexityRoot {
	var c ComplexityRoot
	c.Query.Users = func(child int, _ *string, first *int, _ *ent.Cursor, _ *bool) int { return page(child, first, nil) }
	c.Query.Chats = func(child int, _ *bool, first *int, _ *ent.Cursor) int { return page(child, first, nil) }
	c.Query.Customers = func(child int, _ *string, first *int, _ *ent.Cursor) int { return page(child, first, nil) }
	c.Query.SearchMessages = func(child int, _ string, _ *pulid.ID, first *int, _ *ent.Cursor) int {
		return page(child, first, nil)
	}
	c.Query.Sessions = func(child int, _ *conversation.Status, _ *channel.Kind, _ *pulid.ID, _ *conversation.ReplyState, first *int, _ *ent.Cursor, _ *bool, _ *model.SessionSort) int {
		return page(child, first, nil)
	}
	c.Query.Nodes = func(child int, ids []pulid.ID) int { return 1 + child*max(len(ids), 1) }
	messages := func(child int, first *int, _ *ent.Cursor, last *int, _ *ent.Cursor) int {
		return page(child, first, last)
	}
	c.Chat.Messages = messages
	c.Session.Messages = messages
	// Up to 200 members (or readers), priced as a typical page.
	c.Chat.Members = func(child int) int { return 1 + child*10 }
	c.Channel.Agents = func(child int) int { return 1 + child*10 }
	c.Customer.Sessions = func(child int) int { return 1 + child*10 }
	c.Message.ReadBy = func(child int) int { return 1 + child*10 }
	return c
}

func page(child int, first, last *int) int {
	n := defaultPageSize
	switch {
	case first != nil:
		n = *first
	case last != nil:
		n = *last
	}
	return 1 + child*max(n, 1)
}
