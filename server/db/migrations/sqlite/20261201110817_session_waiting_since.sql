-- +goose Up
-- Rewritten by hand on 2026-12-01: ent's diff rebuilt the table, and goose
-- runs a migration in a transaction, where PRAGMA foreign_keys = off does
-- nothing, so dropping the old table ran its foreign keys' actions (the
-- rows of every table that cascades from it went). Adding the column is
-- all the rebuild did.
ALTER TABLE `conversations` ADD COLUMN `waiting_since` datetime NULL;
-- create index "conversation_kind_status_waiting_since" to table: "conversations"
CREATE INDEX `conversation_kind_status_waiting_since` ON `conversations` (`kind`, `status`, `waiting_since`);

-- sessions already waiting: since their first customer message after the last reply
UPDATE conversations SET waiting_since = (SELECT min(m.created_at) FROM messages m
  WHERE m.conversation_id = conversations.id AND m.direction = 'INBOUND' AND m.seq > COALESCE((SELECT max(o.seq) FROM messages o
    WHERE o.conversation_id = conversations.id AND o.direction = 'OUTBOUND' AND o.agents_only = false AND o.status <> 'FAILED'), 0))
WHERE kind = 'EXTERNAL' AND reply_state IN ('UNREAD', 'UNANSWERED');

-- +goose Down
-- reverse: create index "conversation_kind_status_waiting_since" to table: "conversations"
DROP INDEX `conversation_kind_status_waiting_since`;
-- reverse: create index "conversation_kind_status_last_message_at" to table: "conversations"
DROP INDEX `conversation_kind_status_last_message_at`;
-- reverse: create index "conversation_channel_id_status_last_message_at" to table: "conversations"
DROP INDEX `conversation_channel_id_status_last_message_at`;
-- reverse: create index "conversation_channel_id_contact_id" to table: "conversations"
DROP INDEX `conversation_channel_id_contact_id`;
-- reverse: create index "conversation_direct_key" to table: "conversations"
DROP INDEX `conversation_direct_key`;
-- reverse: create "new_conversations" table
DROP TABLE `new_conversations`;
