package graph

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"parley/ent"
	"parley/ent/message"
	"parley/ent/schema/pulid"
	"parley/graph/model"
	"parley/server/apperr"
	"parley/server/calls"
	"parley/server/chat"
	"parley/server/feed"
	"parley/server/inbox"
)

// badges converts the feed's badges to GraphQL's.
func badges(b feed.Badges) *model.Badges {
	return &model.Badges{ID: pulid.ID(b.ID), InternalUnread: b.InternalUnread, Mentions: b.Mentions, MutedWithUnread: b.MutedWithUnread,
		ExternalUnread: b.ExternalUnread, ExternalUnanswered: b.ExternalUnanswered, ExternalOverdue: b.ExternalOverdue, Total: b.Total()}
}

// event converts one entry of the feed's stream.
func event(e feed.Event) *model.Event {
	out := &model.Event{Cursor: e.Cursor, Type: model.EventType(e.Type), Message: e.Message, Call: e.Call, User: e.User}
	if e.Conversation != nil {
		out.Conversation = model.WrapOwn(e.Conversation, e.Own)
	}
	if e.Badges != nil {
		out.Badges = badges(*e.Badges)
	}
	if out.Type == model.EventTypeTyping {
		out.Typing = typing(e)
	}
	out.User = e.User
	if e.CallSignal != nil {
		out.CallSignal = callSignal(e)
	}
	return out
}

// callSignal converts a CALL_SIGNAL entry of the feed's stream.
func callSignal(e feed.Event) *model.CallSignal {
	sig := e.CallSignal
	out := &model.CallSignal{Call: e.Call, From: e.User, FromDevice: sig.FromDevice, Kind: model.CallSignalKind(sig.Kind),
		Payload: sig.Payload, Seq: int(sig.Seq)}
	if sig.ToDevice != "" {
		out.ToDevice = &sig.ToDevice
	}
	return out
}

// iceServers converts the calls' ICE servers.
func iceServers(in []calls.IceServer) []*model.IceServer {
	out := make([]*model.IceServer, len(in))
	for i, s := range in {
		out[i] = &model.IceServer{Urls: s.URLs, Username: s.Username, Credential: s.Credential}
	}
	return out
}

// typing converts a TYPING entry of the feed's stream.
func typing(e feed.Event) *model.Typing {
	return &model.Typing{Conversation: model.WrapOwn(e.Conversation, e.Own), User: e.User, ExpiresAt: e.ExpiresAt}
}

// messageTags converts the seam's tag names to GraphQL's enum (never null).
func messageTags(tags []string) []message.MessageTag {
	out := make([]message.MessageTag, len(tags))
	for i, t := range tags {
		out[i] = message.MessageTag(t)
	}
	return out
}

// chatCursor encodes a position in the chat list as a Relay cursor.
func chatCursor(c chat.ChatCursor) ent.Cursor {
	pinned := "0"
	if c.Pinned {
		pinned = "1"
	}
	return ent.Cursor{ID: c.ID, Value: pinned + "." + strconv.FormatInt(c.ActivityAt.UnixNano(), 10)}
}

func parseChatCursor(c *ent.Cursor) (*chat.ChatCursor, error) {
	if c == nil {
		return nil, nil
	}
	v, _ := c.Value.(string)
	p, n, ok := strings.Cut(v, ".")
	nanos, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || (p != "0" && p != "1") {
		return nil, apperr.BadInput("after is not a cursor of this list").With("field", "after")
	}
	return &chat.ChatCursor{Pinned: p == "1", ActivityAt: time.Unix(0, nanos).UTC(), ID: c.ID}, nil
}

// chatOf wraps a conversation a service returned as a Chat.
func chatOf(c *ent.Conversation, err error) (*model.Chat, error) {
	if err != nil {
		return nil, err
	}
	ch, ok := model.Checked(model.Wrap(c)).(*model.Chat)
	if !ok {
		return nil, fmt.Errorf("conversation %s is not a chat", c.ID)
	}
	return ch, nil
}

