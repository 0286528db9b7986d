-- +goose Up
-- modify "events" table
ALTER TABLE "events" ADD COLUMN "counted" bigint NULL;

-- +goose Down
-- reverse: modify "events" table
ALTER TABLE "events" DROP COLUMN "counted";
