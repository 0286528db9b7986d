-- +goose Up
-- Full-text search over message text: 'simple' (no stemming, any language),
-- lower-cased and with accents folded (the same mapping as server/chat/fold.go).
CREATE INDEX "message_text_search" ON "messages" USING GIN (to_tsvector('simple', translate(lower(coalesce("text", '')), 'àáâãäåāăąçćĉċčďđèéêëēĕėęěĝğġģĥħìíîïĩīĭįıĵķĺļľŀłñńņňŉòóôõöøōŏőŕŗřśŝşšșţťŧțùúûüũūŭůűųŵýÿŷźżž', 'aaaaaaaaacccccddeeeeeeeeegggghhiiiiiiiiijklllllnnnnnooooooooorrrsssssttttuuuuuuuuuuwyyyzzz')));

-- +goose Down
DROP INDEX "message_text_search";
