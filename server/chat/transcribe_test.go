package chat_test

import (
	"encoding/binary"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/app"
	"parley/server/chat"
	"parley/server/transcribe"
)

// Every audio or video upload says how long it plays, read from the file
// (server/media's fixtures are 3.5 s); a file that does not say has null.
func TestUploadReadsDuration(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		q := `mutation($c:ID!,$f:Upload!){ uploadFile(conversationId:$c, file:$f){ contentType durationSeconds } }`
		for _, name := range []string{"voice.opus", "vorbis.ogg", "cbr.mp3", "vbr.mp3", "voice.m4a", "voice.wav", "voice.webm", "voice.mka"} {
			data, err := os.ReadFile(filepath.Join("..", "media", "testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			var out struct {
				UploadFile struct {
					ContentType     string
					DurationSeconds *float64
				}
			}
			r := ann.Upload(q, Vars{"c": c}, apitest.BytesFile("f", name, data))
			if len(r.Errors) > 0 {
				t.Fatalf("%s: %+v", name, r.Errors)
			}
			r.Decode(t, &out)
			d := out.UploadFile.DurationSeconds
			if d == nil || math.Abs(*d-3.5) > 0.25 {
				t.Errorf("%s (%s): duration %v, want about 3.5", name, out.UploadFile.ContentType, d)
			}
		}
		var out struct {
			UploadFile struct{ DurationSeconds *float64 }
		}
		ann.Upload(q, Vars{"c": c}, apitest.BytesFile("f", "notes.txt", []byte("hello"))).Decode(t, &out)
		if out.UploadFile.DurationSeconds != nil {
			t.Errorf("a text file has a duration: %v", *out.UploadFile.DurationSeconds)
		}
	})
}

// whisper is a fake OpenAI-compatible transcription endpoint on loopback:
// reply answers the nth request (from 1).
type whisper struct {
	*httptest.Server
	requests atomic.Int64
}

