-- +goose Up
-- Rewritten by hand on 2026-12-01: ent's diff rebuilt the table, and goose
-- runs a migration in a transaction, where PRAGMA foreign_keys = off does
-- nothing, so dropping the old table ran its foreign keys' actions (the
-- rows of every table that cascades from it went). Adding the column is
-- all the rebuild did.
ALTER TABLE `users` ADD COLUMN `active` bool NOT NULL DEFAULT (true);
ALTER TABLE `users` ADD COLUMN `avatar_key` text NULL;
ALTER TABLE `users` ADD COLUMN `avatar_content_type` text NULL;
-- add column "subject_id" to table: "events"
ALTER TABLE `events` ADD COLUMN `subject_id` text NULL;

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
