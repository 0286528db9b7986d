package transcribe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestConfigFromEnvDefaultsTheModel(t *testing.T) {
	env := map[string]string{"PARLEY_TRANSCRIBE_URL": " http://w:8000 ", "PARLEY_TRANSCRIBE_KEY": "k"}
	c := ConfigFromEnv(func(k string) string { return env[k] })
	if c != (Config{URL: "http://w:8000", Key: "k", Model: "whisper-1"}) {
		t.Fatalf("%+v", c)
	}
}

func TestChooseTheEndpointWhenConfigured(t *testing.T) {
	e, ok := Choose(Config{URL: "http://w:8000", Model: "large-v3"}).(*OpenAI)
	if !ok || e.Endpoint != "http://w:8000/v1/audio/transcriptions" || e.Model != "large-v3" {
		t.Fatalf("%#v", e)
	}
}

func TestWithoutToolsThereIsNoLocalEngine(t *testing.T) {
	missing := func(string) (string, error) { return "", errors.New("not found") }
	if _, ok := FindLocal(missing); ok {
		t.Fatal("found a local engine without its tools")
	}
	onlyFFmpeg := func(name string) (string, error) {
		if name == "ffmpeg" {
			return "/usr/bin/ffmpeg", nil
		}
		return "", errors.New("not found")
	}
	if _, ok := FindLocal(onlyFFmpeg); ok {
		t.Fatal("found a local engine without pocketsphinx")
	}
}

func TestNoneFailsWithTheReadableReason(t *testing.T) {
	_, err := None{}.Transcribe(context.Background(), strings.NewReader("x"), "a.ogg", "audio/ogg")
	if Reason(err) != "no speech engine configured" || Temporary(err) {
		t.Fatalf("%v", err)
	}
}

func TestReasonOfAnyError(t *testing.T) {
	if Reason(errors.New("internal detail")) != "transcription failed" || Temporary(errors.New("x")) {
		t.Fatal("a foreign error must not leak its text or claim to be temporary")
	}
	wrapped := errors.Join(errors.New("ctx"), temporary("busy", nil))
	if Reason(wrapped) != "busy" || !Temporary(wrapped) {
		t.Fatal("wrapped *Error not found")
	}
}

func TestResultTextIsBoundedAndValid(t *testing.T) {
	long := strings.Repeat("é", MaxTextBytes) // 2 bytes each
	r := newResult(" "+long+" ", "en")
	if len(r.Text) > MaxTextBytes || !utf8.ValidString(r.Text) || len(r.Text) < MaxTextBytes-1 {
		t.Fatalf("%d bytes, valid %v", len(r.Text), utf8.ValidString(r.Text))
	}
	if r := newResult("ok\xff", ""); r.Text != "ok\uFFFD" {
		t.Fatalf("%q", r.Text)
	}
}
