package app_test

import (
	"testing"

	"parley/server/app"
	"parley/server/transcribe"
)

// The speech engine's settings come from PARLEY_TRANSCRIBE_URL, _KEY and
// _MODEL (whisper-1 when unset).
func TestTranscribeSettingsFromEnv(t *testing.T) {
	c, err := app.FromEnv(fakeEnv("PARLEY_TRANSCRIBE_URL", "http://127.0.0.1:9000/v1",
		"PARLEY_TRANSCRIBE_KEY", "sk-test", "PARLEY_TRANSCRIBE_MODEL", "large-v3"))
	if err != nil {
		t.Fatal(err)
	}
	want := transcribe.Config{URL: "http://127.0.0.1:9000/v1", Key: "sk-test", Model: "large-v3"}
	if c.Transcribe != want {
		t.Fatalf("config %+v, want %+v", c.Transcribe, want)
	}
	if c, _ := app.FromEnv(fakeEnv()); c.Transcribe != (transcribe.Config{Model: transcribe.DefaultModel}) {
		t.Fatalf("unset: %+v", c.Transcribe)
	}
}
