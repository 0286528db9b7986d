-- +goose Up
-- modify "contacts" table
ALTER TABLE "contacts" ADD COLUMN "opted_out_at" timestamptz NULL;

-- +goose Down
-- reverse: modify "contacts" table
ALTER TABLE "contacts" DROP COLUMN "opted_out_at";
