// Package transcribe turns a voice message into text with a speech engine:
// an OpenAI-compatible transcription endpoint (hosted, or a local Whisper
// server), or Debian's pocketsphinx run locally. Choose picks one from the
// configuration.
package transcribe

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"unicode/utf8"
)

// MaxSeconds is the longest audio Parley transcribes (API.md: 5 minutes,
// LIMIT_EXCEEDED "transcriptionSeconds" beyond). The caller checks it from
// the file's duration before asking an engine; engines also stop decoding a
// little past it.
const MaxSeconds = 300

// Result is a transcript: the text and its language as an ISO 639-1 code
// where one is known ("en").
type Result struct {
	Text, Language string
}

// MaxTextBytes bounds a transcript (5 minutes of speech is ~5 KB); longer
// text from an engine is cut at a character boundary.
const MaxTextBytes = 64 << 10

// newResult is the one place engine output becomes a Result: valid UTF-8,
// trimmed, bounded.
func newResult(text, language string) Result {
	text = strings.TrimSpace(strings.ToValidUTF8(text, "\uFFFD"))
	if len(text) > MaxTextBytes {
		cut := MaxTextBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	return Result{Text: text, Language: language}
}

// Engine transcribes one recording. audio is read once; filename and
// contentType describe it (engines use them as hints). Errors are *Error.
type Engine interface {
	Transcribe(ctx context.Context, audio io.Reader, filename, contentType string) (Result, error)
}

// Error is a failed transcription: Reason is a sentence an agent can read
// (no internals, no user input), Temporary says whether trying again later
// may succeed (a busy or unreachable service), Err is the cause for logs.
type Error struct {
	Reason    string
	Temporary bool
	Err       error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// NoEngineReason is the reason when nothing can transcribe (API.md).
const NoEngineReason = "no speech engine configured"

// Temporary tells whether err is worth retrying later.
func Temporary(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Temporary
}

// Reason is the sentence to show for err: its *Error reason, or a generic
// one for anything else.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Reason != "" {
		return e.Reason
	}
	return "transcription failed"
}

func final(reason string, err error) error { return &Error{Reason: reason, Err: err} }
func temporary(reason string, err error) error {
	return &Error{Reason: reason, Temporary: true, Err: err}
}

// Config is the engine configuration (PARLEY_TRANSCRIBE_*).
type Config struct {
	URL   string // an OpenAI-compatible endpoint; empty: the local engine
	Key   string // its bearer key, if any
	Model string // default DefaultModel
}

// DefaultModel is the model asked of an endpoint when none is configured.
const DefaultModel = "whisper-1"

// ConfigFromEnv reads PARLEY_TRANSCRIBE_URL, _KEY and _MODEL.
func ConfigFromEnv(getenv func(string) string) Config {
	c := Config{
		URL:   strings.TrimSpace(getenv("PARLEY_TRANSCRIBE_URL")),
		Key:   strings.TrimSpace(getenv("PARLEY_TRANSCRIBE_KEY")),
		Model: strings.TrimSpace(getenv("PARLEY_TRANSCRIBE_MODEL")),
	}
	if c.Model == "" {
		c.Model = DefaultModel
	}
	return c
}

// Choose returns the endpoint if one is configured, else the local engine if
// it is installed, else None.
func Choose(cfg Config) Engine {
	if cfg.URL != "" {
		return NewOpenAI(cfg)
	}
	if l, ok := FindLocal(exec.LookPath); ok {
		return l
	}
	return None{}
}

// None fails every transcription with NoEngineReason.
type None struct{}

// Transcribe fails: there is no engine.
func (None) Transcribe(context.Context, io.Reader, string, string) (Result, error) {
	return Result{}, final(NoEngineReason, nil)
}
