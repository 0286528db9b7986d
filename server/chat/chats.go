package chat

import (
	"context"
	"fmt"
	"strings"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
	"parley/server/history/events"
)

// CreateDirect returns the viewer's direct chat with another user, creating
// it the first time. The same pair always gets the same chat.
func (s *Service) CreateDirect(ctx context.Context, v *auth.Viewer, other pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("chat.CreateDirect", &err)
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	if other == v.UserID {
		return nil, apperr.BadInput("a direct chat is with someone else").With("field", "userId")
	}
	peer, err := s.db.User.Get(ctx, other)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such user")
	}
	if err != nil {
		return nil, err
	}
	key := directKey(v.UserID, other)
	if c, err := s.directByKey(ctx, key); c != nil || err != nil {
		return c, err // an existing chat stays open to read, even with a deactivated user
	}
	if !peer.Active {
		return nil, apperr.BadInput("%s is deactivated", peer.Name).With("field", "userId")
	}
	var conv *ent.Conversation
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		var err error
		conv, err = tx.Conversation.Create().SetID(pulid.MustNew("ch")).SetKind(conversation.KindDIRECT).
			SetDirectKey(key).Save(ctx)
		if err != nil {
			return err
		}
		now := s.now()
		if err := tx.Member.CreateBulk(
			tx.Member.Create().SetConversationID(conv.ID).SetUserID(v.UserID).SetActivityAt(now),
			tx.Member.Create().SetConversationID(conv.ID).SetUserID(other).SetActivityAt(now),
		).Exec(ctx); err != nil {
			return err
		}
		tx.Emit(history.ConversationEvent(events.ConversationAdded, conv))
		return nil
	})
	if ent.IsConstraintError(err) { // created concurrently by the other side
		return s.directByKey(ctx, key)
	}
	if err != nil {
		return nil, err
	}
	return conv.Unwrap(), nil
}

