package access

import (
	"fmt"
	"slices"
	"strings"

	"parley/ent/channel"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/predicate"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/auth"
	"parley/server/history/events"
)

// The visibility rule — who may see a conversation, and so hear of what
// happens in it:
//
//   - a chat (direct or group): its members;
//   - a session with a customer: the admins, the agents of its channel, its
//     assignee (an agent it was forwarded to), and — for its messages that
//     are not for agents only — its Live Chat visitor.
//
// An event addressed to one user (their own read state, say) reaches that
// user alone. An event about a colleague (USER_UPDATED) reaches every
// colleague, as the directory is everyone's; never a visitor. The rule is written once per language it is asked in, side by
// side below, and server/access's agreement test holds them to each other:
// the ent predicates (queries and node(id:)), the event log's SQL (a
// reconnecting stream's catch-up), the relay's audience (live delivery) and
// the badges' SQL for agents, and the search's SQL. Change one, change them all.

// VisibleChats selects the chats the viewer may see: those they are a member of.
func VisibleChats(v *auth.Viewer) predicate.Conversation {
	return conversation.HasMembersWith(member.UserID(v.UserID))
}

// VisibleSessions selects the sessions the viewer may see: all for an admin;
// those of their channels and those forwarded to them for an agent; its own
// for a Live Chat visitor.
func VisibleSessions(v *auth.Viewer) predicate.Conversation {
	kind := sessionKind()
	switch {
	case v.IsAdmin():
		return kind
	case v.IsVisitor():
		return conversation.And(kind, conversation.ID(v.VisitorSessionID))
	}
	return conversation.And(kind, conversation.Or(
		conversation.AssigneeID(v.UserID),
		conversation.HasChannelWith(channel.HasAgentsWith(user.ID(v.UserID))),
	))
}

// WorkedChannels selects the channels the viewer works in: all for an
// admin, their own for an agent — the channels whose sessions they see.
func WorkedChannels(v *auth.Viewer) predicate.Channel {
	if v.IsAdmin() {
		return channel.And()
	}
	return channel.HasAgentsWith(user.ID(v.UserID))
}

// MessageVisible says whether the viewer, who may see the conversation, may
// read a message of it: a visitor never reads one for agents only.
func MessageVisible(v *auth.Viewer, agentsOnly bool) bool { return !v.IsVisitor() || !agentsOnly }

// visitorHears says whether a session's visitor receives an event of it:
// the messages, not those for agents only.
func visitorHears(t events.Type, agentsOnly bool) bool {
	return !agentsOnly && slices.Contains(visitorEventTypes, t)
}

var visitorEventTypes = []events.Type{events.MessageAdded, events.MessageUpdated}

// LogWhere is the condition on the event log (alias e: events; members m,
// channel_agents ca and conversations c in subqueries) selecting the entries
// the viewer may see; arg binds a value and returns its placeholder.
func LogWhere(v *auth.Viewer, arg func(any) string) string {
	if v.IsVisitor() {
		types := make([]string, len(visitorEventTypes))
		for i, t := range visitorEventTypes {
			types[i] = arg(string(t))
		}
		return fmt.Sprintf(`(e.conversation_id = %s AND e.user_id IS NULL AND e.agents_only = %s AND e.type IN (%s))`,
			arg(string(v.VisitorSessionID)), arg(false), join(types))
	}
	u := arg(string(v.UserID))
	return fmt.Sprintf(`(e.user_id = %[1]s OR e.type = %[3]s
		OR (e.user_id IS NULL AND e.channel_id IS NULL AND e.conversation_id IN (SELECT m.conversation_id FROM members m WHERE m.user_id = %[1]s))
		OR (e.user_id IS NULL AND e.channel_id IS NOT NULL AND (%[2]s
			OR e.channel_id IN (SELECT ca.channel_id FROM channel_agents ca WHERE ca.user_id = %[1]s)
			OR e.conversation_id IN (SELECT c.id FROM conversations c WHERE c.assignee_id = %[1]s))))`,
		u, arg(v.IsAdmin()), arg(string(events.UserUpdated)))
}

