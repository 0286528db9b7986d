package history

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"parley/ent"
	"parley/ent/attachment"
	"parley/ent/conversation"
	"parley/ent/message"
	"parley/ent/schema"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/history/events"
)

// MessageSpec is a message ready to be written.
type MessageSpec struct {
	ID                pulid.ID
	SenderID          *pulid.ID
	AuthorKey         string
	Direction         message.Direction
	Kind              message.Kind
	Text              *string
	Status            message.Status
	ClientMessageID   *string
	ChannelID         *pulid.ID
	ProviderMessageID *string
	ReplyToID         *pulid.ID
	MessageTag        *message.MessageTag
	Post              *schema.Post
	Template          *schema.Template
	// ProviderKind is the provider's own name for what an inbound message is
	// when Parley has no kind for it (location, sticker, unsupported).
	ProviderKind  *string
	Mentions      []pulid.ID
	AttachmentIDs []pulid.ID
	// CountsAsUnread is false for SYSTEM messages: they inform, they do not badge.
	CountsAsUnread bool
	// AgentsOnly keeps it from a Live Chat visitor (a private note).
	AgentsOnly bool
	// Outbox hands it to the channel's provider after commit.
	Outbox bool
	// Announce tells agents of the session first, if this is its first
	// message: a Live Chat visitor's.
	Announce bool
	// ReadMark, when set (a group's member sending), moves the sender's
	// read mark to the message.
	ReadMark *ReadMark
	// Then, when set, does more in the message's own transaction once the
	// message is written (Writer.Post): one commit instead of two.
	Then func(ctx context.Context, tx *Tx, msg *ent.Message) error
}

// AppendMessage is the one path every message takes, whoever sends it:
// inside the transaction it numbers the message, stores it, moves the
// chat's and its members' counters, and records the event. Subscribers hear of
// it after commit.
func (tx *Tx) AppendMessage(ctx context.Context, conv *ent.Conversation, spec MessageSpec) (*ent.Message, error) {
	now := tx.Now()
	// Taking the next number locks the conversation's row until commit, so
	// numbers follow commit order within a conversation.
	chat := conv.Kind != conversation.KindEXTERNAL
	counts := spec.CountsAsUnread && chat
	var seq, counted int64
	var passedID, passedSender pulid.ID // what the sender's read mark passed
	var err error
	// On PostgreSQL the members' counters (and the sender's read mark) move
	// in the statement that takes the number: the row lock is held from it
	// to commit, and every round trip while it is held delays the chat's
	// next message.
	oneStatement := chat && tx.w.db.IsPostgres()
	if oneStatement {
		seq, counted, passedID, passedSender, err = tx.numberAndCount(ctx, conv, spec, now)
	} else {
		seq, counted, err = tx.nextSeq(ctx, conv.ID, spec.ID, now, counts)
	}
	if err != nil {
		return nil, err
	}
	create := tx.Message.Create().
		SetID(spec.ID).SetConversationID(conv.ID).SetSeq(seq).
		SetNillableSenderID(spec.SenderID).SetAuthorKey(spec.AuthorKey).
		SetDirection(spec.Direction).SetKind(spec.Kind).SetNillableText(spec.Text).SetStatus(spec.Status).
		SetNillableClientMessageID(spec.ClientMessageID).
		SetNillableChannelID(spec.ChannelID).SetNillableProviderMessageID(spec.ProviderMessageID).
		SetNillableReplyToID(spec.ReplyToID).SetNillableMessageTag(spec.MessageTag).
		AddMentionIDs(spec.Mentions...).SetAgentsOnly(spec.AgentsOnly).SetNillableProviderKind(spec.ProviderKind).
		SetCreatedAt(now).SetUpdatedAt(now)
	if spec.Post != nil {
		create.SetPost(spec.Post)
	}
	if spec.Template != nil {
		create.SetTemplate(spec.Template)
	}
	m, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	if len(spec.AttachmentIDs) > 0 {
		n, err := tx.Attachment.Update().
			Where(attachment.IDIn(spec.AttachmentIDs...), attachment.MessageIDIsNil()).
			SetMessageID(m.ID).Save(ctx)
		if err != nil {
			return nil, err
		}
		if n != len(pulid.Uniq(spec.AttachmentIDs)) {
			return nil, apperr.New(apperr.Conflict, "an attachment was sent meanwhile")
		}
	}
	if chat {
		if !oneStatement {
			if err := tx.countMessage(ctx, conv, spec, seq, counted); err != nil {
				return nil, err
			}
			if spec.ReadMark != nil {
				if passedID, passedSender, err = tx.readMark(ctx, conv, spec, seq, now); err != nil {
					return nil, err
				}
			}
		}
	} else if err := tx.sessionChange(ctx, conv, spec, now); err != nil {
		return nil, err
	}
	if spec.Outbox && conv.ChannelID != nil {
		if err := tx.Outbox.Create().SetMessageID(m.ID).SetChannelID(*conv.ChannelID).SetNextAttemptAt(now).Exec(ctx); err != nil {
			return nil, err
		}
	}
	e := ConversationEvent(events.MessageAdded, conv)
	e.MessageID, e.AgentsOnly = m.ID, spec.AgentsOnly
	if chat {
		e.Counted = counted
	}
	evs := []Event{e}
	if spec.Announce && seq == 1 {
		// Decided on the number taken under the row lock: of several first
		// messages racing, only the one numbered 1 announces the session.
		evs = []Event{ConversationEvent(events.ConversationAdded, conv), e}
	}
	tx.Emit(evs...)
	if spec.ReadMark != nil {
		tx.NotePassed(conv, passedID, passedSender)
	}
	return m, nil
}

