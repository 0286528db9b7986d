package transcribe

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Debian's pocketsphinx-testdata: 16 kHz mono 16-bit raw speech saying
// "go forward ten meters".
const goForwardRaw = "/usr/share/pocketsphinx/test/data/goforward.raw"

// localEngine returns the installed local engine, or skips (fails under
// PARLEY_REQUIRE_SPEECH=1, as in CI) when it or the test recording is absent.
func localEngine(t *testing.T) *Local {
	t.Helper()
	l, ok := FindLocal(exec.LookPath)
	_, err := os.Stat(goForwardRaw)
	if ok && err == nil {
		return l
	}
	msg := "needs ffmpeg, pocketsphinx, pocketsphinx-en-us and pocketsphinx-testdata (.ci/speech-deps installs them)"
	if os.Getenv("PARLEY_REQUIRE_SPEECH") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return nil
}

// voiceNote encodes the test recording as a customer would send it: an
// Ogg/Opus voice note like WhatsApp's.
func voiceNote(t *testing.T, l *Local) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "note.ogg")
	cmd := exec.Command(l.FFmpeg, "-nostdin", "-loglevel", "error", "-f", "s16le", "-ar", "16000", "-ac", "1",
		"-i", goForwardRaw, "-c:a", "libopus", "-b:a", "16k", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLocalRecognisesAnOpusVoiceNote(t *testing.T) {
	l := localEngine(t)
	res, err := l.Transcribe(context.Background(), bytes.NewReader(voiceNote(t, l)), "PTT-20261201.opus", "audio/ogg; codecs=opus")
	if err != nil {
		t.Fatal(err)
	}
	if res.Language != "en" || !strings.Contains(res.Text, "go forward") || !strings.Contains(res.Text, "meters") {
		t.Fatalf("recognised %+v, want \"go forward ten meters\"", res)
	}
}

func TestLocalRefusesWhatIsNotAudio(t *testing.T) {
	l := localEngine(t)
	_, err := l.Transcribe(context.Background(), strings.NewReader("not audio at all"), "a.ogg", "audio/ogg")
	if Reason(err) != "the audio could not be decoded" || Temporary(err) {
		t.Fatalf("%v", err)
	}
}

// A playlist is not audio: ffmpeg must not read what it names, neither a
// file elsewhere on the server (here speech in MPEG-TS, which ffmpeg's HLS
// demuxer would otherwise open and the engine transcribe) nor a URL (a
// loopback server that would notice).
func TestLocalDoesNotFollowPlaylists(t *testing.T) {
	l := localEngine(t)
	secret := filepath.Join(t.TempDir(), "secret.ts")
	cmd := exec.Command(l.FFmpeg, "-nostdin", "-loglevel", "error", "-f", "s16le", "-ar", "16000", "-ac", "1",
		"-i", goForwardRaw, "-c:a", "mp2", "-f", "mpegts", secret)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for _, target := range []string{secret, srv.URL + "/a.ts"} {
		playlist := "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n" + target + "\n#EXT-X-ENDLIST\n"
		res, err := l.Transcribe(context.Background(), strings.NewReader(playlist), "a.m3u8", "audio/mpegurl")
		if Reason(err) != "the audio could not be decoded" || hits.Load() != 0 {
			t.Fatalf("playlist naming %s: %+v, %v; %d requests", target, res, err, hits.Load())
		}
	}
}

// Its own time limit is final (the same audio would take as long again);
// the caller's cancellation is temporary.
func TestLocalTimeLimits(t *testing.T) {
	l := localEngine(t)
	note := voiceNote(t, l)
	short := *l
	short.Timeout = time.Nanosecond
	if _, err := short.Transcribe(context.Background(), bytes.NewReader(note), "a.ogg", ""); Reason(err) != "the speech engine took too long" || Temporary(err) {
		t.Fatalf("own timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Transcribe(ctx, bytes.NewReader(note), "a.ogg", ""); Reason(err) != "transcription was interrupted" || !Temporary(err) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestLocalRefusesOversizeInput(t *testing.T) {
	l := localEngine(t)
	big := bytes.NewReader(make([]byte, maxLocalInput+1))
	if _, err := l.Transcribe(context.Background(), big, "a.wav", ""); Reason(err) != "the audio file is too large to transcribe" {
		t.Fatalf("%v", err)
	}
}

func TestChooseTheLocalEngineWithoutEndpoint(t *testing.T) {
	localEngine(t)
	if _, ok := Choose(Config{}).(*Local); !ok {
		t.Fatal("Choose without URL did not pick the installed local engine")
	}
}
