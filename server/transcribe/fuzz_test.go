package transcribe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzServiceMessage: whatever an endpoint sends as an error body, the
// reason is one bounded, printable line.
func FuzzServiceMessage(f *testing.F) {
	f.Add([]byte(`{"error":{"message":"Invalid file format.","type":"invalid_request_error"}}`))
	f.Add([]byte(`{"detail":"Audio too short"}`))
	f.Add([]byte(`{"error":"plain"}`))
	f.Add([]byte(`{"error":{"message":"a\u0000b\nc\u202e"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m := serviceMessage(body)
		if utf8.RuneCountInString(m) > maxReasonRunes || strings.ContainsAny(m, "\n\r\x00") {
			t.Fatalf("unbounded reason %q", m)
		}
	})
}

// FuzzLanguageCode: the language is "" or a short lower-case word.
func FuzzLanguageCode(f *testing.F) {
	for _, s := range []string{"english", "en", "en-US", "haitian creole", "jw", "<x>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := LanguageCode(s)
		if len(c) > 24 || strings.Trim(c, "abcdefghijklmnopqrstuvwxyz ") != "" {
			t.Fatalf("LanguageCode(%q) = %q", s, c)
		}
	})
}