// numberSQL numbers a new message (chat $1, message $2, at $3) and makes it
// the conversation's last; $4 adds it to the messages that count as unread.
// It returns the message's number and the conversation's counted after it.
const numberSQL = `UPDATE conversations
	SET last_seq = last_seq + 1, counted = counted + CASE WHEN $4 THEN 1 ELSE 0 END,
		last_message_id = $2, last_message_at = $3, updated_at = $3
	WHERE id = $1 RETURNING last_seq, counted`

// nextSeq runs numberSQL.
func (tx *Tx) nextSeq(ctx context.Context, convID, msgID pulid.ID, now time.Time, counts bool) (seq, counted int64, err error) {
	rows, err := tx.QueryContext(ctx, tx.w.db.Rebind(numberSQL), string(convID), string(msgID), now, counts)
	if err != nil {
		return 0, 0, err
	}
	return scanSeq(rows)
}

// countMessage moves what a message changes of a chat's members, in one
// statement that writes only their rows (membersSQL), after nextSeq.
func (tx *Tx) countMessage(ctx context.Context, conv *ent.Conversation, spec MessageSpec, seq, counted int64) error {
	args := []any{string(conv.ID), counted, senderOf(spec), spec.CountsAsUnread, seq}
	update, args := membersSQL(spec, "", "$1", "$2", "$3", "$4", "$5", args)
	_, err := tx.ExecContext(ctx, tx.w.db.Rebind(update), args...)
	return err
}

// numberAndCount is nextSeq, countMessage and the sender's read mark (if
// any, with the newest message it passed) in one statement (PostgreSQL).
func (tx *Tx) numberAndCount(ctx context.Context, conv *ent.Conversation, spec MessageSpec, now time.Time) (seq, counted int64, passedID, passedSender pulid.ID, err error) {
	args := []any{string(conv.ID), string(spec.ID), now, spec.CountsAsUnread, senderOf(spec)}
	update, args := membersSQL(spec, "FROM c", "$1", "c.counted", "$5", "$4", "c.last_seq", args)
	mark, passed := "", "NULL, NULL"
	if spec.ReadMark != nil {
		args = append(args, spec.ReadMark.From)
		from := fmt.Sprintf("$%d", len(args))
		// The mark's own seq is the message's number, from c.
		mark = `, r AS (INSERT INTO read_marks (conversation_id, user_id, seq, read_at) SELECT $1, $5, c.last_seq, $3 FROM c
			RETURNING ` + PassedSQL("id", "$1", "$5", from, "read_marks.seq") + ` AS id, ` +
			PassedSQL("sender_id", "$1", "$5", from, "read_marks.seq") + ` AS sender_id)`
		passed = "(SELECT id FROM r), (SELECT sender_id FROM r)"
	}
	rows, err := tx.QueryContext(ctx, `WITH c AS (`+numberSQL+`),
		m AS (`+update+`)`+mark+`
		SELECT last_seq, counted, `+passed+` FROM c`, args...)
	if err != nil {
		return 0, 0, "", "", err
	}
	var id, sender sql.NullString
	seq, counted, err = scanSeq(rows, &id, &sender)
	return seq, counted, pulid.ID(id.String), pulid.ID(sender.String), err
}

