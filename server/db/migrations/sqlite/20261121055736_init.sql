-- +goose Up
-- create "attachments" table
CREATE TABLE `attachments` (`id` text NOT NULL, `created_at` datetime NOT NULL, `uploader_key` text NOT NULL, `filename` text NOT NULL, `content_type` text NOT NULL, `size` integer NOT NULL, `storage_key` text NOT NULL, `width` integer NULL, `height` integer NULL, `duration_seconds` real NULL, `expires_at` datetime NULL, `expired` bool NOT NULL DEFAULT (false), `conversation_id` text NOT NULL, `message_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `attachments_conversations_conversation` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE CASCADE, CONSTRAINT `attachments_messages_message` FOREIGN KEY (`message_id`) REFERENCES `messages` (`id`) ON DELETE CASCADE);
-- create index "attachment_message_id" to table: "attachments"
CREATE INDEX `attachment_message_id` ON `attachments` (`message_id`);
-- create index "attachment_expired_expires_at" to table: "attachments"
CREATE INDEX `attachment_expired_expires_at` ON `attachments` (`expired`, `expires_at`);
-- create index "attachment_message_id_created_at" to table: "attachments"
CREATE INDEX `attachment_message_id_created_at` ON `attachments` (`message_id`, `created_at`);
-- create "calls" table
CREATE TABLE `calls` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `media` text NOT NULL, `state` text NOT NULL DEFAULT ('RINGING'), `dial_number` text NULL, `ended_at` datetime NULL, `conversation_id` text NOT NULL, `started_by_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `calls_conversations_conversation` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE CASCADE, CONSTRAINT `calls_users_started_by` FOREIGN KEY (`started_by_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- create "canned_responses" table
CREATE TABLE `canned_responses` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `shortcut` text NOT NULL, `text` text NOT NULL, `shared` bool NOT NULL DEFAULT (false), `owner_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `canned_responses_users_canned_responses` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- create index "cannedresponse_owner_id" to table: "canned_responses"
CREATE INDEX `cannedresponse_owner_id` ON `canned_responses` (`owner_id`);
-- create index "cannedresponse_shared" to table: "canned_responses"
CREATE INDEX `cannedresponse_shared` ON `canned_responses` (`shared`);
-- create "channels" table
CREATE TABLE `channels` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `name` text NOT NULL, `connected` bool NOT NULL DEFAULT (true), `max_file_size` integer NOT NULL, `auto_close_after_hours` integer NULL, `file_retention_hours` integer NOT NULL DEFAULT (72), `external_id` text NULL, `page_name` text NULL, `credentials` json NULL, PRIMARY KEY (`id`));
-- create index "channel_kind_external_id" to table: "channels"
CREATE INDEX `channel_kind_external_id` ON `channels` (`kind`, `external_id`);
-- create "contacts" table
CREATE TABLE `contacts` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `external_id` text NOT NULL, `display_name` text NULL, `phone` text NULL, `email` text NULL, `nickname` text NULL, `avatar_url` text NULL, `privacy_restricted` bool NOT NULL DEFAULT (false), `channel_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `contacts_channels_contacts` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE NO ACTION);
-- create index "contact_channel_id_external_id" to table: "contacts"
CREATE UNIQUE INDEX `contact_channel_id_external_id` ON `contacts` (`channel_id`, `external_id`);
-- create "conversations" table
CREATE TABLE `conversations` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `title` text NOT NULL DEFAULT (''), `direct_key` text NULL, `last_seq` integer NOT NULL DEFAULT (0), `last_message_id` text NULL, `last_message_at` datetime NULL, `ended_at` datetime NULL, `status` text NULL, `reply_state` text NULL, `archived_at` datetime NULL, `last_inbound_at` datetime NULL, `session_unread` integer NOT NULL DEFAULT (0), `channel_id` text NULL, `contact_id` text NULL, `admin_id` text NULL, `assignee_id` text NULL, `archived_by_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `conversations_channels_sessions` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_contacts_sessions` FOREIGN KEY (`contact_id`) REFERENCES `contacts` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_users_admin` FOREIGN KEY (`admin_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_users_assignee` FOREIGN KEY (`assignee_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `conversations_users_archived_by` FOREIGN KEY (`archived_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- create index "conversation_direct_key" to table: "conversations"
CREATE UNIQUE INDEX `conversation_direct_key` ON `conversations` (`direct_key`);
-- create index "conversation_channel_id_contact_id" to table: "conversations"
CREATE UNIQUE INDEX `conversation_channel_id_contact_id` ON `conversations` (`channel_id`, `contact_id`);
-- create index "conversation_channel_id_status_last_message_at" to table: "conversations"
CREATE INDEX `conversation_channel_id_status_last_message_at` ON `conversations` (`channel_id`, `status`, `last_message_at`);
-- create index "conversation_kind_status_last_message_at" to table: "conversations"
CREATE INDEX `conversation_kind_status_last_message_at` ON `conversations` (`kind`, `status`, `last_message_at`);
-- create "customers" table
CREATE TABLE `customers` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `phones` json NOT NULL, `emails` json NOT NULL, `search_text` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create "customer_links" table
CREATE TABLE `customer_links` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `contact_id` text NOT NULL, `customer_id` text NOT NULL, `linked_by_id` text NULL, CONSTRAINT `customer_links_contacts_link` FOREIGN KEY (`contact_id`) REFERENCES `contacts` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_links_customers_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_links_users_linked_by` FOREIGN KEY (`linked_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- create index "customer_links_contact_id_key" to table: "customer_links"
CREATE UNIQUE INDEX `customer_links_contact_id_key` ON `customer_links` (`contact_id`);
-- create "documents" table
CREATE TABLE `documents` (`id` text NOT NULL, `created_at` datetime NOT NULL, `kind` text NOT NULL, `seq` integer NOT NULL, `number` text NOT NULL, `title` text NOT NULL, `customer_id` text NOT NULL, `session_id` text NULL, `created_by_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `documents_customers_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `documents_conversations_session` FOREIGN KEY (`session_id`) REFERENCES `conversations` (`id`) ON DELETE SET NULL, CONSTRAINT `documents_users_created_by` FOREIGN KEY (`created_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- create index "document_kind_seq" to table: "documents"
CREATE UNIQUE INDEX `document_kind_seq` ON `documents` (`kind`, `seq`);
-- create "events" table
CREATE TABLE `events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `xid` integer NULL DEFAULT (0), `type` text NOT NULL, `user_id` text NULL, `conversation_id` text NULL, `channel_id` text NULL, `message_id` text NULL, `call_id` text NULL, `agents_only` bool NOT NULL DEFAULT (false));
-- create index "event_xid_id" to table: "events"
CREATE INDEX `event_xid_id` ON `events` (`xid`, `id`);
-- create index "event_created_at" to table: "events"
CREATE INDEX `event_created_at` ON `events` (`created_at`);
-- create "members" table
CREATE TABLE `members` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `joined_at` datetime NOT NULL, `read_seq` integer NOT NULL DEFAULT (0), `unread_count` integer NOT NULL DEFAULT (0), `mention_count` integer NOT NULL DEFAULT (0), `muted` bool NOT NULL DEFAULT (false), `pinned` bool NOT NULL DEFAULT (false), `archived` bool NOT NULL DEFAULT (false), `activity_at` datetime NOT NULL, `conversation_id` text NOT NULL, `user_id` text NOT NULL, CONSTRAINT `members_conversations_members` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE CASCADE, CONSTRAINT `members_users_memberships` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- create index "member_conversation_id_user_id" to table: "members"
CREATE UNIQUE INDEX `member_conversation_id_user_id` ON `members` (`conversation_id`, `user_id`);
-- create index "member_user_id_archived_pinned_activity_at" to table: "members"
CREATE INDEX `member_user_id_archived_pinned_activity_at` ON `members` (`user_id`, `archived`, `pinned`, `activity_at`);
-- create "messages" table
CREATE TABLE `messages` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `seq` integer NOT NULL, `author_key` text NOT NULL, `direction` text NOT NULL, `kind` text NOT NULL, `text` text NULL, `status` text NOT NULL DEFAULT ('SENT'), `failure_reason` text NULL, `read_at` datetime NULL, `client_message_id` text NULL, `channel_id` text NULL, `provider_message_id` text NULL, `post` json NULL, `message_tag` text NULL, `transcription` json NULL, `template` json NULL, `agents_only` bool NOT NULL DEFAULT (false), `conversation_id` text NOT NULL, `sender_id` text NULL, `reply_to_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `messages_conversations_conversation` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE CASCADE, CONSTRAINT `messages_users_sender` FOREIGN KEY (`sender_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `messages_messages_reply_to` FOREIGN KEY (`reply_to_id`) REFERENCES `messages` (`id`) ON DELETE SET NULL);
-- create index "messages_reply_to_id_key" to table: "messages"
CREATE UNIQUE INDEX `messages_reply_to_id_key` ON `messages` (`reply_to_id`);
-- create index "message_conversation_id_seq" to table: "messages"
CREATE UNIQUE INDEX `message_conversation_id_seq` ON `messages` (`conversation_id`, `seq`);
-- create index "message_conversation_id_author_key_client_message_id" to table: "messages"
CREATE UNIQUE INDEX `message_conversation_id_author_key_client_message_id` ON `messages` (`conversation_id`, `author_key`, `client_message_id`);
-- create index "message_channel_id_provider_message_id" to table: "messages"
CREATE UNIQUE INDEX `message_channel_id_provider_message_id` ON `messages` (`channel_id`, `provider_message_id`);
-- create index "message_created_at" to table: "messages"
CREATE INDEX `message_created_at` ON `messages` (`created_at`);
-- create "outboxes" table
CREATE TABLE `outboxes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `channel_id` text NOT NULL, `state` text NOT NULL DEFAULT ('PENDING'), `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, `lease_until` datetime NULL, `last_error` text NULL, `message_id` text NOT NULL, CONSTRAINT `outboxes_messages_message` FOREIGN KEY (`message_id`) REFERENCES `messages` (`id`) ON DELETE CASCADE);
-- create index "outbox_state_next_attempt_at" to table: "outboxes"
CREATE INDEX `outbox_state_next_attempt_at` ON `outboxes` (`state`, `next_attempt_at`);
-- create "settings" table
CREATE TABLE `settings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `key` text NOT NULL, `value` text NOT NULL);
-- create index "settings_key_key" to table: "settings"
CREATE UNIQUE INDEX `settings_key_key` ON `settings` (`key`);
-- create "tokens" table
CREATE TABLE `tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `hash` text NOT NULL, `kind` text NOT NULL DEFAULT ('USER'), `expires_at` datetime NULL, `revoked_at` datetime NULL, `conversation_id` text NULL, `user_id` text NULL, CONSTRAINT `tokens_conversations_conversation` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE SET NULL, CONSTRAINT `tokens_users_tokens` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- create index "tokens_hash_key" to table: "tokens"
CREATE UNIQUE INDEX `tokens_hash_key` ON `tokens` (`hash`);
-- create index "token_user_id" to table: "tokens"
CREATE INDEX `token_user_id` ON `tokens` (`user_id`);
-- create "users" table
CREATE TABLE `users` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `extension` text NULL, `role` text NOT NULL DEFAULT ('MEMBER'), `password_hash` text NOT NULL, `sound_enabled` bool NOT NULL DEFAULT (true), `popup_enabled` bool NOT NULL DEFAULT (true), PRIMARY KEY (`id`));
-- create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- create index "users_extension_key" to table: "users"
CREATE UNIQUE INDEX `users_extension_key` ON `users` (`extension`);
-- create index "user_name" to table: "users"
CREATE INDEX `user_name` ON `users` (`name`);
-- create "channel_agents" table
CREATE TABLE `channel_agents` (`channel_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`channel_id`, `user_id`), CONSTRAINT `channel_agents_channel_id` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE CASCADE, CONSTRAINT `channel_agents_user_id` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- create "message_mentions" table
CREATE TABLE `message_mentions` (`message_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`message_id`, `user_id`), CONSTRAINT `message_mentions_message_id` FOREIGN KEY (`message_id`) REFERENCES `messages` (`id`) ON DELETE CASCADE, CONSTRAINT `message_mentions_user_id` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);

