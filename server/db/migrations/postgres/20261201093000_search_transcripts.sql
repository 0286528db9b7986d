-- +goose Up
-- Search finds a voice message by its transcript too: the indexed document
-- is the text followed by the transcription's text (server/chat/search.go
-- writes the same expression).
DROP INDEX "message_text_search";
CREATE INDEX "message_text_search" ON "messages" USING GIN (to_tsvector('simple', translate(lower(coalesce("text", '') || ' ' || coalesce(("transcription"::jsonb) ->> 'text', '')), 'àáâãäåāăąçćĉċčďđèéêëēĕėęěĝğġģĥħìíîïĩīĭįıĵķĺļľŀłñńņňŉòóôõöøōŏőŕŗřśŝşšșţťŧțùúûüũūŭůűųŵýÿŷźżž', 'aaaaaaaaacccccddeeeeeeeeegggghhiiiiiiiiijklllllnnnnnooooooooorrrsssssttttuuuuuuuuuuwyyyzzz')));

-- +goose Down
DROP INDEX "message_text_search";
CREATE INDEX "message_text_search" ON "messages" USING GIN (to_tsvector('simple', translate(lower(coalesce("text", '')), 'àáâãäåāăąçćĉċčďđèéêëēĕėęěĝğġģĥħìíîïĩīĭįıĵķĺļľŀłñńņňŉòóôõöøōŏőŕŗřśŝşšșţťŧțùúûüũūŭůűųŵýÿŷźżž', 'aaaaaaaaacccccddeeeeeeeeegggghhiiiiiiiiijklllllnnnnnooooooooorrrsssssttttuuuuuuuuuuwyyyzzz')));
