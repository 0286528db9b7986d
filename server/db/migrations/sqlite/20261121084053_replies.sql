-- +goose Up
-- drop index "messages_reply_to_id_key" from table: "messages"
DROP INDEX `messages_reply_to_id_key`;
-- create index "message_reply_to_id" to table: "messages"
CREATE INDEX `message_reply_to_id` ON `messages` (`reply_to_id`);
-- create index "outbox_message_id" to table: "outboxes"
CREATE INDEX `outbox_message_id` ON `outboxes` (`message_id`);

-- +goose Down
-- reverse: create index "outbox_message_id" to table: "outboxes"
DROP INDEX `outbox_message_id`;
-- reverse: create index "message_reply_to_id" to table: "messages"
DROP INDEX `message_reply_to_id`;
-- reverse: drop index "messages_reply_to_id_key" from table: "messages"
CREATE UNIQUE INDEX `messages_reply_to_id_key` ON `messages` (`reply_to_id`);
