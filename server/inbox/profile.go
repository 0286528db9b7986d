package inbox

import (
	"context"
	"time"

	"parley/ent"
	"parley/ent/contact"
	"parley/ent/conversation"
	"parley/ent/schema/pulid"
	"parley/server/channel"
	"parley/server/history"
	"parley/server/history/events"
)

// profileAttempts is how often a customer's profile is asked for.
const profileAttempts = 4

// fetchProfile names a customer the webhook did not name, in the
// background, through the provider's profile API (Messenger, Instagram):
// their name, handle and avatar, or privacyRestricted when the provider
// keeps them to itself. A customer already named, or known to be private,
// is not asked for again.
func (s *Service) fetchProfile(ch channel.Channel, externalID string) {
	p := s.Profilers[ch.Kind]
	if p == nil {
		return
	}
	go func() {
		ctx := context.Background()
		ct, err := s.db.Contact.Query().Where(contact.ChannelID(pulid.ID(ch.ID)), contact.ExternalID(externalID)).Only(ctx)
		if err != nil || ct.DisplayName != nil || ct.PrivacyRestricted {
			return
		}
		wait := s.Media.Retry
		if wait <= 0 {
			wait = 2 * time.Second
		}
		for attempt := 1; ; attempt++ {
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			who, err := p.Profile(cctx, ch, externalID)
			cancel()
			switch {
			case err == nil:
				s.saveProfile(ctx, ct, who, false)
				return
			case err == channel.ErrPrivate || !channel.IsTemporary(err) || attempt == profileAttempts:
				if err != channel.ErrPrivate {
					s.log.Warn("a customer's profile was not fetched", "contact", ct.ID, "err", err)
				}
				s.saveProfile(ctx, ct, channel.InboundContact{}, true)
				return
			}
			time.Sleep(wait)
			wait *= 2
		}
	}()
}

// saveProfile stores what the profile API said and tells the agents, whose
// inbox shows the session's contact.
func (s *Service) saveProfile(ctx context.Context, ct *ent.Contact, who channel.InboundContact, private bool) {
	err := s.history.Write(ctx, func(tx *history.Tx) error {
		u := tx.Contact.UpdateOneID(ct.ID).SetPrivacyRestricted(private || who.Name == "")
		if who.Name != "" {
			u.SetDisplayName(bounded(who.Name, 200))
		}
		if who.Nickname != "" {
			u.SetNickname(bounded(who.Nickname, 200))
		}
		if who.AvatarURL != "" && len(who.AvatarURL) <= 2048 {
			u.SetAvatarURL(who.AvatarURL)
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
		convs, err := tx.Conversation.Query().Where(conversation.ContactID(ct.ID)).All(ctx)
		if err != nil {
			return err
		}
		for _, c := range convs {
			tx.Emit(history.ConversationEvent(events.ConversationUpdated, c))
		}
		return nil
	})
	if err != nil {
		s.log.Warn("a customer's profile was not stored", "contact", ct.ID, "err", err)
	}
}

// bounded cuts s to at most n characters.
func bounded(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
