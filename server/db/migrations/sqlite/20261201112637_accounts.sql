-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- add column "subject_id" to table: "events"
ALTER TABLE `events` ADD COLUMN `subject_id` text NULL;
-- create "new_users" table
CREATE TABLE `new_users` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `extension` text NULL, `role` text NOT NULL DEFAULT ('MEMBER'), `password_hash` text NOT NULL, `sound_enabled` bool NOT NULL DEFAULT (true), `popup_enabled` bool NOT NULL DEFAULT (true), `last_seen_at` datetime NULL, `active` bool NOT NULL DEFAULT (true), `avatar_key` text NULL, `avatar_content_type` text NULL, PRIMARY KEY (`id`));
-- copy rows from old table "users" to new temporary table "new_users"
INSERT INTO `new_users` (`id`, `created_at`, `updated_at`, `name`, `email`, `extension`, `role`, `password_hash`, `sound_enabled`, `popup_enabled`, `last_seen_at`) SELECT `id`, `created_at`, `updated_at`, `name`, `email`, `extension`, `role`, `password_hash`, `sound_enabled`, `popup_enabled`, `last_seen_at` FROM `users`;
-- drop "users" table after copying rows
DROP TABLE `users`;
-- rename temporary table "new_users" to "users"
ALTER TABLE `new_users` RENAME TO `users`;
-- create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- create index "users_extension_key" to table: "users"
CREATE UNIQUE INDEX `users_extension_key` ON `users` (`extension`);
-- create index "user_name" to table: "users"
CREATE INDEX `user_name` ON `users` (`name`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- reverse: create index "user_name" to table: "users"
DROP INDEX `user_name`;
-- reverse: create index "users_extension_key" to table: "users"
DROP INDEX `users_extension_key`;
-- reverse: create index "users_email_key" to table: "users"
DROP INDEX `users_email_key`;
-- reverse: create "new_users" table
DROP TABLE `new_users`;
-- reverse: add column "subject_id" to table: "events"
ALTER TABLE `events` DROP COLUMN `subject_id`;
