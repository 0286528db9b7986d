-- +goose Up
-- The log's order is now its ids' (written at commit, in commit order): the
-- writer's transaction id goes.
DROP INDEX "event_xid_id";
ALTER TABLE "events" DROP COLUMN "xid";

-- +goose Down
ALTER TABLE "events" ADD COLUMN "xid" bigint NULL DEFAULT ((pg_current_xact_id())::text)::bigint;
CREATE INDEX "event_xid_id" ON "events" ("xid", "id");
