-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_conversations" table
CREATE TABLE `new_conversations` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `title` text NOT NULL DEFAULT (''), `direct_key` text NULL, `last_seq` integer NOT NULL DEFAULT (0), `last_message_id` text NULL, `last_message_at` datetime NULL, `ended_at` datetime NULL, `status` text NULL, `reply_state` text NULL, `archived_at` datetime NULL, `last_inbound_at` datetime NULL, `session_unread` integer NOT NULL DEFAULT (0), `waiting_since` datetime NULL, `channel_id` text NULL, `contact_id` text NULL, `admin_id` text NULL, `assignee_id` text NULL, `archived_by_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `conversations_channels_sessions` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_contacts_sessions` FOREIGN KEY (`contact_id`) REFERENCES `contacts` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_users_admin` FOREIGN KEY (`admin_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_users_assignee` FOREIGN KEY (`assignee_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_users_archived_by` FOREIGN KEY (`archived_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- copy rows from old table "conversations" to new temporary table "new_conversations"
INSERT INTO `new_conversations` (`id`, `created_at`, `updated_at`, `kind`, `title`, `direct_key`, `last_seq`, `last_message_id`, `last_message_at`, `ended_at`, `status`, `reply_state`, `archived_at`, `last_inbound_at`, `session_unread`, `channel_id`, `contact_id`, `admin_id`, `assignee_id`, `archived_by_id`) SELECT `id`, `created_at`, `updated_at`, `kind`, `title`, `direct_key`, `last_seq`, `last_message_id`, `last_message_at`, `ended_at`, `status`, `reply_state`, `archived_at`, `last_inbound_at`, `session_unread`, `channel_id`, `contact_id`, `admin_id`, `assignee_id`, `archived_by_id` FROM `conversations`;
-- drop "conversations" table after copying rows
DROP TABLE `conversations`;
-- rename temporary table "new_conversations" to "conversations"
ALTER TABLE `new_conversations` RENAME TO `conversations`;
-- create index "conversation_direct_key" to table: "conversations"
CREATE UNIQUE INDEX `conversation_direct_key` ON `conversations` (`direct_key`);
-- create index "conversation_channel_id_contact_id" to table: "conversations"
CREATE UNIQUE INDEX `conversation_channel_id_contact_id` ON `conversations` (`channel_id`, `contact_id`);
-- create index "conversation_channel_id_status_last_message_at" to table: "conversations"
CREATE INDEX `conversation_channel_id_status_last_message_at` ON `conversations` (`channel_id`, `status`, `last_message_at`);
-- create index "conversation_kind_status_last_message_at" to table: "conversations"
CREATE INDEX `conversation_kind_status_last_message_at` ON `conversations` (`kind`, `status`, `last_message_at`);
-- create index "conversation_kind_status_waiting_since" to table: "conversations"
CREATE INDEX `conversation_kind_status_waiting_since` ON `conversations` (`kind`, `status`, `waiting_since`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

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