func (s *Service) directByKey(ctx context.Context, key string) (*ent.Conversation, error) {
	c, err := s.db.Conversation.Query().Where(conversation.DirectKey(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

func directKey(a, b pulid.ID) string {
	if b < a {
		a, b = b, a
	}
	return string(a) + ":" + string(b)
}

// CreateGroup makes a group chat; the creator is its admin.
func (s *Service) CreateGroup(ctx context.Context, v *auth.Viewer, title string, memberIDs []pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("chat.CreateGroup", &err)
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	title, err = groupTitle(title)
	if err != nil {
		return nil, err
	}
	ids := pulid.Uniq(append([]pulid.ID{v.UserID}, memberIDs...))
	if len(ids) > s.limits.GroupMembers {
		return nil, s.membersLimit()
	}
	var conv *ent.Conversation
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		users, err := s.lockUsers(ctx, tx, ids)
		if err != nil {
			return err
		}
		if err := s.checkGroupsPerUser(ctx, tx, users); err != nil {
			return err
		}
		conv, err = tx.Conversation.Create().SetID(pulid.MustNew("ch")).SetKind(conversation.KindGROUP).
			SetTitle(title).SetAdminID(v.UserID).Save(ctx)
		if err != nil {
			return err
		}
		if err := s.addMembers(ctx, tx, conv, ids); err != nil {
			return err
		}
		tx.Emit(history.ConversationEvent(events.ConversationAdded, conv))
		text := fmt.Sprintf("%s created the group %q", nameOf(users, v.UserID), title)
		if others := names(users, ids[1:]); others != "" {
			text += " with " + others
		}
		_, err = tx.System(ctx, conv, text, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.db.Conversation.Get(ctx, conv.ID)
}

// AddMembers adds users to a group; only its admin may.
func (s *Service) AddMembers(ctx context.Context, v *auth.Viewer, chatID pulid.ID, userIDs []pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("chat.AddMembers", &err)
	if len(userIDs) == 0 {
		return nil, apperr.BadInput("name at least one user").With("field", "userIds")
	}
	err = s.adminChange(ctx, v, chatID, func(tx *history.Tx, conv *ent.Conversation) error {
		current, err := tx.Member.Query().Where(member.ConversationID(conv.ID)).Select(member.FieldUserID).Strings(ctx)
		if err != nil {
			return err
		}
		isMember := map[pulid.ID]bool{}
		for _, id := range current {
			isMember[pulid.ID(id)] = true
		}
		var add []pulid.ID
		for _, id := range pulid.Uniq(userIDs) {
			if !isMember[id] {
				add = append(add, id)
			}
		}
		if len(add) == 0 {
			return nil
		}
		if len(current)+len(add) > s.limits.GroupMembers {
			return s.membersLimit()
		}
		users, err := s.lockUsers(ctx, tx, append(add, v.UserID))
		if err != nil {
			return err
		}
		if err := s.checkGroupsPerUser(ctx, tx, users[:len(add)]); err != nil {
			return err
		}
		if err := s.addMembers(ctx, tx, conv, add); err != nil {
			return err
		}
		evs := []history.Event{history.ConversationEvent(events.ConversationUpdated, conv)}
		for _, id := range add {
			evs = append(evs, history.UserEvent(events.ConversationAdded, id, conv))
		}
		tx.Emit(evs...)
		_, err = tx.System(ctx, conv, fmt.Sprintf("%s added %s", nameOf(users, v.UserID), names(users, add)), false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.db.Conversation.Get(ctx, chatID)
}

// RemoveMember takes a user out of a group; only its admin may.
func (s *Service) RemoveMember(ctx context.Context, v *auth.Viewer, chatID, userID pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("chat.RemoveMember", &err)
	if userID == v.UserID {
		return nil, apperr.BadInput("to remove yourself, leave the chat").With("field", "userId")
	}
	err = s.adminChange(ctx, v, chatID, func(tx *history.Tx, conv *ent.Conversation) error {
		n, err := tx.Member.Delete().Where(member.ConversationID(conv.ID), member.UserID(userID)).Exec(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.BadInput("that user is not a member of this chat").With("field", "userId")
		}
		users, err := tx.User.Query().Where(user.IDIn(v.UserID, userID)).All(ctx)
		if err != nil {
			return err
		}
		tx.Emit(
			history.ConversationEvent(events.ConversationUpdated, conv),
			history.UserEvent(events.ConversationRemoved, userID, conv))
		_, err = tx.System(ctx, conv, fmt.Sprintf("%s removed %s", nameOf(users, v.UserID), nameOf(users, userID)), false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.db.Conversation.Get(ctx, chatID)
}

// Rename changes a group's title; only its admin may.
func (s *Service) Rename(ctx context.Context, v *auth.Viewer, chatID pulid.ID, title string) (_ *ent.Conversation, err error) {
	defer apperr.At("chat.Rename", &err)
	title, err = groupTitle(title)
	if err != nil {
		return nil, err
	}
	err = s.adminChange(ctx, v, chatID, func(tx *history.Tx, conv *ent.Conversation) error {
		if conv.Title == title {
			return nil
		}
		if err := tx.Conversation.UpdateOneID(conv.ID).SetTitle(title).Exec(ctx); err != nil {
			return err
		}
		me, err := tx.User.Get(ctx, v.UserID)
		if err != nil {
			return err
		}
		tx.Emit(history.ConversationEvent(events.ConversationUpdated, conv))
		_, err = tx.System(ctx, conv, fmt.Sprintf("%s renamed the group to %q", me.Name, title), false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.db.Conversation.Get(ctx, chatID)
}

// Leave takes the viewer out of a group. An admin who leaves hands the
// group to the longest-standing member; the last one out ends it.
func (s *Service) Leave(ctx context.Context, v *auth.Viewer, chatID pulid.ID) (err error) {
	defer apperr.At("chat.Leave", &err)
	conv, err := s.access.Chat(ctx, v, chatID)
	if err != nil {
		return err
	}
	if conv.Kind != conversation.KindGROUP {
		return apperr.BadInput("a direct chat cannot be left; archive it instead").With("field", "chatId")
	}
	return s.history.Write(ctx, func(tx *history.Tx) error {
		conv, err := s.lockConversation(ctx, tx, chatID)
		if err != nil {
			return err
		}
		n, err := tx.Member.Delete().Where(member.ConversationID(chatID), member.UserID(v.UserID)).Exec(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.Forbid("you are not a member of this chat")
		}
		evs := []history.Event{history.UserEvent(events.ConversationRemoved, v.UserID, conv)}
		next, err := tx.Member.Query().Where(member.ConversationID(chatID)).
			Order(ent.Asc(member.FieldJoinedAt), ent.Asc(member.FieldID)).First(ctx)
		if ent.IsNotFound(err) { // the last one out
			if err := tx.Conversation.UpdateOneID(chatID).SetEndedAt(s.now()).ClearAdminID().Exec(ctx); err != nil {
				return err
			}
			tx.Emit(evs...)
			return nil
		}
		if err != nil {
			return err
		}
		me, err := tx.User.Get(ctx, v.UserID)
		if err != nil {
			return err
		}
		text := me.Name + " left"
		if conv.AdminID != nil && *conv.AdminID == v.UserID {
			heir, err := tx.User.Get(ctx, next.UserID)
			if err != nil {
				return err
			}
			if err := tx.Conversation.UpdateOneID(chatID).SetAdminID(heir.ID).Exec(ctx); err != nil {
				return err
			}
			text += "; " + heir.Name + " is now the admin"
		}
		evs = append(evs, history.ConversationEvent(events.ConversationUpdated, conv))
		tx.Emit(evs...)
		_, err = tx.System(ctx, conv, text, false)
		return err
	})
}

// adminChange runs a change of a group that only its admin may make, with
// the group's row locked.
func (s *Service) adminChange(ctx context.Context, v *auth.Viewer, chatID pulid.ID, change func(*history.Tx, *ent.Conversation) error) error {
	if _, err := s.access.Chat(ctx, v, chatID); err != nil {
		return err
	}
	return s.history.Write(ctx, func(tx *history.Tx) error {
		conv, err := s.lockConversation(ctx, tx, chatID)
		if err != nil {
			return err
		}
		if conv.Kind != conversation.KindGROUP {
			return apperr.BadInput("a direct chat has no admin; start a group instead").With("field", "chatId")
		}
		if conv.AdminID == nil || *conv.AdminID != v.UserID {
			return apperr.Forbid("only the group's admin can do that")
		}
		return change(tx, conv)
	})
}

// lockConversation reads a conversation's row for update: membership
// changes of one group happen one at a time.
func (s *Service) lockConversation(ctx context.Context, tx *history.Tx, id pulid.ID) (*ent.Conversation, error) {
	c, err := history.ForUpdate(tx, tx.Conversation.Query().Where(conversation.ID(id), conversation.EndedAtIsNil())).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such chat")
	}
	return c, err
}

// lockUsers loads the users (in the order given), locking their rows so two
// groups cannot take one user past the limit at once.
func (s *Service) lockUsers(ctx context.Context, tx *history.Tx, ids []pulid.ID) ([]*ent.User, error) {
	found, err := history.ForUpdate(tx, tx.User.Query().Where(user.IDIn(ids...))).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[pulid.ID]*ent.User{}
	for _, u := range found {
		byID[u.ID] = u
	}
	out := make([]*ent.User, 0, len(ids))
	for _, id := range ids {
		u := byID[id]
		if u == nil {
			return nil, apperr.Missing("no user with id %s", id).With("field", "userIds")
		}
		if !u.Active {
			return nil, apperr.BadInput("%s is deactivated", u.Name).With("field", "userIds")
		}
		out = append(out, u)
	}
	return out, nil
}

// checkGroupsPerUser refuses if any of the users is already in as many groups as allowed.
func (s *Service) checkGroupsPerUser(ctx context.Context, tx *history.Tx, users []*ent.User) error {
	ids := make([]pulid.ID, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	var counts []struct {
		UserID pulid.ID `json:"user_id"`
		Count  int      `json:"count"`
	}
	err := tx.Member.Query().
		Where(member.UserIDIn(ids...), member.HasConversationWith(conversation.KindEQ(conversation.KindGROUP))).
		GroupBy(member.FieldUserID).Aggregate(ent.Count()).Scan(ctx, &counts)
	if err != nil {
		return err
	}
	for _, c := range counts {
		if c.Count >= s.limits.GroupsPerUser {
			name := ""
			for _, u := range users {
				if u.ID == c.UserID {
					name = u.Name
				}
			}
			return apperr.Limit("groupsPerUser", int64(s.limits.GroupsPerUser),
				"%s is already in %d group chats, the most one user can be in", name, s.limits.GroupsPerUser).
				With("userId", string(c.UserID))
		}
	}
	return nil
}

func (s *Service) membersLimit() error {
	return apperr.Limit("groupMembers", int64(s.limits.GroupMembers),
		"a group chat has at most %d members, the admin included", s.limits.GroupMembers)
}

// addMembers inserts member rows; new members start with everything read.
func (s *Service) addMembers(ctx context.Context, tx *history.Tx, conv *ent.Conversation, ids []pulid.ID) error {
	now := s.now()
	cur, err := tx.Conversation.Query().Where(conversation.ID(conv.ID)).Select(conversation.FieldLastSeq, conversation.FieldCounted).Only(ctx)
	if err != nil {
		return err
	}
	builders := make([]*ent.MemberCreate, len(ids))
	for i, id := range ids {
		builders[i] = tx.Member.Create().SetConversationID(conv.ID).SetUserID(id).
			SetJoinedAt(now).SetActivityAt(now).SetReadSeq(cur.LastSeq).SetUnreadBase(cur.Counted)
	}
	return tx.Member.CreateBulk(builders...).Exec(ctx)
}

func groupTitle(t string) (string, error) {
	t = strings.TrimSpace(t)
	if t == "" || textLen(t) > 200 {
		return "", apperr.BadInput("a group's title must be 1 to 200 characters").With("field", "title")
	}
	return t, nil
}

func nameOf(users []*ent.User, id pulid.ID) string {
	for _, u := range users {
		if u.ID == id {
			return u.Name
		}
	}
	return "someone"
}

// names lists the users' names, in the order of ids: "A, B and C".
func names(users []*ent.User, ids []pulid.ID) string {
	var ns []string
	for _, id := range ids {
		ns = append(ns, nameOf(users, id))
	}
	switch len(ns) {
	case 0:
		return ""
	case 1:
		return ns[0]
	}
	return strings.Join(ns[:len(ns)-1], ", ") + " and " + ns[len(ns)-1]
}

func orMissing(err error, msg string) error {
	if err != nil {
		return err
	}
	return apperr.Missing("%s", msg)
}
