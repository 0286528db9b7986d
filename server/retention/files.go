package retention

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"parley/ent"
	"parley/ent/attachment"
	"parley/ent/conversation"
	"parley/ent/message"
	"parley/ent/schema/pulid"
	"parley/server/history"
	"parley/server/history/events"
)

// expireSessionFiles removes the files of sent attachments whose expires_at
// has passed (set at upload from the session's channel) and marks them
// expired: the message stays, the attachment reads url: null. Subscribers
// hear of it as MESSAGE_UPDATED.
func (j *Job) expireSessionFiles(ctx context.Context, now time.Time, r *Report) error {
	for {
		atts, err := j.db.Attachment.Query().
			Where(attachment.Expired(false), attachment.ExpiresAtLTE(now), attachment.MessageIDNotNil()).
			Order(ent.Asc(attachment.FieldExpiresAt), ent.Asc(attachment.FieldID)).
			Limit(batchSize).WithMessage().All(ctx)
		if err != nil || len(atts) == 0 {
			return err
		}
		gone, err := j.deleteBlobs(ctx, atts)
		if len(gone) > 0 {
			n, terr := j.markExpired(ctx, atts, gone)
			r.ExpiredFiles += n
			if terr != nil {
				return terr
			}
		}
		if err != nil {
			return err // the rest waits for the next run
		}
		if len(atts) < batchSize {
			return nil
		}
	}
}

func (j *Job) markExpired(ctx context.Context, atts []*ent.Attachment, gone map[pulid.ID]bool) (int, error) {
	var ids []pulid.ID
	msgs := map[pulid.ID]*ent.Message{}
	for _, a := range atts {
		if gone[a.ID] {
			ids = append(ids, a.ID)
			if m := a.Edges.Message; m != nil {
				msgs[m.ID] = m
			}
		}
	}
	var n int
	err := j.history.Write(ctx, func(tx *history.Tx) error {
		var err error
		n, err = tx.Attachment.Update().Where(attachment.IDIn(ids...), attachment.Expired(false)).
			SetExpired(true).Save(ctx)
		if err != nil || n == 0 {
			return err
		}
		for _, m := range msgs {
			tx.Emit(history.Event{Type: events.MessageUpdated, ConversationID: m.ConversationID,
				ChannelID: m.ChannelID, MessageID: m.ID, AgentsOnly: m.AgentsOnly})
		}
		return nil
	})
	return n, err
}

// deleteInternalHistory deletes DIRECT and GROUP messages older than the
// organisation's history period, with their attachments' files. Members'
// unread and mention counters are recounted where deleted messages were
// still unread. A conversation whose last message is deleted keeps working:
// its lastMessage reads null. (The search index follows: a trigger on
// SQLite, the messages table's own GIN index on PostgreSQL.)
func (j *Job) deleteInternalHistory(ctx context.Context, now time.Time, r *Report) error {
	days, err := j.settings.InternalHistoryDays(ctx)
	if err != nil {
		return err
	}
	r.HistoryDays = days
	// A day is 24 hours here: the period ends to the second.
	cutoff := now.Add(-time.Duration(days) * 24 * time.Hour)
	for {
		msgs, err := j.db.Message.Query().
			Where(message.CreatedAtLT(cutoff),
				message.HasConversationWith(conversation.KindIn(conversation.KindDIRECT, conversation.KindGROUP))).
			Order(ent.Asc(message.FieldCreatedAt), ent.Asc(message.FieldID)).Limit(batchSize).
			Select(message.FieldID, message.FieldConversationID, message.FieldSeq).All(ctx)
		if err != nil || len(msgs) == 0 {
			return err
		}
		ids := make([]pulid.ID, len(msgs))
		for i, m := range msgs {
			ids[i] = m.ID
		}
		atts, err := j.db.Attachment.Query().Where(attachment.MessageIDIn(ids...)).
			Select(attachment.FieldID, attachment.FieldMessageID, attachment.FieldStorageKey, attachment.FieldExpired).All(ctx)
		if err != nil {
			return err
		}
		gone, blobErr := j.deleteBlobs(ctx, atts)
		// A message goes only once all its files are gone.
		keep := map[pulid.ID]bool{}
		for _, a := range atts {
			if !gone[a.ID] {
				keep[*a.MessageID] = true
			}
		}
		var del []*ent.Message
		for _, m := range msgs {
			if !keep[m.ID] {
				del = append(del, m)
			}
		}
		if len(del) > 0 {
			n, err := j.deleteMessages(ctx, del)
			if err != nil {
				return err
			}
			r.DeletedMessages += n
			for _, a := range atts {
				if gone[a.ID] && !keep[*a.MessageID] && !a.Expired {
					r.DeletedMessageFiles++
				}
			}
		}
		if blobErr != nil {
			return blobErr
		}
		if len(msgs) < batchSize {
			return nil
		}
	}
}