-- +goose Down
-- reverse: create "message_mentions" table
DROP TABLE `message_mentions`;
-- reverse: create "channel_agents" table
DROP TABLE `channel_agents`;
-- reverse: create index "user_name" to table: "users"
DROP INDEX `user_name`;
-- reverse: create index "users_extension_key" to table: "users"
DROP INDEX `users_extension_key`;
-- reverse: create index "users_email_key" to table: "users"
DROP INDEX `users_email_key`;
-- reverse: create "users" table
DROP TABLE `users`;
-- reverse: create index "token_user_id" to table: "tokens"
DROP INDEX `token_user_id`;
-- reverse: create index "tokens_hash_key" to table: "tokens"
DROP INDEX `tokens_hash_key`;
-- reverse: create "tokens" table
DROP TABLE `tokens`;
-- reverse: create index "settings_key_key" to table: "settings"
DROP INDEX `settings_key_key`;
-- reverse: create "settings" table
DROP TABLE `settings`;
-- reverse: create index "outbox_state_next_attempt_at" to table: "outboxes"
DROP INDEX `outbox_state_next_attempt_at`;
-- reverse: create "outboxes" table
DROP TABLE `outboxes`;
-- reverse: create index "message_created_at" to table: "messages"
DROP INDEX `message_created_at`;
-- reverse: create index "message_channel_id_provider_message_id" to table: "messages"
DROP INDEX `message_channel_id_provider_message_id`;
-- reverse: create index "message_conversation_id_author_key_client_message_id" to table: "messages"
DROP INDEX `message_conversation_id_author_key_client_message_id`;
-- reverse: create index "message_conversation_id_seq" to table: "messages"
DROP INDEX `message_conversation_id_seq`;
-- reverse: create index "messages_reply_to_id_key" to table: "messages"
DROP INDEX `messages_reply_to_id_key`;
-- reverse: create "messages" table
DROP TABLE `messages`;
-- reverse: create index "member_user_id_archived_pinned_activity_at" to table: "members"
DROP INDEX `member_user_id_archived_pinned_activity_at`;
-- reverse: create index "member_conversation_id_user_id" to table: "members"
DROP INDEX `member_conversation_id_user_id`;
-- reverse: create "members" table
DROP TABLE `members`;
-- reverse: create index "event_created_at" to table: "events"
DROP INDEX `event_created_at`;
-- reverse: create index "event_xid_id" to table: "events"
DROP INDEX `event_xid_id`;
-- reverse: create "events" table
DROP TABLE `events`;
-- reverse: create index "document_kind_seq" to table: "documents"
DROP INDEX `document_kind_seq`;
-- reverse: create "documents" table
DROP TABLE `documents`;
-- reverse: create index "customer_links_contact_id_key" to table: "customer_links"
DROP INDEX `customer_links_contact_id_key`;
-- reverse: create "customer_links" table
DROP TABLE `customer_links`;
-- reverse: create "customers" table
DROP TABLE `customers`;
-- reverse: create index "conversation_kind_status_last_message_at" to table: "conversations"
DROP INDEX `conversation_kind_status_last_message_at`;
-- reverse: create index "conversation_channel_id_status_last_message_at" to table: "conversations"
DROP INDEX `conversation_channel_id_status_last_message_at`;
-- reverse: create index "conversation_channel_id_contact_id" to table: "conversations"
DROP INDEX `conversation_channel_id_contact_id`;
-- reverse: create index "conversation_direct_key" to table: "conversations"
DROP INDEX `conversation_direct_key`;
-- reverse: create "conversations" table
DROP TABLE `conversations`;
-- reverse: create index "contact_channel_id_external_id" to table: "contacts"
DROP INDEX `contact_channel_id_external_id`;
-- reverse: create "contacts" table
DROP TABLE `contacts`;
-- reverse: create index "channel_kind_external_id" to table: "channels"
DROP INDEX `channel_kind_external_id`;
-- reverse: create "channels" table
DROP TABLE `channels`;
-- reverse: create index "cannedresponse_shared" to table: "canned_responses"
DROP INDEX `cannedresponse_shared`;
-- reverse: create index "cannedresponse_owner_id" to table: "canned_responses"
DROP INDEX `cannedresponse_owner_id`;
-- reverse: create "canned_responses" table
DROP TABLE `canned_responses`;
-- reverse: create "calls" table
DROP TABLE `calls`;
-- reverse: create index "attachment_message_id_created_at" to table: "attachments"
DROP INDEX `attachment_message_id_created_at`;
-- reverse: create index "attachment_expired_expires_at" to table: "attachments"
DROP INDEX `attachment_expired_expires_at`;
-- reverse: create index "attachment_message_id" to table: "attachments"
DROP INDEX `attachment_message_id`;
-- reverse: create "attachments" table
DROP TABLE `attachments`;
