-- +goose Up
-- add column "opted_out_at" to table: "contacts"
ALTER TABLE `contacts` ADD COLUMN `opted_out_at` datetime NULL;

-- +goose Down
-- reverse: add column "opted_out_at" to table: "contacts"
ALTER TABLE `contacts` DROP COLUMN `opted_out_at`;
