-- +goose Up
-- Search finds a voice message by its transcript too: the indexed text is
-- the message's text followed by its transcription's, kept up to date when
-- either changes.
DROP TRIGGER `messages_fts_update`;
DROP TRIGGER `messages_fts_insert`;
DELETE FROM `messages_fts`;
INSERT INTO `messages_fts` (`rowid`, `message_id`, `conversation_id`, `text`)
  SELECT `rowid`, `id`, `conversation_id`,
    trim(coalesce(`text`, '') || ' ' || coalesce(json_extract(CAST(`transcription` AS TEXT), '$.text'), ''))
  FROM `messages` WHERE `text` IS NOT NULL OR json_extract(CAST(`transcription` AS TEXT), '$.text') IS NOT NULL;
-- +goose StatementBegin
CREATE TRIGGER `messages_fts_insert` AFTER INSERT ON `messages`
WHEN new.`text` IS NOT NULL OR json_extract(CAST(new.`transcription` AS TEXT), '$.text') IS NOT NULL BEGIN
  INSERT INTO `messages_fts` (`rowid`, `message_id`, `conversation_id`, `text`)
  VALUES (new.`rowid`, new.`id`, new.`conversation_id`,
    trim(coalesce(new.`text`, '') || ' ' || coalesce(json_extract(CAST(new.`transcription` AS TEXT), '$.text'), '')));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER `messages_fts_update` AFTER UPDATE OF `text`, `transcription` ON `messages` BEGIN
  DELETE FROM `messages_fts` WHERE `rowid` = old.`rowid` AND `message_id` = old.`id`;
  INSERT INTO `messages_fts` (`rowid`, `message_id`, `conversation_id`, `text`)
  SELECT new.`rowid`, new.`id`, new.`conversation_id`,
    trim(coalesce(new.`text`, '') || ' ' || coalesce(json_extract(CAST(new.`transcription` AS TEXT), '$.text'), ''))
  WHERE new.`text` IS NOT NULL OR json_extract(CAST(new.`transcription` AS TEXT), '$.text') IS NOT NULL;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER `messages_fts_update`;
DROP TRIGGER `messages_fts_insert`;
DELETE FROM `messages_fts`;
INSERT INTO `messages_fts` (`rowid`, `message_id`, `conversation_id`, `text`)
  SELECT `rowid`, `id`, `conversation_id`, `text` FROM `messages` WHERE `text` IS NOT NULL;
-- +goose StatementBegin
CREATE TRIGGER `messages_fts_insert` AFTER INSERT ON `messages` WHEN new.`text` IS NOT NULL BEGIN
  INSERT INTO `messages_fts` (`rowid`, `message_id`, `conversation_id`, `text`)
  VALUES (new.`rowid`, new.`id`, new.`conversation_id`, new.`text`);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER `messages_fts_update` AFTER UPDATE OF `text` ON `messages` BEGIN
  DELETE FROM `messages_fts` WHERE `rowid` = old.`rowid` AND `message_id` = old.`id`;
  INSERT INTO `messages_fts` (`rowid`, `message_id`, `conversation_id`, `text`)
  SELECT new.`rowid`, new.`id`, new.`conversation_id`, new.`text` WHERE new.`text` IS NOT NULL;
END;
-- +goose StatementEnd
