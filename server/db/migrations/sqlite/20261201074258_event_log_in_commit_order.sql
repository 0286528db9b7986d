-- +goose Up
-- The log's order is now its ids' (written at commit, in commit order): the
-- writer's transaction id goes. Dropped in place, so the rows and the id
-- sequence (sqlite_sequence) stay as they are.
DROP INDEX `event_xid_id`;
ALTER TABLE `events` DROP COLUMN `xid`;

-- +goose Down
ALTER TABLE `events` ADD COLUMN `xid` integer NULL DEFAULT (0);
CREATE INDEX `event_xid_id` ON `events` (`xid`, `id`);