// ReadableSQL is the condition that col, a conversation id, names a
// conversation the colleague v may read, sessions only when external (the
// plan) allows them; for the search.
func ReadableSQL(v *auth.Viewer, external bool, col string, arg func(any) string) string {
	me := arg(string(v.UserID))
	var b strings.Builder
	fmt.Fprintf(&b, `(%s IN (SELECT mb.conversation_id FROM members mb JOIN conversations c ON c.id = mb.conversation_id WHERE mb.user_id = %s AND c.kind <> 'EXTERNAL')`, col, me)
	if external {
		switch {
		case v.IsAdmin():
			fmt.Fprintf(&b, ` OR %s IN (SELECT c.id FROM conversations c WHERE c.kind = 'EXTERNAL')`, col)
		case v.Role == user.RoleAGENT:
			fmt.Fprintf(&b, ` OR %[2]s IN (SELECT c.id FROM conversations c WHERE c.kind = 'EXTERNAL' AND (c.assignee_id = %[1]s OR c.channel_id IN (SELECT ca.channel_id FROM channel_agents ca WHERE ca.user_id = %[1]s)))`, me, col)
		}
	}
	b.WriteString(`)`)
	return b.String()
}

// EventFacts are what the relay knows of an event when it delivers it.
type EventFacts struct {
	Type           events.Type
	UserID         pulid.ID // addressed to this user alone
	ChannelID      pulid.ID // set for a session's events
	AgentsOnly     bool
	Members        []pulid.ID // of the chat
	ChannelAgents  []pulid.ID // of the session's channel
	Admins         []pulid.ID
	Colleagues     []pulid.ID // every active colleague, for USER_UPDATED
	AssigneeID     *pulid.ID  // of the session
	VisitorContact *pulid.ID  // the session's contact, who may be a Live Chat visitor
}

// Audience is who receives an event: users, and the contact of a session's
// visitor (nil when not them).
func Audience(f EventFacts) (users []pulid.ID, visitor *pulid.ID) {
	if f.Type == events.UserUpdated {
		return f.Colleagues, nil
	}
	if f.UserID != "" {
		return []pulid.ID{f.UserID}, nil
	}
	if f.ChannelID == "" { // a chat
		return f.Members, nil
	}
	users = append(slices.Clone(f.ChannelAgents), f.Admins...)
	if f.AssigneeID != nil {
		users = append(users, *f.AssigneeID)
	}
	if f.VisitorContact != nil && visitorHears(f.Type, f.AgentsOnly) {
		visitor = f.VisitorContact
	}
	return pulid.Uniq(users), visitor
}

// AgentSessionsSQL selects (u, and the columns cols of c) for every session
// c that each agent u in agents (a list of placeholders) sees, once per
// agent, among the sessions where selects; for the badges of many agents
// at once.
func AgentSessionsSQL(agents, cols, where string) string {
	return `SELECT ca.user_id AS u, ` + cols + ` FROM conversations c JOIN channel_agents ca ON ca.channel_id = c.channel_id
			WHERE ca.user_id IN (` + agents + `) AND c.kind = 'EXTERNAL' AND ` + where + `
		UNION
		SELECT c.assignee_id AS u, ` + cols + ` FROM conversations c
			WHERE c.assignee_id IN (` + agents + `) AND c.kind = 'EXTERNAL' AND ` + where
}

func chatKind() predicate.Conversation {
	return conversation.And(conversation.KindNEQ(conversation.KindEXTERNAL), conversation.EndedAtIsNil())
}

func sessionKind() predicate.Conversation { return conversation.KindEQ(conversation.KindEXTERNAL) }

func join(s []string) string { return strings.Join(s, ", ") }
