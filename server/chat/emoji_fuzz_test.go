package chat

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"parley/server/apperr"
)

// FuzzCheckEmoji holds the emoji rule to its statement: what is accepted is
// valid UTF-8 of 1 to 16 characters without spaces or control characters;
// what is refused is BAD_USER_INPUT and never echoes the input.
func FuzzCheckEmoji(f *testing.F) {
	for _, s := range []string{"👍", "👨‍👩‍👧‍👦", "", " ", "a b", "\x00", "\xff", "🇫🇷", "x\u200b", "abcdefghijklmnopq"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := checkEmoji(s)
		ok := utf8.ValidString(s) && utf8.RuneCountInString(s) >= 1 && utf8.RuneCountInString(s) <= maxEmojiRunes
		for _, r := range s {
			if unicode.IsSpace(r) || unicode.IsControl(r) {
				ok = false
			}
		}
		if ok != (err == nil) {
			t.Fatalf("checkEmoji(%q) = %v", s, err)
		}
		if err != nil {
			if apperr.CodeOf(err) != apperr.BadUserInput {
				t.Fatalf("code %s", apperr.CodeOf(err))
			}
			if len(s) > 3 && strings.Contains(err.Error(), s) {
				t.Fatalf("the error echoes the input: %v", err)
			}
		}
	})
}