func fakeWhisper(t *testing.T, reply func(n int64, w http.ResponseWriter, r *http.Request)) *whisper {
	t.Helper()
	f := &whisper{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/audio/transcriptions" || r.FormValue("response_format") != "verbose_json" {
			http.Error(w, `{"error":{"message":"wrong request"}}`, http.StatusNotFound)
			return
		}
		reply(f.requests.Add(1), w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func sayGoForward(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"task":"transcribe","language":"english","duration":3.5,"text":" go forward ten meters "}`)
}

// fastJob is the transcription job with test timings.
var fastJob = chat.TranscribeConfig{Poll: 50 * time.Millisecond, Lease: time.Minute, Backoff: 10 * time.Millisecond, MaxAttempts: 4}

func speechOptions(url string, dataDir string) apitest.Options {
	return apitest.Options{Configure: func(c *app.Config) {
		c.Transcribe = transcribe.Config{URL: url, Model: "whisper-1"}
		c.TranscribeJob = &fastJob
		if dataDir != "" {
			c.DataDir = dataDir
		}
	}}
}

// runSpeech runs fn on both databases, each with its own fake endpoint.
func runSpeech(t *testing.T, reply func(n int64, w http.ResponseWriter, r *http.Request), fn func(t *testing.T, env *apitest.Env, f *whisper)) {
	t.Parallel()
	for _, backend := range apitest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := fakeWhisper(t, reply)
			fn(t, apitest.Start(t, backend, speechOptions(f.URL, "")), f)
		})
	}
}

type transcriptionOut struct {
	Status                 string
	Text, Language, Reason *string
}

const transcribeQ = `mutation($m:ID!){ transcribeMessage(messageId:$m){ id transcription { status text language reason } } }`

func transcribeAs(t *testing.T, c *apitest.Client, id string) transcriptionOut {
	t.Helper()
	var out struct {
		TranscribeMessage struct{ Transcription *transcriptionOut }
	}
	c.MustDo(transcribeQ, Vars{"m": id}, &out)
	if out.TranscribeMessage.Transcription == nil {
		t.Fatal("transcribeMessage answered no transcription")
	}
	return *out.TranscribeMessage.Transcription
}

const transcriptionEvents = `subscription{ events { type message { id transcription { status text language reason } } } }`

// transcribed waits for the MESSAGE_UPDATED that ends id's transcription.
func transcribed(t *testing.T, sub *apitest.Subscription, id string) transcriptionOut {
	t.Helper()
	for {
		r := sub.Next(wait)
		if len(r.Errors) > 0 {
			t.Fatalf("events: %+v", r.Errors)
		}
		var e struct {
			Events struct {
				Type    string
				Message *struct {
					ID            string
					Transcription *transcriptionOut
				}
			}
		}
		r.Decode(t, &e)
		m := e.Events.Message
		if e.Events.Type == "MESSAGE_UPDATED" && m != nil && m.ID == id && m.Transcription != nil && m.Transcription.Status != "PENDING" {
			return *m.Transcription
		}
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "media", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// voiceMessage sends an Opus voice note to a group of ann and bob.
func voiceMessage(t *testing.T, env *apitest.Env) (ann, bob *apitest.Client, id string) {
	t.Helper()
	ann, bob = env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
	g := groupChat(t, ann, "Voice", bob.ID)
	m := sendFiles(t, ann, g, uploadTo(t, ann, g, "note.opus", fixture(t, "voice.opus")).ID)
	if m.Kind != "AUDIO" {
		t.Fatalf("an Opus file made a %s message", m.Kind)
	}
	return ann, bob, m.ID
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// transcribeMessage answers PENDING; the chat hears DONE with the text and
// its language; asking again returns it without asking the engine again.
func TestTranscribeThroughAnEndpoint(t *testing.T) {
	runSpeech(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { sayGoForward(w) }, func(t *testing.T, env *apitest.Env, f *whisper) {
		ann, bob, id := voiceMessage(t, env)
		sub := ann.Connect().Subscribe(transcriptionEvents, nil)
		time.Sleep(100 * time.Millisecond) // subscribed
		if tr := transcribeAs(t, bob, id); tr.Status != "PENDING" {
			t.Fatalf("transcribeMessage answered %+v, want PENDING", tr)
		}
		tr := transcribed(t, sub, id)
		if tr.Status != "DONE" || str(tr.Text) != "go forward ten meters" || str(tr.Language) != "en" || tr.Reason != nil {
			t.Fatalf("transcription %s %q %q", tr.Status, str(tr.Text), str(tr.Language))
		}
		if again := transcribeAs(t, ann, id); again.Status != "DONE" || str(again.Text) != "go forward ten meters" {
			t.Fatalf("asked again: %+v", again)
		}
		if n := f.requests.Load(); n != 1 {
			t.Fatalf("the endpoint was asked %d times, want 1", n)
		}
		// The transcript is searchable, by whoever may read the message.
		var found struct {
			SearchMessages struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		bob.MustDo(`{ searchMessages(query:"forward meters"){ edges { node { id } } } }`, nil, &found)
		if e := found.SearchMessages.Edges; len(e) != 1 || e[0].Node.ID != id {
			t.Fatalf("searching the transcript found %+v", e)
		}
		stranger := env.NewUser("MEMBER", "Dan")
		stranger.MustDo(`{ searchMessages(query:"forward"){ edges { node { id } } } }`, nil, &found)
		if len(found.SearchMessages.Edges) != 0 {
			t.Fatal("a stranger found the transcript")
		}
	})
}

// Server errors are retried (with backoff, boundedly): the third answer counts.
func TestTranscribeRetriesTemporaryFailures(t *testing.T) {
	runSpeech(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n <= 2 {
			http.Error(w, `{"error":{"message":"overloaded"}}`, http.StatusInternalServerError)
			return
		}
		sayGoForward(w)
	}, func(t *testing.T, env *apitest.Env, f *whisper) {
		ann, _, id := voiceMessage(t, env)
		sub := ann.Connect().Subscribe(transcriptionEvents, nil)
		time.Sleep(100 * time.Millisecond)
		transcribeAs(t, ann, id)
		if tr := transcribed(t, sub, id); tr.Status != "DONE" || str(tr.Text) != "go forward ten meters" {
			t.Fatalf("transcription %s %q %q", tr.Status, str(tr.Text), str(tr.Reason))
		}
		if n := f.requests.Load(); n != 3 {
			t.Fatalf("the endpoint was asked %d times, want 3", n)
		}
	})
}

// A refusal is final: FAILED with the service's message; a FAILED one may be
// asked again.
func TestTranscribeRefusedIsFailedWithTheReason(t *testing.T) {
	runSpeech(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":{"message":"Invalid file format."}}`)
			return
		}
		sayGoForward(w)
	}, func(t *testing.T, env *apitest.Env, f *whisper) {
		ann, _, id := voiceMessage(t, env)
		sub := ann.Connect().Subscribe(transcriptionEvents, nil)
		time.Sleep(100 * time.Millisecond)
		transcribeAs(t, ann, id)
		tr := transcribed(t, sub, id)
		if tr.Status != "FAILED" || !strings.Contains(str(tr.Reason), "Invalid file format.") || tr.Text != nil {
			t.Fatalf("transcription %s reason %q", tr.Status, str(tr.Reason))
		}
		if n := f.requests.Load(); n != 1 {
			t.Fatalf("a refusal was retried: %d requests", n)
		}
		if again := transcribeAs(t, ann, id); again.Status != "PENDING" {
			t.Fatalf("asking again after FAILED: %+v", again)
		}
		// Events read the message when delivered: the first try's may still
		// be queued, showing FAILED; the second try ends in DONE.
		for transcribed(t, sub, id).Status != "DONE" {
		}
		if n := f.requests.Load(); n != 2 {
			t.Fatalf("the endpoint was asked %d times, want 2", n)
		}
	})
}

