-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_channels" table
CREATE TABLE `new_channels` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `name` text NOT NULL, `connected` bool NOT NULL DEFAULT (true), `max_file_size` integer NOT NULL, `auto_close_after_hours` integer NULL, `file_retention_hours` integer NOT NULL DEFAULT (72), `external_id` text NULL, `page_name` text NULL, `receive_comments` bool NOT NULL DEFAULT (true), `credentials` json NULL, PRIMARY KEY (`id`));
-- copy rows from old table "channels" to new temporary table "new_channels"
INSERT INTO `new_channels` (`id`, `created_at`, `updated_at`, `kind`, `name`, `connected`, `max_file_size`, `auto_close_after_hours`, `file_retention_hours`, `external_id`, `page_name`, `credentials`) SELECT `id`, `created_at`, `updated_at`, `kind`, `name`, `connected`, `max_file_size`, `auto_close_after_hours`, `file_retention_hours`, `external_id`, `page_name`, `credentials` FROM `channels`;
-- drop "channels" table after copying rows
DROP TABLE `channels`;
-- rename temporary table "new_channels" to "channels"
ALTER TABLE `new_channels` RENAME TO `channels`;
-- create index "channel_kind_external_id" to table: "channels"
CREATE INDEX `channel_kind_external_id` ON `channels` (`kind`, `external_id`);
-- add column "provider_kind" to table: "messages"
ALTER TABLE `messages` ADD COLUMN `provider_kind` text NULL;
-- add column "edited_at" to table: "messages"
ALTER TABLE `messages` ADD COLUMN `edited_at` datetime NULL;
-- add column "deleted_at" to table: "messages"
ALTER TABLE `messages` ADD COLUMN `deleted_at` datetime NULL;
-- create "reactions" table
CREATE TABLE `reactions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `author_key` text NOT NULL, `user_id` text NULL, `emoji` text NOT NULL, `message_id` text NOT NULL, CONSTRAINT `reactions_messages_message` FOREIGN KEY (`message_id`) REFERENCES `messages` (`id`) ON DELETE CASCADE);
-- create index "reaction_message_id_author_key_emoji" to table: "reactions"
CREATE UNIQUE INDEX `reaction_message_id_author_key_emoji` ON `reactions` (`message_id`, `author_key`, `emoji`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- reverse: create index "reaction_message_id_author_key_emoji" to table: "reactions"
DROP INDEX `reaction_message_id_author_key_emoji`;
-- reverse: create "reactions" table
DROP TABLE `reactions`;
-- reverse: add column "deleted_at" to table: "messages"
ALTER TABLE `messages` DROP COLUMN `deleted_at`;
-- reverse: add column "edited_at" to table: "messages"
ALTER TABLE `messages` DROP COLUMN `edited_at`;
-- reverse: add column "provider_kind" to table: "messages"
ALTER TABLE `messages` DROP COLUMN `provider_kind`;
-- reverse: create index "channel_kind_external_id" to table: "channels"
DROP INDEX `channel_kind_external_id`;
-- reverse: create "new_channels" table
DROP TABLE `new_channels`;
