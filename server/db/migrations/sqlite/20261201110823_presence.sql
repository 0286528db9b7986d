-- +goose Up
-- add column "last_seen_at" to table: "users"
ALTER TABLE `users` ADD COLUMN `last_seen_at` datetime NULL;
-- create "presences" table
CREATE TABLE `presences` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `user_id` text NOT NULL, `instance` text NOT NULL, `heartbeat_at` datetime NOT NULL);
-- create index "presence_user_id_instance" to table: "presences"
CREATE UNIQUE INDEX `presence_user_id_instance` ON `presences` (`user_id`, `instance`);
-- create index "presence_heartbeat_at" to table: "presences"
CREATE INDEX `presence_heartbeat_at` ON `presences` (`heartbeat_at`);

-- +goose Down
-- reverse: create index "presence_heartbeat_at" to table: "presences"
DROP INDEX `presence_heartbeat_at`;
-- reverse: create index "presence_user_id_instance" to table: "presences"
DROP INDEX `presence_user_id_instance`;
-- reverse: create "presences" table
DROP TABLE `presences`;
-- reverse: add column "last_seen_at" to table: "users"
ALTER TABLE `users` DROP COLUMN `last_seen_at`;