// A PENDING transcription survives a restart: the instance that had it
// stops mid-request, the next one on the database takes it over once the
// lease ends and finishes it, once.
func TestTranscriptionSurvivesARestart(t *testing.T) {
	t.Parallel()
	for _, backend := range apitest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			asked := make(chan struct{}, 1)
			released := make(chan struct{})
			f := fakeWhisper(t, func(n int64, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					asked <- struct{}{}
					select { // the first instance dies waiting
					case <-r.Context().Done():
					case <-released: // the test is over: let the fake endpoint close
					}
					return
				}
				sayGoForward(w)
			})
			t.Cleanup(func() { close(released) }) // before the endpoint's own cleanup (LIFO)
			dir := t.TempDir()
			opts := speechOptions(f.URL, dir) // one database and data directory for both
			opts.DatabaseURL = apitest.DatabaseURL(t, backend)
			a := apitest.Start(t, backend, opts)
			ann, _, id := voiceMessage(t, a)
			if tr := transcribeAs(t, ann, id); tr.Status != "PENDING" {
				t.Fatalf("answered %+v", tr)
			}
			select {
			case <-asked:
			case <-time.After(wait):
				t.Fatal("the endpoint was never asked")
			}
			// Asking again while PENDING starts nothing new.
			if tr := transcribeAs(t, ann, id); tr.Status != "PENDING" {
				t.Fatalf("asked again: %+v", tr)
			}
			a.Stop()
			if n := f.requests.Load(); n != 1 {
				t.Fatalf("the endpoint was asked %d times before the restart, want 1", n)
			}
			b := apitest.Start(t, backend, opts)
			ann = b.WithToken(ann.Token)
			sub := ann.Connect().Subscribe(transcriptionEvents, nil)
			time.Sleep(100 * time.Millisecond)
			b.Clock.Advance(fastJob.Lease + time.Second)
			if tr := transcribed(t, sub, id); tr.Status != "DONE" || str(tr.Text) != "go forward ten meters" {
				t.Fatalf("after the restart: %s %q", tr.Status, str(tr.Reason))
			}
			sub.Quiet(300 * time.Millisecond) // no second DONE
			if n := f.requests.Load(); n != 2 {
				t.Fatalf("the endpoint was asked %d times, want 2", n)
			}
		})
	}
}

// longWAV is a WAV that plays for the given seconds (8-bit mono at 1 kHz).
func longWAV(seconds int) []byte {
	n := seconds * 1000
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, uint32(36+n))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)    // PCM
	b = binary.LittleEndian.AppendUint16(b, 1)    // mono
	b = binary.LittleEndian.AppendUint32(b, 1000) // sample rate
	b = binary.LittleEndian.AppendUint32(b, 1000) // byte rate
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 8)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	return append(b, make([]byte, n)...)
}

// Audio over 5 minutes is refused at once; the engine is never asked.
func TestTranscribeOverFiveMinutesIsRefused(t *testing.T) {
	runSpeech(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { sayGoForward(w) }, func(t *testing.T, env *apitest.Env, f *whisper) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		m := sendFiles(t, ann, c, uploadTo(t, ann, c, "long.wav", longWAV(301)).ID)
		r := ann.Do(transcribeQ, Vars{"m": m.ID})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "LIMIT_EXCEEDED" ||
			r.Errors[0].Extensions["limit"] != "transcriptionSeconds" || r.Errors[0].Extensions["max"] != float64(300) {
			t.Fatalf("301 s: %+v", r.Errors)
		}
		ok := sendFiles(t, ann, c, uploadTo(t, ann, c, "short.wav", longWAV(300)).ID)
		if tr := transcribeAs(t, ann, ok.ID); tr.Status != "PENDING" {
			t.Fatalf("300 s: %+v", tr)
		}
		if f.requests.Load() > 1 {
			t.Fatal("the long one reached the engine")
		}
	})
}

