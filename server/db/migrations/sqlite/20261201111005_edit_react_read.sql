-- +goose Up
-- add column "deleted_after_delivery" to table: "messages" (in place: rebuilding
-- the table would drop the search triggers and renumber the rowids they index)
ALTER TABLE `messages` ADD COLUMN `deleted_after_delivery` bool NOT NULL DEFAULT (false);
-- create "read_marks" table
CREATE TABLE `read_marks` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `seq` integer NOT NULL, `read_at` datetime NOT NULL, `conversation_id` text NOT NULL, `user_id` text NOT NULL, CONSTRAINT `read_marks_conversations_conversation` FOREIGN KEY (`conversation_id`) REFERENCES `conversations` (`id`) ON DELETE CASCADE, CONSTRAINT `read_marks_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- create index "readmark_conversation_id_seq" to table: "read_marks"
CREATE INDEX `readmark_conversation_id_seq` ON `read_marks` (`conversation_id`, `seq`);

-- +goose Down
DROP INDEX `readmark_conversation_id_seq`;
DROP TABLE `read_marks`;
ALTER TABLE `messages` DROP COLUMN `deleted_after_delivery`;
