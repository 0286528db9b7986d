package chat

import "strings"

// Accent folding for search, shared with the PostgreSQL index expression in
// server/db/migrations/postgres/*_search.sql (which must use these exact
// strings): lower-case Latin letters with diacritics, and their base letters.
const (
	accentFrom = "àáâãäåāăąçćĉċčďđèéêëēĕėęěĝğġģĥħìíîïĩīĭįıĵķĺļľŀłñńņňŉòóôõöøōŏőŕŗřśŝşšșţťŧțùúûüũūŭůűųŵýÿŷźżž"
	accentTo   = "aaaaaaaaacccccddeeeeeeeeegggghhiiiiiiiiijklllllnnnnnooooooooorrrsssssttttuuuuuuuuuuwyyyzzz"
)

var accentFolder = func() *strings.Replacer {
	from, to := []rune(accentFrom), []rune(accentTo)
	var pairs []string
	for i := range from {
		pairs = append(pairs, string(from[i]), string(to[i]))
	}
	return strings.NewReplacer(pairs...)
}()

// foldAccents strips the diacritics PostgreSQL's index strips, so "cafe"
// finds "Café" there as FTS5's remove_diacritics does on SQLite.
func foldAccents(s string) string { return accentFolder.Replace(s) }
