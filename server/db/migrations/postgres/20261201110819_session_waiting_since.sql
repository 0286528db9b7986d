-- +goose Up
-- modify "conversations" table
ALTER TABLE "conversations" ADD COLUMN "waiting_since" timestamptz NULL;
-- create index "conversation_kind_status_waiting_since" to table: "conversations"
CREATE INDEX "conversation_kind_status_waiting_since" ON "conversations" ("kind", "status", "waiting_since");

-- sessions already waiting: since their first customer message after the last reply
UPDATE conversations SET waiting_since = (SELECT min(m.created_at) FROM messages m
  WHERE m.conversation_id = conversations.id AND m.direction = 'INBOUND' AND m.seq > COALESCE((SELECT max(o.seq) FROM messages o
    WHERE o.conversation_id = conversations.id AND o.direction = 'OUTBOUND' AND o.agents_only = false AND o.status <> 'FAILED'), 0))
WHERE kind = 'EXTERNAL' AND reply_state IN ('UNREAD', 'UNANSWERED');

-- +goose Down
-- reverse: create index "conversation_kind_status_waiting_since" to table: "conversations"
DROP INDEX "conversation_kind_status_waiting_since";
-- reverse: modify "conversations" table
ALTER TABLE "conversations" DROP COLUMN "waiting_since";
