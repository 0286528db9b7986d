package graph

import (
	"context"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/auth"
	"parley/server/chat"
)

// The mutations that take either kind of conversation go to the room of
// its kind, by the id's prefix: a session to the inbox, anything else to
// chat (which answers NOT_FOUND for what is not a chat). Uploads, mute and
// pin are per-member and the same for both kinds: chat serves them.

func isSession(id pulid.ID) bool { return id.Prefix() == "se" }

func (r *Resolver) send(ctx context.Context, v *auth.Viewer, in chat.SendInput) (*ent.Message, error) {
	if isSession(in.ConversationID) {
		return r.Inbox.Send(ctx, v, in)
	}
	return r.ChatService.Send(ctx, v, in)
}

func (r *Resolver) markRead(ctx context.Context, v *auth.Viewer, id pulid.ID, messageID *pulid.ID) (*ent.Conversation, error) {
	if isSession(id) {
		return r.Inbox.MarkRead(ctx, v, id, messageID)
	}
	return r.ChatService.MarkRead(ctx, v, id, messageID)
}

func (r *Resolver) archive(ctx context.Context, v *auth.Viewer, id pulid.ID, archived bool) (*ent.Conversation, error) {
	if isSession(id) {
		return r.Inbox.Archive(ctx, v, id, archived)
	}
	return r.ChatService.Archive(ctx, v, id, archived)
}
