-- +goose Up
-- drop index "member_user_id_archived_pinned_activity_at" from table: "members"
DROP INDEX "member_user_id_archived_pinned_activity_at";
-- create index "member_user_id_archived_pinned" to table: "members"
CREATE INDEX "member_user_id_archived_pinned" ON "members" ("user_id", "archived", "pinned");
-- Written by hand: room on each page for the new versions of a row, which
-- every message writes for every member of its chat, so that PostgreSQL
-- updates them in place (HOT) instead of writing a row and its index
-- entries elsewhere (BENCHMARKS.md). ent's schema has no word for it.
ALTER TABLE "members" SET (fillfactor = 50);

-- +goose Down
ALTER TABLE "members" RESET (fillfactor);
-- reverse: create index "member_user_id_archived_pinned" to table: "members"
DROP INDEX "member_user_id_archived_pinned";
-- reverse: drop index "member_user_id_archived_pinned_activity_at" from table: "members"
CREATE INDEX "member_user_id_archived_pinned_activity_at" ON "members" ("user_id", "archived", "pinned", "activity_at");
