package transcribe

import "strings"

// LanguageCode normalises the language an engine reports to an ISO 639-1
// code: OpenAI's Whisper answers with an English name ("english"), local
// Whisper servers with a code ("en"), some with a tag ("en-US"). Names are
// those of Whisper's language table (and its aliases); Whisper's "jw" for
// Javanese becomes ISO's "jv". A code or name not in the table is kept,
// lower-cased, if it is a short word (Whisper's "haw", "yue" have no 639-1
// code); anything else is "".
func LanguageCode(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if c, ok := languageNames[s]; ok {
		return c
	}
	if i := strings.IndexAny(s, "-_"); i > 0 { // a tag: its language part
		s = s[:i]
	}
	if s == "jw" {
		return "jv"
	}
	if len(s) < 2 || len(s) > 24 {
		return ""
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != ' ' {
			return ""
		}
	}
	return s
}

// languageNames maps Whisper's language names to ISO 639-1 codes.
var languageNames = map[string]string{
	"english":          "en",
	"chinese":          "zh",
	"german":           "de",
	"spanish":          "es",
	"russian":          "ru",
	"korean":           "ko",
	"french":           "fr",
	"japanese":         "ja",
	"portuguese":       "pt",
	"turkish":          "tr",
	"polish":           "pl",
	"catalan":          "ca",
	"dutch":            "nl",
	"arabic":           "ar",
	"swedish":          "sv",
	"italian":          "it",
	"indonesian":       "id",
	"hindi":            "hi",
	"finnish":          "fi",
	"vietnamese":       "vi",
	"hebrew":           "he",
	"ukrainian":        "uk",
	"greek":            "el",
	"malay":            "ms",
	"czech":            "cs",
	"romanian":         "ro",
	"danish":           "da",
	"hungarian":        "hu",
	"tamil":            "ta",
	"norwegian":        "no",
	"thai":             "th",
	"urdu":             "ur",
	"croatian":         "hr",
	"bulgarian":        "bg",
	"lithuanian":       "lt",
	"latin":            "la",
	"maori":            "mi",
	"malayalam":        "ml",
	"welsh":            "cy",
	"slovak":           "sk",
	"telugu":           "te",
	"persian":          "fa",
	"latvian":          "lv",
	"bengali":          "bn",
	"serbian":          "sr",
	"azerbaijani":      "az",
	"slovenian":        "sl",
	"kannada":          "kn",
	"estonian":         "et",
	"macedonian":       "mk",
	"breton":           "br",
	"basque":           "eu",
	"icelandic":        "is",
	"armenian":         "hy",
	"nepali":           "ne",
	"mongolian":        "mn",
	"bosnian":          "bs",
	"kazakh":           "kk",
	"albanian":         "sq",
	"swahili":          "sw",
	"galician":         "gl",
	"marathi":          "mr",
	"punjabi":          "pa",
	"sinhala":          "si",
	"khmer":            "km",
	"shona":            "sn",
	"yoruba":           "yo",
	"somali":           "so",
	"afrikaans":        "af",
	"occitan":          "oc",
	"georgian":         "ka",
	"belarusian":       "be",
	"tajik":            "tg",
	"sindhi":           "sd",
	"gujarati":         "gu",
	"amharic":          "am",
	"yiddish":          "yi",
	"lao":              "lo",
	"uzbek":            "uz",
	"faroese":          "fo",
	"haitian creole":   "ht",
	"pashto":           "ps",
	"turkmen":          "tk",
	"nynorsk":          "nn",
	"maltese":          "mt",
	"sanskrit":         "sa",
	"luxembourgish":    "lb",
	"myanmar":          "my",
	"tibetan":          "bo",
	"tagalog":          "tl",
	"malagasy":         "mg",
	"assamese":         "as",
	"tatar":            "tt",
	"lingala":          "ln",
	"hausa":            "ha",
	"bashkir":          "ba",
	"javanese":         "jv",
	"sundanese":        "su",
	"burmese":          "my",
	"valencian":        "ca",
	"flemish":          "nl",
	"haitian":          "ht",
	"letzeburgesch":    "lb",
	"pushto":           "ps",
	"panjabi":          "pa",
	"moldavian":        "ro",
	"moldovan":         "ro",
	"sinhalese":        "si",
	"castilian":        "es",
	"mandarin":         "zh",
	"norwegian bokmål": "nb",
	"bokmål":           "nb",
}
