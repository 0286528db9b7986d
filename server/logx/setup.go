package logx

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// New is the server's logger: JSON lines (format "json" or "") or
// slog's key=value text for a terminal ("text"), at level debug, info
// (""), warn or error. Durations are written as milliseconds (a float),
// whatever logged them, under their key with "_ms" appended.
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "", "info":
		lv = slog.LevelInfo
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("PARLEY_LOG_LEVEL must be debug, info, warn or error")
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: millis}
	switch strings.ToLower(format) {
	case "", "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("PARLEY_LOG_FORMAT must be json or text")
}

// millis writes a time.Duration as float milliseconds, so that no line
// mixes nanoseconds ("took":7247332) with milliseconds.
func millis(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	key := a.Key
	if !strings.HasSuffix(key, "ms") {
		key += "_ms"
	}
	return slog.Float64(key, MS(a.Value.Duration()))
}

// MS is d in milliseconds, to the microsecond.
func MS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
