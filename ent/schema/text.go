package schema

import (
	"fmt"
	"unicode/utf8"
)

// maxChars is MaxLen counted in characters (code points), as people count
// and as PostgreSQL's varchar counts; ent's MaxLen counts bytes, which
// refused 67 Japanese characters as more than 200.
func maxChars(n int) func(string) error {
	return func(s string) error {
		if utf8.RuneCountInString(s) > n {
			return fmt.Errorf("at most %d characters", n)
		}
		return nil
	}
}
