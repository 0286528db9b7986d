package inbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"

	"parley/ent"
	entchannel "parley/ent/channel"
	"parley/ent/conversation"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/history"
)

// IssueVisitorToken creates a visitor's token for a session, in the
// transaction that creates the session.
type IssueVisitorToken func(ctx context.Context, tx *ent.Client, sessionID pulid.ID) (string, error)

// StartLiveChat opens a website visitor's session on a Live Chat channel and
// returns a token that can send to, read and subscribe to that session only.
// Agents see the session once the visitor writes.
func (s *Service) StartLiveChat(ctx context.Context, channelID pulid.ID, name, email *string, issue IssueVisitorToken) (_ string, _ *ent.Conversation, err error) {
	defer apperr.At("inbox.StartLiveChat", &err)
	if err := s.access.External(); err != nil {
		return "", nil, err
	}
	ch, err := s.db.Channel.Get(ctx, channelID)
	if ent.IsNotFound(err) || (err == nil && ch.Kind != entchannel.KindLIVE_CHAT) {
		return "", nil, apperr.Missing("no such Live Chat channel")
	}
	if err != nil {
		return "", nil, err
	}
	if !ch.Connected {
		return "", nil, errSyncLost(ch)
	}
	info := ContactInfo{ExternalID: "visitor-" + randomHex(12)}
	if name != nil {
		n := strings.TrimSpace(*name)
		if textLen(n) > 200 {
			return "", nil, apperr.BadInput("a name is at most 200 characters").With("field", "name")
		}
		if n != "" {
			info.DisplayName = &n
		}
	}
	if email != nil && strings.TrimSpace(*email) != "" {
		e := strings.ToLower(strings.TrimSpace(*email))
		if at := strings.IndexByte(e, '@'); at <= 0 || at == len(e)-1 || len(e) > 320 || strings.ContainsAny(e, " \t") {
			return "", nil, apperr.BadInput("%q is not an e-mail address", *email).With("field", "email")
		}
		info.Email = &e
	}
	var (
		token string
		conv  *ent.Conversation
	)
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		ct, err := s.upsertContact(ctx, tx, ch.ID, info)
		if err != nil {
			return err
		}
		if conv, _, err = s.findOrCreateSession(ctx, tx, ch.ID, ct.ID); err != nil {
			return err
		}
		token, err = issue(ctx, tx.Client(), conv.ID)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return token, conv.Unwrap(), nil
}

// announced keeps sessions nobody has written in yet out of the inbox.
var announced = conversation.LastSeqGT(0)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
