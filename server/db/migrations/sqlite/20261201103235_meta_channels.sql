-- +goose Up
-- Rewritten by hand on 2026-12-01: ent's diff rebuilt the table, and goose
-- runs a migration in a transaction, where PRAGMA foreign_keys = off does
-- nothing, so dropping the old table ran its foreign keys' actions (the
-- rows of every table that cascades from it went). Adding the column is
-- all the rebuild did.
ALTER TABLE `channels` ADD COLUMN `receive_comments` bool NOT NULL DEFAULT (true);
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
