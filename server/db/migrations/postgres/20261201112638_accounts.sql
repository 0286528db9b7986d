-- +goose Up
-- modify "events" table
ALTER TABLE "events" ADD COLUMN "subject_id" character varying NULL;
-- modify "users" table
ALTER TABLE "users" ADD COLUMN "active" boolean NOT NULL DEFAULT true, ADD COLUMN "avatar_key" character varying NULL, ADD COLUMN "avatar_content_type" character varying NULL;

-- +goose Down
-- reverse: modify "users" table
ALTER TABLE "users" DROP COLUMN "avatar_content_type", DROP COLUMN "avatar_key", DROP COLUMN "active";
-- reverse: modify "events" table
ALTER TABLE "events" DROP COLUMN "subject_id";