// conversationOf wraps a conversation a service returned.
func conversationOf(c *ent.Conversation, err error) (model.Conversation, error) {
	if err != nil {
		return nil, err
	}
	return model.Checked(model.Wrap(c)), nil
}

// own returns the caller's member row of a wrapped conversation.
func (r *Resolver) own(ctx context.Context, w *model.Viewer, id pulid.ID) *ent.Member {
	m, err := w.Own(func() (*ent.Member, error) { return r.Access.Member(ctx, viewer(ctx), id) })
	if err != nil {
		return nil
	}
	return m
}

// badgeOf is how a conversation's mark shows for the caller.
func badgeOf(unread int, muted bool) model.BadgeDisplay {
	switch {
	case unread == 0:
		return model.BadgeDisplayNone
	case muted:
		return model.BadgeDisplayDot
	}
	return model.BadgeDisplayCount
}

// messagesOf pages through a conversation's history (oldest first).
func (r *Resolver) messagesOf(ctx context.Context, c *ent.Conversation, first *int, after *ent.Cursor, last *int, before *ent.Cursor) (*ent.MessageConnection, error) {
	f, l, err := pageSize(first, last)
	if err != nil {
		return nil, err
	}
	return r.ChatService.Messages(ctx, viewer(ctx), c).Paginate(exactPage(ctx), after, f, before, l,
		ent.WithMessageOrder(&ent.MessageOrder{Field: ent.MessageOrderFieldSeq, Direction: "ASC"}))
}

// sessionOf wraps a conversation a service returned as a Session.
func sessionOf(c *ent.Conversation, err error) (*model.Session, error) {
	if err != nil {
		return nil, err
	}
	return checkedSession(c), nil
}

// checkedSession wraps a session a service returned after checking the caller's access.
func checkedSession(c *ent.Conversation) *model.Session {
	return model.Checked(&model.Session{Conversation: c}).(*model.Session)
}

func sessionsOf(cs []*ent.Conversation) []*model.Session {
	out := make([]*model.Session, len(cs))
	for i, c := range cs {
		out[i] = checkedSession(c)
	}
	return out
}

// sessionCursor encodes a position in the inbox: sort, pin, time, id.
func sessionCursor(c inbox.SessionCursor) ent.Cursor {
	pin := "0"
	if c.Pinned {
		pin = "1"
	}
	at := int64(0)
	if !c.At.IsZero() {
		at = c.At.UnixNano()
	}
	return ent.Cursor{ID: c.ID, Value: string(c.Sort) + ":" + pin + ":" + strconv.FormatInt(at, 10)}
}

func parseSessionCursor(c *ent.Cursor) (*inbox.SessionCursor, error) {
	if c == nil {
		return nil, nil
	}
	bad := apperr.BadInput("after is not a cursor of this list").With("field", "after")
	v, _ := c.Value.(string)
	parts := strings.Split(v, ":")
	if len(parts) != 3 || (parts[1] != "0" && parts[1] != "1") {
		return nil, bad
	}
	nanos, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return nil, bad
	}
	at := time.Time{}
	if nanos != 0 {
		at = time.Unix(0, nanos).UTC()
	}
	return &inbox.SessionCursor{Sort: inbox.SessionSort(parts[0]), Pinned: parts[1] == "1", At: at, ID: c.ID}, nil
}

func credentials(in *model.ChannelCredentialsInput) map[string]string {
	out := map[string]string{}
	if in == nil {
		return out
	}
	for k, v := range map[string]*string{
		"accessToken": in.AccessToken, "appSecret": in.AppSecret, "verifyToken": in.VerifyToken,
		"accountSid": in.AccountSid, "authToken": in.AuthToken,
	} {
		if v != nil && *v != "" {
			out[k] = *v
		}
	}
	return out
}

func int64p(n *int) *int64 {
	if n == nil {
		return nil
	}
	v := int64(*n)
	return &v
}

func ptr[T any](v T) *T { return &v }
