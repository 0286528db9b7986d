package chat

import (
	"context"
	"slices"
	"time"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/message"
	"parley/ent/readmark"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
)

// ReadReceipt is a member of a group who has read a message, and when.
type ReadReceipt struct {
	User   *ent.User
	ReadAt time.Time
}

// ReadBy is who of a group has read a message (their horizon passed it)
// and when they first did: for the message's sender alone, who is not
// among them; empty for anyone else, for a deleted message, in a direct
// chat (the message's status and readAt say it) and in a session. Only
// current members are listed, to a sender who is still one.
func (s *Service) ReadBy(ctx context.Context, v *auth.Viewer, m *ent.Message) (_ []ReadReceipt, err error) {
	defer apperr.At("chat.ReadBy", &err)
	if m.SenderID == nil || *m.SenderID != v.UserID || v.IsVisitor() || m.DeletedAt != nil ||
		m.ConversationID.Prefix() != "ch" {
		return []ReadReceipt{}, nil
	}
	// A sender who has left the group no longer hears who reads it.
	if me, err := s.access.Member(ctx, v, m.ConversationID); err != nil || me == nil {
		return []ReadReceipt{}, err
	}
	// Each reader's first mark at or past the message, then its time.
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(`SELECT r.user_id, MIN(r.seq) FROM read_marks r
		JOIN members mb ON mb.conversation_id = r.conversation_id AND mb.user_id = r.user_id
		WHERE r.conversation_id = $1 AND r.seq >= $2 AND r.user_id <> $3
		GROUP BY r.user_id`), string(m.ConversationID), m.Seq, string(v.UserID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	first := map[pulid.ID]int64{}
	var ids []pulid.ID
	var seqs []int64
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, err
		}
		first[pulid.ID(id)] = seq
		ids, seqs = append(ids, pulid.ID(id)), append(seqs, seq)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	out := []ReadReceipt{}
	if len(ids) == 0 {
		return out, nil
	}
	marks, err := s.db.ReadMark.Query().Where(readmark.ConversationID(m.ConversationID),
		readmark.UserIDIn(ids...), readmark.SeqIn(seqs...)).WithUser().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range marks {
		if first[r.UserID] == r.Seq && r.Edges.User != nil {
			out = append(out, ReadReceipt{User: r.Edges.User, ReadAt: r.ReadAt})
			first[r.UserID] = -1 // once
		}
	}
	slices.SortFunc(out, func(a, b ReadReceipt) int { return a.ReadAt.Compare(b.ReadAt) })
	return out, nil
}

// noteRead records what a member's read horizon passed in a chat, in
// MarkRead's transaction (from, to]: in a direct chat the peer's messages
// become READ; in a group a read mark is kept for "seen by". Either way one
// MESSAGE_UPDATED goes to the sender of the newest message of someone else
// the reader passed: their clients refetch readBy (or status) for the range.
func noteRead(ctx context.Context, tx *history.Tx, conv *ent.Conversation, reader pulid.ID, from, to int64) error {
	now := tx.Now()
	passed := message.And(message.ConversationID(conv.ID), message.SeqGT(from), message.SeqLTE(to),
		message.KindNEQ(message.KindSYSTEM), message.SenderIDNotNil(), message.SenderIDNEQ(reader), message.DeletedAtIsNil())
	if conv.Kind == conversation.KindDIRECT {
		if err := tx.Message.Update().Where(passed, message.StatusNEQ(message.StatusREAD)).
			SetStatus(message.StatusREAD).SetReadAt(now).Exec(ctx); err != nil {
			return err
		}
		newest, err := tx.Message.Query().Where(passed).Order(ent.Desc(message.FieldSeq)).First(ctx)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		tx.NotePassed(conv, newest.ID, *newest.SenderID)
		return nil
	}
	// The mark and the newest message passed in one statement: it runs
	// under the chat's row lock, where every round trip counts.
	rows, err := tx.QueryContext(ctx, tx.Rebind(history.InsertReadMarkSQL), string(conv.ID), string(reader), to, now, from)
	if err != nil {
		return err
	}
	id, sender, err := history.ScanPassed(rows)
	if err != nil {
		return err
	}
	tx.NotePassed(conv, id, sender)
	return nil
}
