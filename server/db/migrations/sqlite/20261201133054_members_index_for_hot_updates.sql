-- +goose Up
-- drop index "member_user_id_archived_pinned_activity_at" from table: "members"
DROP INDEX `member_user_id_archived_pinned_activity_at`;
-- create index "member_user_id_archived_pinned" to table: "members"
CREATE INDEX `member_user_id_archived_pinned` ON `members` (`user_id`, `archived`, `pinned`);

-- +goose Down
-- reverse: create index "member_user_id_archived_pinned" to table: "members"
DROP INDEX `member_user_id_archived_pinned`;
-- reverse: drop index "member_user_id_archived_pinned_activity_at" from table: "members"
CREATE INDEX `member_user_id_archived_pinned_activity_at` ON `members` (`user_id`, `archived`, `pinned`, `activity_at`);
