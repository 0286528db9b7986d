-- +goose Up
-- Written by hand around ent's diff: the counters carry over, each member's
-- unread count becoming the chat's counted less its unread_base.
ALTER TABLE "conversations" ADD COLUMN "counted" bigint NOT NULL DEFAULT 0;
UPDATE "conversations" c SET "counted" = (SELECT COUNT(*) FROM "messages" m
	WHERE m."conversation_id" = c."id" AND m."kind" <> 'SYSTEM') WHERE c."kind" <> 'EXTERNAL';
ALTER TABLE "members" ADD COLUMN "unread_base" bigint NOT NULL DEFAULT 0;
UPDATE "members" mb SET "unread_base" = c."counted" - mb."unread_count"
	FROM "conversations" c WHERE c."id" = mb."conversation_id";
ALTER TABLE "members" DROP COLUMN "unread_count";

-- +goose Down
ALTER TABLE "members" ADD COLUMN "unread_count" bigint NOT NULL DEFAULT 0;
UPDATE "members" mb SET "unread_count" = GREATEST(0, c."counted" - mb."unread_base")
	FROM "conversations" c WHERE c."id" = mb."conversation_id";
ALTER TABLE "members" DROP COLUMN "unread_base";
ALTER TABLE "conversations" DROP COLUMN "counted";