func (j *Job) deleteMessages(ctx context.Context, msgs []*ent.Message) (int, error) {
	ids := make([]pulid.ID, len(msgs))
	top := map[pulid.ID]int64{} // newest deleted seq per conversation
	for i, m := range msgs {
		ids[i] = m.ID
		top[m.ConversationID] = max(top[m.ConversationID], m.Seq)
	}
	var n int
	err := j.history.Write(ctx, func(tx *history.Tx) error {
		var err error
		// Attachments, mentions and outbox rows go by cascade; replies
		// keep their text and lose the link.
		if n, err = tx.Message.Delete().Where(message.IDIn(ids...)).Exec(ctx); err != nil {
			return err
		}
		for conv, seq := range top {
			res, err := tx.ExecContext(ctx, j.db.Rebind(history.RecountSQL), string(conv), seq)
			if err != nil {
				return fmt.Errorf("recounting members: %w", err)
			}
			// Those recounted hear of it, as after a deletion by hand
			// (chat's recount): their badges moved.
			if n, err := res.RowsAffected(); err != nil || n > 0 {
				tx.Emit(history.Event{Type: events.ConversationUpdated, ConversationID: conv})
			}
		}
		return nil
	})
	return n, err
}

// removeUnsent removes uploads never sent: a day after upload, or once
// their session's retention has passed. Rows go first, in a transaction
// that locks them, so a message can no longer take one; then the files.
// A file that fails to go is logged and stays as an orphan.
func (j *Job) removeUnsent(ctx context.Context, now time.Time, r *Report) error {
	cutoff := now.Add(-UnsentUploadTTL)
	for {
		var atts []*ent.Attachment
		err := j.history.Write(ctx, func(tx *history.Tx) error {
			q := tx.Attachment.Query().
				Where(attachment.MessageIDIsNil(),
					attachment.Or(attachment.CreatedAtLT(cutoff), attachment.ExpiresAtLTE(now))).
				Order(ent.Asc(attachment.FieldCreatedAt), ent.Asc(attachment.FieldID)).Limit(batchSize)
			if j.db.IsPostgres() {
				q.ForUpdate(sql.WithLockAction(sql.SkipLocked))
			}
			var err error
			if atts, err = q.All(ctx); err != nil || len(atts) == 0 {
				return err
			}
			ids := make([]pulid.ID, len(atts))
			for i, a := range atts {
				ids[i] = a.ID
			}
			_, err = tx.Attachment.Delete().Where(attachment.IDIn(ids...), attachment.MessageIDIsNil()).Exec(ctx)
			return err
		})
		if err != nil || len(atts) == 0 {
			return err
		}
		r.RemovedUploads += len(atts)
		if _, err := j.deleteBlobs(ctx, atts); err != nil {
			j.log.Warn("retention: files of removed uploads left behind", "err", err)
		}
		if len(atts) < batchSize {
			return nil
		}
	}
}

// deleteBlobs deletes the attachments' files and returns the attachments
// whose file is gone (already, if expired). It stops at the first failure
// (the store is likely down) and returns it.
func (j *Job) deleteBlobs(ctx context.Context, atts []*ent.Attachment) (map[pulid.ID]bool, error) {
	gone := make(map[pulid.ID]bool, len(atts))
	for _, a := range atts {
		if !a.Expired {
			if err := j.store.Delete(ctx, a.StorageKey); err != nil {
				return gone, fmt.Errorf("deleting the file of attachment %s (%s): %w", a.ID, a.StorageKey, err)
			}
		}
		gone[a.ID] = true
	}
	return gone, nil
}