// scanSeq reads the number a message took and the chat's counted after it.
// more are the row's further columns, if any.
func scanSeq(rows *sql.Rows, more ...any) (seq, counted int64, err error) {
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, 0, err
		}
		return 0, 0, apperr.Missing("no such conversation")
	}
	if err := rows.Scan(append([]any{&seq, &counted}, more...)...); err != nil {
		return 0, 0, err
	}
	return seq, counted, rows.Close()
}

func senderOf(spec MessageSpec) string {
	if spec.SenderID == nil {
		return ""
	}
	return string(*spec.SenderID)
}

// membersSQL is the statement that moves what a message changes of a
// chat's members, writing only their rows: the sender has read everything
// up to their own message; those it mentions have one mention more; and,
// for a message that counts, whoever had archived the chat sees it again.
// Everyone else's unread count moved with the chat's counted. The other
// arguments are the statement's FROM clause (if any) and what names the
// chat, the chat's counted after the message, the sender, whether the
// message counts and its number; mentions are added to args.
func membersSQL(spec MessageSpec, from, conv, counted, sender, counts, seq string, args []any) (string, []any) {
	mentioned := "false"
	if len(spec.Mentions) > 0 {
		marks := make([]string, len(spec.Mentions))
		for i, id := range spec.Mentions {
			args = append(args, string(id))
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		mentioned = "user_id IN (" + strings.Join(marks, ", ") + ")"
	}
	return `UPDATE members SET
		unread_base = CASE WHEN user_id = ` + sender + ` THEN ` + counted + ` ELSE unread_base END,
		mention_count = CASE WHEN user_id = ` + sender + ` THEN 0 WHEN ` + mentioned + ` THEN mention_count + 1 ELSE mention_count END,
		read_seq = CASE WHEN user_id = ` + sender + ` THEN ` + seq + ` ELSE read_seq END,
		archived = CASE WHEN user_id = ` + sender + ` OR ` + counts + ` THEN false ELSE archived END
		` + from + ` WHERE members.conversation_id = ` + conv + ` AND (user_id = ` + sender + ` OR ` + mentioned + ` OR (archived AND ` + counts + `))`, args
}

// Unread is how many of a chat's messages a member has not read: the
// chat's counted less the member's unread_base (moved by reading and
// sending). A chat read before the member's row may be behind it: never
// below zero.
func Unread(counted, base int64) int { return int(max(0, counted-base)) }

// RecountSQL recounts the unread and mention counters of the members of
// chat $1 who had not read up to seq $2, from the messages left after their
// horizon, as MarkRead does part-way: a deleted message (or its tombstone)
// is no longer unread, an edit may mention someone else.
const RecountSQL = `UPDATE members SET
	unread_base = (SELECT c.counted FROM conversations c WHERE c.id = members.conversation_id)
		- (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = members.conversation_id
		AND m.seq > members.read_seq AND m.kind <> 'SYSTEM' AND m.author_key <> members.user_id AND m.deleted_at IS NULL),
	mention_count = (SELECT COUNT(*) FROM messages m JOIN message_mentions mm ON mm.message_id = m.id
		WHERE m.conversation_id = members.conversation_id AND m.seq > members.read_seq AND mm.user_id = members.user_id)
	WHERE conversation_id = $1 AND read_seq < $2`

// System writes a SYSTEM message (membership changes, forwarding notes) in
// the transaction.
func (tx *Tx) System(ctx context.Context, conv *ent.Conversation, text string, agentsOnly bool) (*ent.Message, error) {
	return tx.AppendMessage(ctx, conv, MessageSpec{
		ID: pulid.MustNew("ms"), AuthorKey: "system", Direction: message.DirectionINTERNAL,
		Kind: message.KindSYSTEM, Text: &text, Status: message.StatusSENT, AgentsOnly: agentsOnly,
	})
}

// sessionChange updates a session's state with a message written to it:
// a customer's message makes it UNREAD (and starts the wait, if the
// customer was not waiting yet), an agent's reply ANSWERED (and ends the
// wait), and either reopens it. Notes and system messages change nothing.
func (tx *Tx) sessionChange(ctx context.Context, conv *ent.Conversation, spec MessageSpec, now time.Time) error {
	u := tx.Conversation.UpdateOneID(conv.ID)
	switch {
	case spec.Direction == message.DirectionINBOUND:
		u.SetReplyState(conversation.ReplyStateUNREAD).SetLastInboundAt(now).AddSessionUnread(1)
		// Only the first message of a wait sets it (the row is locked since nextSeq).
		if err := tx.Conversation.Update().Where(conversation.ID(conv.ID), conversation.WaitingSinceIsNil()).
			SetWaitingSince(now).Exec(ctx); err != nil {
			return err
		}
	case spec.Direction == message.DirectionOUTBOUND && !spec.AgentsOnly:
		u.SetReplyState(conversation.ReplyStateANSWERED).SetSessionUnread(0).ClearWaitingSince()
	default:
		return nil
	}
	return u.SetStatus(conversation.StatusOPEN).ClearArchivedAt().ClearArchivedByID().Exec(ctx)
}

// statusRank orders delivery statuses: a status only moves forward.
var statusRank = map[message.Status]int{
	message.StatusPENDING: 0, message.StatusSENT: 1, message.StatusDELIVERED: 2, message.StatusREAD: 3,
}

// Advance moves a message's delivery status forward (PENDING, SENT,
// DELIVERED, READ; FAILED only from PENDING or SENT) and records the change.
// It reports whether anything changed: a step back is ignored.
func (tx *Tx) Advance(ctx context.Context, conv *ent.Conversation, id pulid.ID, to message.Status, reason string) (bool, error) {
	var from []message.Status
	if to == message.StatusFAILED {
		from = []message.Status{message.StatusPENDING, message.StatusSENT}
	} else {
		for st, r := range statusRank {
			if r < statusRank[to] {
				from = append(from, st)
			}
		}
	}
	u := tx.Message.Update().Where(message.ID(id), message.StatusIn(from...)).SetStatus(to).SetUpdatedAt(tx.Now())
	switch to {
	case message.StatusREAD:
		u.SetReadAt(tx.Now())
	case message.StatusFAILED:
		u.SetFailureReason(reason)
	}
	n, err := u.Save(ctx)
	if err != nil || n == 0 {
		return false, err
	}
	e := ConversationEvent(events.MessageUpdated, conv)
	e.MessageID = id
	tx.Emit(e)
	if to == message.StatusFAILED && conv.Kind == conversation.KindEXTERNAL {
		return true, tx.unanswerIfFailed(ctx, conv)
	}
	return true, nil
}

// unanswerIfFailed puts a session the customer is still waiting on back to
// UNANSWERED when the reply that answered it failed: the customer got
// nothing. Another reply on its way (or delivered) since the customer's
// last message keeps it ANSWERED.
func (tx *Tx) unanswerIfFailed(ctx context.Context, conv *ent.Conversation) error {
	cur, err := tx.Conversation.Get(ctx, conv.ID)
	if err != nil || cur.ReplyState == nil || *cur.ReplyState != conversation.ReplyStateANSWERED || cur.LastInboundAt == nil {
		return err
	}
	answered, err := tx.Message.Query().Where(message.ConversationID(conv.ID), message.DirectionEQ(message.DirectionOUTBOUND),
		message.AgentsOnly(false), message.StatusNEQ(message.StatusFAILED), message.CreatedAtGTE(*cur.LastInboundAt)).Exist(ctx)
	if err != nil || answered {
		return err
	}
	// The customer waits again, since their first message after the last
	// reply that did not fail.
	since, err := tx.waitStart(ctx, conv.ID)
	if err != nil {
		return err
	}
	n, err := tx.Conversation.Update().Where(conversation.ID(conv.ID), conversation.ReplyStateEQ(conversation.ReplyStateANSWERED)).
		SetReplyState(conversation.ReplyStateUNANSWERED).SetNillableWaitingSince(since).Save(ctx)
	if err == nil && n > 0 {
		tx.Emit(ConversationEvent(events.ConversationUpdated, cur))
	}
	return err
}

// waitStart is when the customer's first message after the last reply that
// did not fail was written (nil: none).
func (tx *Tx) waitStart(ctx context.Context, convID pulid.ID) (*time.Time, error) {
	after := int64(0)
	last, err := tx.Message.Query().Where(message.ConversationID(convID), message.DirectionEQ(message.DirectionOUTBOUND),
		message.AgentsOnly(false), message.StatusNEQ(message.StatusFAILED)).Order(ent.Desc(message.FieldSeq)).First(ctx)
	switch {
	case err == nil:
		after = last.Seq
	case !ent.IsNotFound(err):
		return nil, err
	}
	first, err := tx.Message.Query().Where(message.ConversationID(convID), message.DirectionEQ(message.DirectionINBOUND),
		message.SeqGT(after)).Order(ent.Asc(message.FieldSeq)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &first.CreatedAt, nil
}
