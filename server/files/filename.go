package files

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFilename matches the attachment's filename column (bytes).
const maxFilename = 255

// SanitizeFilename makes a client's filename safe to store, show and put in
// a Content-Disposition: no directories, no control or bidirectional
// override characters (which disguise "gpj.exe" as "exe.jpg"), none of the
// characters Windows forbids, no leading or trailing dots and spaces, valid
// UTF-8, at most 255 bytes with the extension kept. Empty becomes "file".
func SanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), r == '\u200b', r == '\ufeff':
			return -1
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(name, " .")
	if len(name) > maxFilename {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
			ext = name[i:]
		}
		base := name[:maxFilename-len(ext)]
		for !utf8.ValidString(base) {
			base = base[:len(base)-1]
		}
		name = strings.TrimRight(base, " .") + ext
	}
	if name == "" {
		return "file"
	}
	return name
}

// ContentDisposition is the header value for disposition ("inline" or
// "attachment") and a sanitized filename: a quoted ASCII fallback for old
// clients and the exact name in RFC 5987 form when it is not ASCII.
func ContentDisposition(disposition, filename string) string {
	name := SanitizeFilename(filename)
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	if ascii == name {
		return fmt.Sprintf(`%s; filename="%s"`, disposition, name)
	}
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, disposition, ascii, pathEscape(name))
}

// pathEscape percent-encodes all but RFC 5987's attr-char; url.PathEscape
// would leave characters such as ':' and '=' that it does not allow.
func pathEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
