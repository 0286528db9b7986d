package inbox

import (
	"context"
	"maps"
	"slices"
	"strings"

	"parley/ent"
	entchannel "parley/ent/channel"
	"parley/ent/conversation"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/channel"
	"parley/server/history"
	"parley/server/history/events"
)

// ChannelInput creates or changes a channel; nil fields keep their value
// (or the kind's default on creation).
type ChannelInput struct {
	Kind                entchannel.Kind
	Name                *string
	ExternalID          *string
	PageName            *string
	MaxFileSize         *int64
	AutoCloseAfterHours *int // 0 turns auto-close off
	FileRetentionHours  *int
	Credentials         map[string]string
	AgentIDs            []pulid.ID
	ReceiveComments     *bool
}

// admin refuses anyone but an admin, and everything on a plan without external chat.
func (s *Service) admin(v *auth.Viewer) error {
	if err := s.access.External(); err != nil {
		return err
	}
	if !v.IsAdmin() {
		return apperr.Forbid("only an admin can manage channels")
	}
	return nil
}

// CreateChannel adds a channel with its kind's defaults.
func (s *Service) CreateChannel(ctx context.Context, v *auth.Viewer, in ChannelInput) (_ *ent.Channel, err error) {
	defer apperr.At("inbox.CreateChannel", &err)
	if err := s.access.ChannelAdmin(v); err != nil {
		return nil, err
	}
	if err := entchannel.KindValidator(in.Kind); err != nil {
		return nil, apperr.BadInput("unknown channel kind %q", in.Kind).With("field", "kind")
	}
	if in.Name == nil {
		return nil, apperr.BadInput("a channel needs a name").With("field", "name")
	}
	d, err := s.defaults(string(in.Kind))
	if err != nil {
		return nil, err
	}
	var ch *ent.Channel
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		if err := s.checkAgents(ctx, tx, in.AgentIDs); err != nil {
			return err
		}
		c := tx.Channel.Create().SetID(pulid.MustNew("cn")).SetKind(in.Kind).SetMaxFileSize(d.MaxFileSize).
			SetNillableAutoCloseAfterHours(d.AutoCloseAfterHours).SetFileRetentionHours(d.FileRetentionHours).
			AddAgentIDs(pulid.Uniq(in.AgentIDs)...)
		if err := applyChannelInput(in, d, c.Mutation()); err != nil {
			return err
		}
		var err error
		ch, err = c.Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ch.Unwrap(), nil
}

// applyChannelInput validates the input and sets it on the mutation.
func applyChannelInput(in ChannelInput, d channel.Defaults, m *ent.ChannelMutation) error {
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || textLen(name) > 200 {
			return apperr.BadInput("a channel's name must be 1 to 200 characters").With("field", "name")
		}
		m.SetName(name)
	}
	if in.ExternalID != nil {
		m.SetExternalID(strings.TrimSpace(*in.ExternalID))
	}
	if in.PageName != nil {
		m.SetPageName(strings.TrimSpace(*in.PageName))
	}
	if in.MaxFileSize != nil {
		if *in.MaxFileSize < 1 || *in.MaxFileSize > channel.MaxFileSize {
			return apperr.BadInput("maxFileSize must be 1 to %d bytes", channel.MaxFileSize).With("field", "maxFileSize")
		}
		m.SetMaxFileSize(*in.MaxFileSize)
	}
	if in.AutoCloseAfterHours != nil {
		h := *in.AutoCloseAfterHours
		switch {
		case d.FixedAutoClose && (d.AutoCloseAfterHours == nil || h != *d.AutoCloseAfterHours):
			return apperr.BadInput("%s sessions close after %d hours; that cannot be changed", in.Kind, *d.AutoCloseAfterHours).With("field", "autoCloseAfterHours")
		case h < 0 || h > 24*365:
			return apperr.BadInput("autoCloseAfterHours must be 0 (off) to %d", 24*365).With("field", "autoCloseAfterHours")
		case h == 0:
			m.ClearAutoCloseAfterHours()
		default:
			m.SetAutoCloseAfterHours(h)
		}
	}
	if in.FileRetentionHours != nil {
		if *in.FileRetentionHours < 1 || *in.FileRetentionHours > 24*365*10 {
			return apperr.BadInput("fileRetentionHours must be 1 to %d", 24*365*10).With("field", "fileRetentionHours")
		}
		m.SetFileRetentionHours(*in.FileRetentionHours)
	}
	if len(in.Credentials) > 0 {
		m.SetCredentials(in.Credentials)
	}
	if in.ReceiveComments != nil {
		m.SetReceiveComments(*in.ReceiveComments)
	}
	return nil
}

