package transcribe

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeWhisper answers like OpenAI's /v1/audio/transcriptions; reply writes
// the answer after the request has been checked.
func fakeWhisper(t *testing.T, reply func(w http.ResponseWriter)) (*httptest.Server, *http.Request) {
	t.Helper()
	got := &http.Request{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/audio/transcriptions" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			t.Errorf("multipart: %v", err)
		}
		*got = *r
		reply(w)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func verboseJSON(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"task":"transcribe","language":"english","duration":2.1,"text":" Go forward ten meters.",`+
		`"segments":[{"id":0,"seek":0,"start":0.0,"end":2.1,"text":" Go forward ten meters.","tokens":[50364,1037],`+
		`"temperature":0.0,"avg_logprob":-0.2,"compression_ratio":0.8,"no_speech_prob":0.01}]}`)
}

func TestOpenAISendsTheFormAndReadsVerboseJSON(t *testing.T) {
	srv, got := fakeWhisper(t, verboseJSON)
	e := NewOpenAI(Config{URL: srv.URL, Key: "sk-test", Model: "whisper-1"})
	res, err := e.Transcribe(context.Background(), strings.NewReader("OggS fake audio"), "voice \"1\".ogg", "audio/ogg")
	if err != nil {
		t.Fatal(err)
	}
	if res != (Result{Text: "Go forward ten meters.", Language: "en"}) {
		t.Fatalf("result %+v", res)
	}
	if h := got.Header.Get("Authorization"); h != "Bearer sk-test" {
		t.Errorf("Authorization %q", h)
	}
	if got.FormValue("model") != "whisper-1" || got.FormValue("response_format") != "verbose_json" {
		t.Errorf("form %v", got.MultipartForm.Value)
	}
	f := got.MultipartForm.File["file"]
	if len(f) != 1 || f[0].Filename != "voice _1_.ogg" || f[0].Header.Get("Content-Type") != "audio/ogg" {
		t.Fatalf("file part %+v", f)
	}
	r, _ := f[0].Open()
	if b, _ := io.ReadAll(r); string(b) != "OggS fake audio" {
		t.Errorf("file content %q", b)
	}
}

func TestOpenAIWithoutKeySendsNoAuthorization(t *testing.T) {
	srv, got := fakeWhisper(t, func(w http.ResponseWriter) {
		io.WriteString(w, `{"language":"en","duration":1,"text":"hi","segments":[]}`) // faster-whisper-server style
	})
	res, err := NewOpenAI(Config{URL: srv.URL + "/v1/"}).Transcribe(context.Background(), strings.NewReader("x"), "", "")
	if err != nil || res.Language != "en" || res.Text != "hi" {
		t.Fatalf("%+v %v", res, err)
	}
	if got.Header.Get("Authorization") != "" || got.FormValue("model") != DefaultModel {
		t.Fatalf("auth %q model %q", got.Header.Get("Authorization"), got.FormValue("model"))
	}
}

func TestOpenAIErrors(t *testing.T) {
	long := strings.Repeat("very ", 500)
	cases := []struct {
		name      string
		status    int
		body      string
		temporary bool
		reason    string
	}{
		{"bad file", 400, `{"error":{"message":"Invalid file format.\nSupported formats: ['flac', 'mp3']","type":"invalid_request_error","param":null,"code":null}}`,
			false, "the transcription service refused the audio: Invalid file format. Supported formats: ['flac', 'mp3']"},
		{"detail", 422, `{"detail":"Audio too short"}`, false, "the transcription service refused the audio: Audio too short"},
		{"no json", 400, `<html>bad</html>`, false, "the transcription service refused the audio"},
		{"key", 401, `{"error":{"message":"Incorrect API key provided: sk-te**st."}}`, false, "the transcription service refused the configured key"},
		{"rate", 429, `{"error":{"message":"Rate limit reached"}}`, true, "the transcription service is busy (rate limited)"},
		{"down", 503, `upstream connect error`, true, "the transcription service is unavailable"},
		{"bad gateway", 502, ``, true, "the transcription service is unavailable"},
		{"not json", 200, `Go forward`, true, "the transcription service's answer could not be read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := fakeWhisper(t, func(w http.ResponseWriter) {
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			})
			_, err := NewOpenAI(Config{URL: srv.URL}).Transcribe(context.Background(), strings.NewReader("x"), "a.ogg", "audio/ogg")
			if err == nil || Temporary(err) != c.temporary || Reason(err) != c.reason {
				t.Fatalf("err %v: temporary %v reason %q", err, Temporary(err), Reason(err))
			}
		})
	}
	t.Run("long message is bounded", func(t *testing.T) {
		srv, _ := fakeWhisper(t, func(w http.ResponseWriter) {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": long}})
		})
		_, err := NewOpenAI(Config{URL: srv.URL}).Transcribe(context.Background(), strings.NewReader("x"), "a.ogg", "")
		if n := len([]rune(Reason(err))); n > 260 || Temporary(err) {
			t.Fatalf("reason of %d runes: %q", n, Reason(err))
		}
	})
}

func TestOpenAIOversizeAnswerIsRefused(t *testing.T) {
	srv, _ := fakeWhisper(t, func(w http.ResponseWriter) {
		io.WriteString(w, `{"text":"`+strings.Repeat("a", maxResponseBytes)+`"}`)
	})
	_, err := NewOpenAI(Config{URL: srv.URL}).Transcribe(context.Background(), strings.NewReader("x"), "a.ogg", "")
	if Reason(err) != "the transcription service's answer is too large" || Temporary(err) {
		t.Fatalf("%v", err)
	}
}

func TestOpenAIUnreachableAndTimeoutAreTemporary(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := NewOpenAI(Config{URL: url}).Transcribe(context.Background(), strings.NewReader("x"), "a.ogg", "")
	if !Temporary(err) || Reason(err) != "the transcription service could not be reached" {
		t.Fatalf("closed port: %v", err)
	}

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	e := NewOpenAI(Config{URL: slow.URL})
	e.Client.Timeout = 50 * time.Millisecond
	if _, err := e.Transcribe(context.Background(), strings.NewReader("x"), "a.ogg", ""); !Temporary(err) {
		t.Fatalf("timeout: %v", err)
	}
}

func TestEndpointForms(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.openai.com":                              "https://api.openai.com/v1/audio/transcriptions",
		"https://api.openai.com/":                             "https://api.openai.com/v1/audio/transcriptions",
		"http://127.0.0.1:8000/v1":                            "http://127.0.0.1:8000/v1/audio/transcriptions",
		"http://whisper:9000/v1/audio/transcriptions":         "http://whisper:9000/v1/audio/transcriptions",
		"http://whisper:9000/openai/v1/audio/transcriptions/": "http://whisper:9000/openai/v1/audio/transcriptions",
	} {
		if got := endpoint(in); got != want {
			t.Errorf("endpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLanguageCode(t *testing.T) {
	for in, want := range map[string]string{
		"english": "en", "English": "en", "en": "en", "en-US": "en", "german": "de", "portuguese": "pt",
		"javanese": "jv", "jw": "jv", "haitian creole": "ht", "norwegian": "no", "castilian": "es",
		"haw": "haw", "": "", "<script>": "", "x": "",
	} {
		if got := LanguageCode(in); got != want {
			t.Errorf("LanguageCode(%q) = %q, want %q", in, got, want)
		}
	}
}
