-- +goose Up
-- add column "counted" to table: "events"
ALTER TABLE `events` ADD COLUMN `counted` integer NULL;

-- +goose Down
-- reverse: add column "counted" to table: "events"
ALTER TABLE `events` DROP COLUMN `counted`;
