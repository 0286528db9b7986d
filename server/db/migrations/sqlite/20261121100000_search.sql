-- +goose Up
-- Full-text search over message text. The index keeps its own copy of the
-- text with the message's and conversation's ids, so results are matched by
-- id (never by rowid, which VACUUM may renumber).
CREATE VIRTUAL TABLE `messages_fts` USING fts5(
  `message_id` UNINDEXED, `conversation_id` UNINDEXED, `text`,
  tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO `messages_fts` (`rowid`, `message_id`, `conversation_id`, `text`)
  SELECT `rowid`, `id`, `conversation_id`, `text` FROM `messages` WHERE `text` IS NOT NULL;
-- +goose StatementBegin
CREATE TRIGGER `messages_fts_insert` AFTER INSERT ON `messages` WHEN new.`text` IS NOT NULL BEGIN
  INSERT INTO `messages_fts` (`rowid`, `message_id`, `conversation_id`, `text`)
  VALUES (new.`rowid`, new.`id`, new.`conversation_id`, new.`text`);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER `messages_fts_delete` AFTER DELETE ON `messages` BEGIN
  DELETE FROM `messages_fts` WHERE `rowid` = old.`rowid` AND `message_id` = old.`id`;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER `messages_fts_update` AFTER UPDATE OF `text` ON `messages` BEGIN
  DELETE FROM `messages_fts` WHERE `rowid` = old.`rowid` AND `message_id` = old.`id`;
  INSERT INTO `messages_fts` (`rowid`, `message_id`, `conversation_id`, `text`)
  SELECT new.`rowid`, new.`id`, new.`conversation_id`, new.`text` WHERE new.`text` IS NOT NULL;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER `messages_fts_update`;
DROP TRIGGER `messages_fts_delete`;
DROP TRIGGER `messages_fts_insert`;
DROP TABLE `messages_fts`;