// The local engine (pocketsphinx) end to end: real words come back.
func TestTranscribeWithTheLocalEngine(t *testing.T) {
	l, ok := transcribe.FindLocal(exec.LookPath)
	const raw = "/usr/share/pocketsphinx/test/data/goforward.raw"
	if _, err := os.Stat(raw); !ok || err != nil {
		msg := "needs ffmpeg, pocketsphinx, pocketsphinx-en-us and pocketsphinx-testdata (.ci/speech-deps installs them)"
		if os.Getenv("PARLEY_REQUIRE_SPEECH") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	note := filepath.Join(t.TempDir(), "note.ogg")
	cmd := exec.Command(l.FFmpeg, "-nostdin", "-loglevel", "error", "-f", "s16le", "-ar", "16000", "-ac", "1",
		"-i", raw, "-c:a", "libopus", "-b:a", "16k", note)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	data, err := os.ReadFile(note)
	if err != nil {
		t.Fatal(err)
	}
	apitest.RunWith(t, apitest.Options{Configure: func(c *app.Config) {
		c.Transcribe = transcribe.Config{}
		c.TranscribeJob = &fastJob
	}}, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		g := groupChat(t, ann, "Voice", bob.ID)
		m := sendFiles(t, ann, g, uploadTo(t, ann, g, "note.ogg", data).ID)
		sub := ann.Connect().Subscribe(transcriptionEvents, nil)
		time.Sleep(100 * time.Millisecond)
		transcribeAs(t, ann, m.ID)
		for {
			r := sub.Next(3 * time.Minute)
			var e struct {
				Events struct {
					Type    string
					Message *struct {
						ID            string
						Transcription *transcriptionOut
					}
				}
			}
			if len(r.Errors) > 0 {
				t.Fatalf("events: %+v", r.Errors)
			}
			r.Decode(t, &e)
			if mm := e.Events.Message; mm != nil && mm.ID == m.ID && mm.Transcription != nil && mm.Transcription.Status != "PENDING" {
				tr := mm.Transcription
				if tr.Status != "DONE" || !strings.Contains(str(tr.Text), "forward") || str(tr.Language) != "en" {
					t.Fatalf("local engine: %s %q %q", tr.Status, str(tr.Text), str(tr.Reason))
				}
				return
			}
		}
	})
}

// A transcript is the agents' aid: the Live Chat visitor who sent the voice
// note never reads it.
func TestVisitorsNeverReadTranscripts(t *testing.T) {
	runSpeech(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { sayGoForward(w) }, func(t *testing.T, env *apitest.Env, f *whisper) {
		ann := env.NewUser("AGENT", "Ann")
		site := createChannel(t, env, "LIVE_CHAT", "Website", ann.ID)
		visitor, s := startLiveChat(t, env, site, "Vera")
		m := sendFiles(t, visitor, s, uploadTo(t, visitor, s, "note.opus", fixture(t, "voice.opus")).ID)
		sub := ann.Connect().Subscribe(transcriptionEvents, nil)
		time.Sleep(100 * time.Millisecond) // subscribed
		transcribeAs(t, ann, m.ID)
		if tr := transcribed(t, sub, m.ID); tr.Status != "DONE" {
			t.Fatalf("the agent's transcription: %+v", tr)
		}
		var out struct {
			Node *struct{ Transcription *struct{ Status string } }
		}
		q := `query($m:ID!){ node(id:$m){ ... on Message { transcription { status } } } }`
		visitor.MustDo(q, Vars{"m": m.ID}, &out)
		if out.Node == nil || out.Node.Transcription != nil {
			t.Fatalf("the visitor reads %+v", out.Node)
		}
		ann.MustDo(q, Vars{"m": m.ID}, &out)
		if out.Node == nil || out.Node.Transcription == nil || out.Node.Transcription.Status != "DONE" {
			t.Fatalf("the agent reads %+v", out.Node)
		}
	})
}
