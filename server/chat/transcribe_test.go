package chat_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"parley/server/apitest"
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