// WebhookURL is where the provider sends a channel's webhooks, for an
// admin to give it (nil for others, and for Live Chat, which has none).
func (s *Service) WebhookURL(v *auth.Viewer, ch *ent.Channel) *string {
	if !v.IsAdmin() || ch.Kind == entchannel.KindLIVE_CHAT {
		return nil
	}
	u := strings.TrimRight(s.PublicURL, "/") + "/webhooks/" + strings.ToLower(string(ch.Kind)) + "/" + string(ch.ID)
	return &u
}

// checkAgents makes sure every user exists and may work in external chat.
func (s *Service) checkAgents(ctx context.Context, tx *history.Tx, ids []pulid.ID) error {
	ids = pulid.Uniq(ids)
	if len(ids) == 0 {
		return nil
	}
	users, err := tx.User.Query().Where(user.IDIn(ids...)).All(ctx)
	if err != nil {
		return err
	}
	if len(users) != len(ids) {
		return apperr.Missing("no such user").With("field", "userIds")
	}
	for _, u := range users {
		if u.Role == user.RoleMEMBER {
			return apperr.BadInput("%s is a member: channels are for agents and admins", u.Name).With("field", "userIds")
		}
		if !u.Active {
			return apperr.BadInput("%s is deactivated", u.Name).With("field", "userIds")
		}
	}
	return nil
}

// UpdateChannel changes a channel's settings.
func (s *Service) UpdateChannel(ctx context.Context, v *auth.Viewer, id pulid.ID, in ChannelInput) (_ *ent.Channel, err error) {
	defer apperr.At("inbox.UpdateChannel", &err)
	if err := s.access.ChannelAdmin(v); err != nil {
		return nil, err
	}
	ch, err := s.channel(ctx, id)
	if err != nil {
		return nil, err
	}
	in.Kind, in.Credentials, in.AgentIDs = ch.Kind, nil, nil
	d, err := s.defaults(string(ch.Kind))
	if err != nil {
		return nil, err
	}
	u := s.db.Channel.UpdateOneID(id)
	if err := applyChannelInput(in, d, u.Mutation()); err != nil {
		return nil, err
	}
	return u.Save(ctx)
}

// SetChannelAgents replaces who has access to a channel.
func (s *Service) SetChannelAgents(ctx context.Context, v *auth.Viewer, id pulid.ID, userIDs []pulid.ID) (_ *ent.Channel, err error) {
	defer apperr.At("inbox.SetChannelAgents", &err)
	if err := s.access.ChannelAdmin(v); err != nil {
		return nil, err
	}
	if _, err := s.channel(ctx, id); err != nil {
		return nil, err
	}
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		if err := s.checkAgents(ctx, tx, userIDs); err != nil {
			return err
		}
		before, err := tx.Channel.Query().Where(entchannel.ID(id)).QueryAgents().IDs(ctx)
		if err != nil {
			return err
		}
		if err := tx.Channel.UpdateOneID(id).ClearAgents().AddAgentIDs(pulid.Uniq(userIDs)...).Exec(ctx); err != nil {
			return err
		}
		return s.tellAgentsChanged(ctx, tx, id, before, pulid.Uniq(userIDs))
	})
	if err != nil {
		return nil, err
	}
	return s.db.Channel.Get(ctx, id)
}

