-- +goose Up
-- Written by hand, not as ent's diff: that rebuilt both tables, and goose
-- runs a migration in a transaction, where PRAGMA foreign_keys = off does
-- nothing, so dropping the old conversations table would cascade to every
-- member and message. The counters carry over, each member's unread count
-- becoming the chat's counted less its unread_base.
ALTER TABLE `conversations` ADD COLUMN `counted` integer NOT NULL DEFAULT (0);
UPDATE `conversations` SET `counted` = (SELECT COUNT(*) FROM `messages` m
	WHERE m.`conversation_id` = `conversations`.`id` AND m.`kind` <> 'SYSTEM') WHERE `kind` <> 'EXTERNAL';
ALTER TABLE `members` ADD COLUMN `unread_base` integer NOT NULL DEFAULT (0);
UPDATE `members` SET `unread_base` = (SELECT c.`counted` FROM `conversations` c WHERE c.`id` = `members`.`conversation_id`) - `unread_count`;
ALTER TABLE `members` DROP COLUMN `unread_count`;

-- +goose Down
ALTER TABLE `members` ADD COLUMN `unread_count` integer NOT NULL DEFAULT (0);
UPDATE `members` SET `unread_count` = MAX(0, (SELECT c.`counted` FROM `conversations` c WHERE c.`id` = `members`.`conversation_id`) - `unread_base`);
ALTER TABLE `members` DROP COLUMN `unread_base`;
ALTER TABLE `conversations` DROP COLUMN `counted`;
