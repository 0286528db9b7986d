-- +goose Up
-- add column "answered_at" to table: "calls"
ALTER TABLE `calls` ADD COLUMN `answered_at` datetime NULL;
-- add column "answered_by_id" to table: "calls"
ALTER TABLE `calls` ADD COLUMN `answered_by_id` text NULL;
-- add column "answered_device" to table: "calls"
ALTER TABLE `calls` ADD COLUMN `answered_device` text NULL;
-- add column "started_device" to table: "calls"
ALTER TABLE `calls` ADD COLUMN `started_device` text NULL;
-- create "call_devices" table
CREATE TABLE `call_devices` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `device` text NOT NULL, `seq` integer NOT NULL DEFAULT (0), `call_id` text NOT NULL, CONSTRAINT `call_devices_calls_call` FOREIGN KEY (`call_id`) REFERENCES `calls` (`id`) ON DELETE CASCADE);
-- create index "calldevice_call_id_device" to table: "call_devices"
CREATE UNIQUE INDEX `calldevice_call_id_device` ON `call_devices` (`call_id`, `device`);
-- create "kept_signals" table
CREATE TABLE `kept_signals` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `call_id` text NOT NULL, `body` text NOT NULL, `created_at` datetime NOT NULL);
-- create index "keptsignal_call_id" to table: "kept_signals"
CREATE INDEX `keptsignal_call_id` ON `kept_signals` (`call_id`);
-- create index "keptsignal_created_at" to table: "kept_signals"
CREATE INDEX `keptsignal_created_at` ON `kept_signals` (`created_at`);

-- +goose Down
-- reverse: create index "keptsignal_created_at" to table: "kept_signals"
DROP INDEX `keptsignal_created_at`;
-- reverse: create index "keptsignal_call_id" to table: "kept_signals"
DROP INDEX `keptsignal_call_id`;
-- reverse: create "kept_signals" table
DROP TABLE `kept_signals`;
-- reverse: create index "calldevice_call_id_device" to table: "call_devices"
DROP INDEX `calldevice_call_id_device`;
-- reverse: create "call_devices" table
DROP TABLE `call_devices`;
-- reverse: add column "started_device" to table: "calls"
ALTER TABLE `calls` DROP COLUMN `started_device`;
-- reverse: add column "answered_device" to table: "calls"
ALTER TABLE `calls` DROP COLUMN `answered_device`;
-- reverse: add column "answered_by_id" to table: "calls"
ALTER TABLE `calls` DROP COLUMN `answered_by_id`;
-- reverse: add column "answered_at" to table: "calls"
ALTER TABLE `calls` DROP COLUMN `answered_at`;