// tellAgentsChanged tells agents who gained or lost a channel of its open
// sessions (CONVERSATION_ADDED, CONVERSATION_REMOVED), except those they
// see anyway as their assignee; admins see everything either way.
func (s *Service) tellAgentsChanged(ctx context.Context, tx *history.Tx, channelID pulid.ID, before, after []pulid.ID) error {
	changed := map[pulid.ID]events.Type{}
	for _, u := range before {
		changed[u] = events.ConversationRemoved
	}
	for _, u := range after {
		if changed[u] == events.ConversationRemoved {
			delete(changed, u)
		} else {
			changed[u] = events.ConversationAdded
		}
	}
	if len(changed) == 0 {
		return nil
	}
	agents, err := tx.User.Query().Where(user.IDIn(slices.Collect(maps.Keys(changed))...), user.RoleNEQ(user.RoleADMIN)).IDs(ctx)
	if err != nil || len(agents) == 0 {
		return err
	}
	sessions, err := tx.Conversation.Query().Where(conversation.ChannelID(channelID), conversation.StatusEQ(conversation.StatusOPEN),
		conversation.LastSeqGT(0)).All(ctx)
	if err != nil {
		return err
	}
	var evs []history.Event
	for _, a := range agents {
		for _, c := range sessions {
			if c.AssigneeID == nil || *c.AssigneeID != a {
				evs = append(evs, history.UserEvent(changed[a], a, c))
			}
		}
	}
	tx.Emit(evs...)
	return nil
}

// ReconnectChannel stores new credentials and marks the channel connected.
func (s *Service) ReconnectChannel(ctx context.Context, v *auth.Viewer, id pulid.ID, creds map[string]string) (_ *ent.Channel, err error) {
	defer apperr.At("inbox.ReconnectChannel", &err)
	if err := s.access.ChannelAdmin(v); err != nil {
		return nil, err
	}
	ch, err := s.channel(ctx, id)
	if err != nil {
		return nil, err
	}
	merged := map[string]string{}
	for k, val := range ch.Credentials {
		merged[k] = val
	}
	for k, val := range creds {
		merged[k] = val
	}
	return s.db.Channel.UpdateOneID(id).SetCredentials(merged).SetConnected(true).Save(ctx)
}

// SetConnected records that a channel lost (or regained) its provider.
func (s *Service) SetConnected(ctx context.Context, id pulid.ID, connected bool) (err error) {
	defer apperr.At("inbox.SetConnected", &err)
	return s.db.Channel.UpdateOneID(id).SetConnected(connected).Exec(ctx)
}

// Channels lists the channels the viewer works in (all of them for an admin).
func (s *Service) Channels(ctx context.Context, v *auth.Viewer) (_ []*ent.Channel, err error) {
	defer apperr.At("inbox.Channels", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	q := s.db.Channel.Query().Order(ent.Asc(entchannel.FieldName), ent.Asc(entchannel.FieldID))
	q.Where(access.WorkedChannels(v))
	return q.All(ctx)
}

// Channel returns one channel the viewer works in.
func (s *Service) Channel(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Channel, err error) {
	defer apperr.At("inbox.Channel", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	q := s.db.Channel.Query().Where(entchannel.ID(id))
	q.Where(access.WorkedChannels(v))
	ch, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such channel")
	}
	return ch, err
}

func (s *Service) channel(ctx context.Context, id pulid.ID) (*ent.Channel, error) {
	ch, err := s.db.Channel.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such channel")
	}
	return ch, err
}

// ChannelAgents lists who has access to a channel, to admins and to those
// agents. Anyone else (a visitor, a caller with no token, a member, an agent
// without the channel) reads an empty list: a channel's id is public, its
// team is not.
func (s *Service) ChannelAgents(ctx context.Context, v *auth.Viewer, ch *ent.Channel) (_ []*ent.User, err error) {
	defer apperr.At("inbox.ChannelAgents", &err)
	agents, err := ch.QueryAgents().Order(ent.Asc(user.FieldName)).All(ctx)
	if err != nil || v.IsAdmin() {
		return agents, err
	}
	if v.UserID != "" && !v.IsVisitor() && v.Role == user.RoleAGENT {
		for _, a := range agents {
			if a.ID == v.UserID {
				return agents, nil
			}
		}
	}
	return []*ent.User{}, nil
}
