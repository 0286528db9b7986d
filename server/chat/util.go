package chat

import (
	"unicode/utf8"
)

// textLen counts characters as people do: code points, so an emoji is one.
func textLen(s string) int { return utf8.RuneCountInString(s) }

func ptr[T any](v T) *T { return &v }

// deref is the string p points to, or "".
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
